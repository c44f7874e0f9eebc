"""A student's copy of their data ("My data", PIPL right of access): every app's sections, nothing more.

Lives in homevisits because it builds data in every app (homevisits may depend on all of them).
"""

import io
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from aid.models import (
    BankAccount,
    FamilyMember,
    Fund,
    HiddenAidBatch,
    HiddenAidCandidate,
    Identification,
    Payment,
)
from aid.tests.factories import award_for, current_academic_year, identification_in, workstudy_placed, workstudy_post
from counseling import services as counseling_services
from counseling.models import Booking, Event, EventSignup, ScreeningResult, SessionNote, Slot
from counseling.tests.factories import submit_report
from homevisits.models import VisitDraft, VisitRecord
from homevisits.tests.factories import TripFactory, plan
from portal.models import AuditEvent, Notification

# Distinctive strings: each must be in the export (MINE) or must not (NOT_*).
MINE = {
    "statement": "家里种棉花，去年遭了冰雹。",
    "income": "31415.92",
    "booking_reason": "最近睡不着，想聊聊。",
    "family_occupation": "牧民",
    "answer": "是我室友，她最近不太好。",
    "notification": "您的预约已确认 NX-NOTE",
}
NOT_ROOMMATES_REPORT = "室友报告：她昨晚在阳台上哭 NX-ROOMMATE"
NOT_CASE_NOTE = "辅导员笔记：家庭矛盾 NX-CASENOTE"
NOT_SESSION_NOTE = "会谈记录：睡眠问题 NX-SESSION"
NOT_OTHER_STUDENT = "另一位同学的家庭情况 NX-OTHER"
NOT_VISIT = "家访记录：父母务农 NX-VISIT"
NOT_DRAFT = "家访草稿 NX-DRAFT"
NOT_HIDDEN_DRAFT_AMOUNT = "271.83"
NOT_MY_OWN_REPORT_NARRATIVE = "我担心室友 NX-MYNARRATIVE"  # a reporter sees the status, not the narrative again


@pytest.fixture
def data(world):
    """student_a with records in every app, plus what must never reach their copy."""
    student, user, staff = world.student_a, world["student"], world["station"]
    now = timezone.now()
    Notification.objects.create(recipient=user, title=MINE["notification"])
    # Counselling: a report the student filed (with a follow-up question they answered) …
    mine = submit_report(reporter=user, student=world.roommate_a, narrative=NOT_MY_OWN_REPORT_NARRATIVE)
    question = counseling_services.reporter_question_ask(actor=staff, report=mine, question="能多说一些吗？")
    counseling_services.reporter_question_answer(question=question, answer=MINE["answer"], actor=user)
    # … a report by the roommate about the student, with a case note: neither is the student's to see.
    about_me = submit_report(reporter=world.roommate_a.user, student=student, narrative=NOT_ROOMMATES_REPORT)
    counseling_services.case_add_note(actor=staff, case=about_me.case, note=NOT_CASE_NOTE)
    slot = Slot.objects.create(
        counsellor=staff, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2, minutes=-50)
    )
    booking = Booking.objects.create(slot=slot, student=student, reason=MINE["booking_reason"], consent_at=now)
    SessionNote.objects.create(booking=booking, author=staff, body=NOT_SESSION_NOTE)
    ScreeningResult.objects.create(student=student, instrument="phq9", answers=[1] * 9, total=9, band="mild")
    event = Event.objects.create(
        title="5·25 心理健康月讲座",
        kind=Event.Kind.TALK,
        place="图书馆报告厅",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        capacity=100,
        signup_opens_at=now - timedelta(days=1),
        signup_closes_at=now + timedelta(days=2),
        created_by=world["counselor"],
    )
    EventSignup.objects.create(event=event, student=student, status=EventSignup.Status.SIGNED_UP)
    # Aid: an identification with an income and family, an award paid from a fund, work-study, hidden aid.
    ident = identification_in(
        student,
        Identification.Status.SUBMITTED,
        year=current_academic_year(),
        statement=MINE["statement"],
        household_income=Decimal(MINE["income"]),
    )
    FamilyMember.objects.create(identification=ident, relation="父亲", age=52, occupation=MINE["family_occupation"])
    identification_in(
        world.roommate_a, Identification.Status.SUBMITTED, year=current_academic_year(), statement=NOT_OTHER_STUDENT
    )
    award = award_for(student, amount="3300.00", party="state", code="nx-grant")
    fund = Fund.objects.create(name="国家助学金", party="state", year=current_academic_year(), budget=Decimal("100000"))
    Payment.objects.create(
        application=award, student=student, fund=fund, amount=Decimal("1650.00"), due_on=date.today()
    )
    BankAccount.objects.create(student=student, bank="农业银行", card_number="6228480012345678901")
    workstudy_placed(student, workstudy_post(supervisor=world["aidofficer"], title="图书整理 NX-POST"))
    draft_batch = HiddenAidBatch.objects.create(month=date.today().replace(day=1), created_by=world["aidofficer"])
    HiddenAidCandidate.objects.create(
        batch=draft_batch,
        student=student,
        gender="M",
        meals=20,
        spend=Decimal("80"),
        amount=Decimal(NOT_HIDDEN_DRAFT_AMOUNT),
    )
    # Home visits: a record and a draft about the student's family.
    trip_student = plan(TripFactory(leader=world["visitor"]), student)
    VisitRecord.objects.create(
        trip=trip_student.trip,
        student=student,
        visited_on=date.today(),
        summary=NOT_VISIT,
        idempotency_key=uuid.uuid4(),
        created_by=world["visitor"],
    )
    VisitDraft.objects.create(trip_student=trip_student, author=world["visitor"], data=json.dumps({"x": NOT_DRAFT}))
    return world


def download(client, fmt: str):
    response = client.get(reverse(f"portal:my_data_{fmt}"))
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment;")
    return response


def test_the_json_copy_holds_every_apps_sections_and_nothing_the_student_may_not_see(data, client_for):
    response = download(client_for(data["student"]), "json")
    assert response["Content-Type"].startswith("application/json")
    copy = json.loads(response.content)
    text = response.content.decode()
    sections = {s["key"]: s["rows"] for s in copy["sections"]}
    assert copy["student_no"] == data.student_a.student_no
    assert sections["profile"][0]["name"] == "买买提·艾力"
    assert sections["profile"][0]["ID-card number"] == data.student_a.id_card_masked
    assert data.student_a.id_card_number not in text  # masked, as everywhere in the portal
    assert [g["name"] for g in sections["guardians"]] == ["艾力·买买提"]
    assert sections["notifications"][0]["title"] == MINE["notification"]
    [report] = sections["counseling_reports"]
    assert report["status"] == "seen by a counsellor"  # a counsellor asked the reporter a question
    assert report["questions to the reporter"][0]["answer"] == MINE["answer"]
    assert sections["counseling_bookings"][0]["what would you like to talk about?"] == MINE["booking_reason"]
    assert sections["counseling_screening"][0]["score"] == 9
    assert sections["counseling_screening"][0]["band"] == "mild"
    assert sections["counseling_events"][0]["event"] == "5·25 心理健康月讲座"
    [ident] = sections["aid_identifications"]
    assert ident["household income per year (yuan)"] == MINE["income"]
    assert ident["family situation in your own words"] == MINE["statement"]
    assert ident["family members"][0]["occupation"] == MINE["family_occupation"]
    assert ident["tier"] == ""  # not decided yet
    assert sections["aid_applications"][0]["amount (yuan)"] == "3300.00"
    assert sections["aid_payments"][0]["amount (yuan)"] == "1650.00"
    assert sections["aid_bank_account"][0]["card number"].endswith("8901")
    assert "6228480012345678901" not in text
    assert sections["aid_work_study"][0]["post"] == "图书整理 NX-POST"
    assert sections["aid_meal_subsidies"] == []  # a candidate under review is never shown
    for secret in (
        NOT_ROOMMATES_REPORT,
        NOT_CASE_NOTE,
        NOT_SESSION_NOTE,
        NOT_OTHER_STUDENT,
        NOT_VISIT,
        NOT_DRAFT,
        NOT_HIDDEN_DRAFT_AMOUNT,
        NOT_MY_OWN_REPORT_NARRATIVE,
        data.roommate_a.name,
    ):
        assert secret not in text, secret
    assert not any(key.startswith("homevisits") for key in sections)


def test_an_approved_meal_subsidy_appears_once_the_batch_is_approved(data, client_for):
    HiddenAidBatch.objects.update(status=HiddenAidBatch.Status.APPROVED)
    copy = json.loads(download(client_for(data["student"]), "json").content)
    [subsidy] = next(s["rows"] for s in copy["sections"] if s["key"] == "aid_meal_subsidies")
    assert subsidy["amount (yuan)"] == NOT_HIDDEN_DRAFT_AMOUNT


def test_the_xlsx_copy_opens_with_one_sheet_per_section(data, client_for):
    response = download(client_for(data["student"]), "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert {"Profile", "Reports I filed", "Hardship identifications", "Work-study"} <= set(book.sheetnames)
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None}
    assert MINE["statement"] in cells and MINE["income"] in cells
    assert not any(NOT_ROOMMATES_REPORT in c or NOT_CASE_NOTE in c or NOT_VISIT in c for c in cells)
    header = [c.value for c in book["Profile"][1]]
    assert header[:2] == ["student number", "name"]


def test_another_students_copy_holds_nothing_of_this_one(data, client_for):
    text = download(client_for(data.roommate_a.user), "json").content.decode()
    assert data.roommate_a.student_no in text
    for mine in (MINE["statement"], MINE["booking_reason"], MINE["income"], data.student_a.student_no, "买买提"):
        assert mine not in text
    assert NOT_ROOMMATES_REPORT not in text  # their own narrative is not repeated either
    assert NOT_OTHER_STUDENT in text  # their own identification statement is theirs


def test_each_download_is_audited(data, client_for):
    client = client_for(data["student"])
    download(client, "json")
    download(client, "xlsx")
    events = AuditEvent.objects.filter(action="personal_data.export").order_by("id")
    assert [(e.actor_id, e.object_id, e.changes["format"]) for e in events] == [
        (data["student"].pk, str(data.student_a.pk), "json"),
        (data["student"].pk, str(data.student_a.pk), "xlsx"),
    ]


def test_the_page_has_both_buttons_and_the_menu_links_to_it(world, client_for):
    client = client_for(world["student"])
    page = client.get(reverse("portal:my_data")).content.decode()
    assert reverse("portal:my_data_json") in page and reverse("portal:my_data_xlsx") in page
    assert 'data-testid="my-data-link"' in client.get(reverse("portal:home")).content.decode()
    assert not AuditEvent.objects.filter(action="personal_data.export").exists()  # viewing the page is not a download


@pytest.mark.parametrize("persona", ["station", "counselor", "aidofficer", "visitor"])
def test_staff_have_no_copy_to_download(world, client_for, persona):
    client = client_for(world[persona])
    for name in ("portal:my_data", "portal:my_data_json", "portal:my_data_xlsx"):
        assert client.get(reverse(name)).status_code == 403
    assert 'data-testid="my-data-link"' not in client.get(reverse("portal:home")).content.decode()


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in(client):
    for name in ("portal:my_data", "portal:my_data_json", "portal:my_data_xlsx"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_values_that_look_like_formulas_are_written_as_text():
    from portal.personal_data import cell

    assert cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert cell(["a", "b"]) == "a; b"
