"""Journey 4: a student applies for identification with a PDF, the class, the college and the school review it,
the notice reaches the class and not another college, then the national grant is applied for, approved, paid
in a batch and exported for finance as XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from aid.models import (
    AcademicYear,
    Application,
    ClassEvaluation,
    EvaluationGroup,
    Identification,
    IdentificationDocument,
    Notice,
    Payment,
    Programme,
    Tier,
)
from portal.models import Student
from portal.tests.pdfs import clean_pdf

if TYPE_CHECKING:
    from e2e.conftest import Visit

pytestmark = pytest.mark.browser

PASSWORD = "journey-aid-4"  # ordinary demo students have unusable passwords; the test gives two of them this one
# A small valid one-page PDF: what portal/kernel/files.py accepts (it parses with pypdf, nothing active inside).
PDF = clean_pdf()
DEMO_LOGINS = ("student", "liaison", "committee")
S = Identification.Status
A = Application.Status


def _with_password(student: Student) -> str:
    student.user.set_password(PASSWORD)
    student.user.save(update_fields=["password"])
    return student.user.username


def _applicant(year: AcademicYear) -> Student:
    """A classmate of the demo `student` (软件2401班) with no application this year and outside the class's
    evaluation group: the demo leaves two, so the phone and the desktop run each take one."""
    demo = Student.objects.get(user__username="student")
    group = EvaluationGroup.objects.get(class_group=demo.class_group, year=year)
    return (
        Student.objects.filter(class_group=demo.class_group, status=Student.Status.ENROLLED)
        .exclude(user__username__in=DEMO_LOGINS)
        .exclude(identifications__year=year)
        .exclude(user__in=group.members.all())
        .order_by("student_no")
        .first()
    )


def _end_notice(notice_id: int) -> None:
    """Time passes: a notice has to run its days (≥ 5 working days for the school's) before the next step.
    The journey cannot wait, so it moves the notice into the past, as time_machine would in a unit test."""
    today = timezone.localdate()
    Notice.objects.filter(pk=notice_id).update(starts_on=today - timedelta(days=14), ends_on=today - timedelta(days=1))


def _panel(visit: Visit, name: str, **fields: str) -> None:
    """Open a review panel on the identification page, fill it, submit it."""
    page = visit.page
    page.click(f"[data-testid=panel-{name}] summary")
    for field, value in fields.items():
        locator = page.locator(f"[data-testid=panel-{name}] [name={field}]")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    visit.submit(f"[data-testid=panel-{name}] [type=submit]")


def _step(visit: Visit, application: Application, action: str) -> None:
    visit.submit(f"form[action$='/applications/{application.pk}/{action}/'] [type=submit]")


def test_identification_notice_grant_and_payment_roster(browse, device):
    from openpyxl import load_workbook

    year = AcademicYear.objects.get(is_current=True)
    # The demo opens the identification window around the day it is seeded.
    today = timezone.localdate()
    assert year.window_opens_on <= today <= year.window_closes_on
    applicant = _applicant(year)
    assert applicant is not None, "the demo has no classmate left without an application"
    other_college = (
        Student.objects.exclude(college=applicant.college)
        .filter(status=Student.Status.ENROLLED)
        .order_by("student_no")
        .first()
    )

    # --- The student fills in the application, saves a draft, uploads a PDF and submits. -------------------------
    me = browse()
    me.login(_with_password(applicant), PASSWORD)
    page = me.goto("/aid/identification/apply/")
    page.fill("input[name=household_size]", "4")
    page.fill("input[name=household_income]", "18000")
    page.fill("input[name=household_debt]", "20000")
    page.check("input[name=special_statuses][value=dibao]")
    page.fill("textarea[name=statement]", "父亲务农，母亲常年生病，弟弟在读初中。")
    page.fill("input[name='family-0-relation']", "父亲")
    page.fill("input[name='family-0-age']", "50")
    page.fill("input[name='family-0-occupation']", "务农")
    page.fill("input[name='family-0-annual_income']", "12000")
    me.submit("[data-testid=application-form] button[name=save]")
    identification = Identification.objects.get(student=applicant, year=year)
    assert identification.status == S.DRAFT

    page.set_input_files(
        "input[name=file]", files=[{"name": "低保证明.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page = me.submit("form[action$='/identification/documents/add/'] [type=submit]", screenshot="aid-application")
    document = IdentificationDocument.objects.get(identification=identification)
    assert document.content_type == "application/pdf"
    assert page.locator(f"[data-testid=documents] a[href$='/identification/documents/{document.pk}/']").count() == 1

    page.check("input[name=pledge]")
    me.submit("[data-testid=application-form] button[name=submit]")
    identification.refresh_from_db()
    assert identification.status == S.SUBMITTED and identification.pledge_signed_at is not None

    # --- A member of the class evaluation group suggests a tier. ----------------------------------------------------
    committee = browse()
    committee.login("committee")
    page = committee.goto("/aid/identification/evaluation/")
    row = page.locator(f"form[action$='/aid/identification/evaluation/{identification.pk}/']")
    row.locator("select[name=suggested_tier]").select_option(Tier.DIFFICULT)
    row.locator("input[name=reason]").fill("家庭情况属实，母亲长期患病。")
    committee.submit(f"form[action$='/aid/identification/evaluation/{identification.pk}/'] [type=submit]")
    assert ClassEvaluation.objects.filter(
        identification=identification, member__username="committee", suggested_tier=Tier.DIFFICULT
    ).exists()

    # --- The college reviewer closes the class evaluation, decides and puts it on the college notice. ---------------
    reviewer = browse()
    reviewer.login("aidreviewer")
    reviewer.goto(f"/aid/identification/{identification.pk}/")
    _panel(reviewer, "class_close")
    identification.refresh_from_db()
    assert identification.status == S.CLASS_REVIEWED and identification.class_tier == Tier.DIFFICULT
    _panel(reviewer, "college_review", tier=Tier.DIFFICULT, note="与班级评议一致。")
    identification.refresh_from_db()
    assert identification.status == S.COLLEGE_REVIEWED

    page = reviewer.goto("/aid/notices/new/")
    page.select_option("select[name=kind]", Notice.Kind.COLLEGE)
    page.select_option("select[name=college]", str(applicant.college_id))
    page.fill("input[name=title]", f"{applicant.college.name} 家庭经济困难认定学院公示（{device}）")
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=6)).isoformat())
    reviewer.submit("main form [type=submit]")
    identification.refresh_from_db()
    assert identification.status == S.COLLEGE_NOTICE
    _end_notice(identification.college_notice_id)

    # --- The aid officer reviews for the school and publishes the school notice (≥ 5 working days). -----------------
    officer = browse()
    officer.login("aidofficer")
    officer.goto(f"/aid/identification/{identification.pk}/")
    _panel(officer, "school_review", tier=Tier.DIFFICULT)
    identification.refresh_from_db()
    assert identification.status == S.SCHOOL_REVIEWED
    page = officer.goto("/aid/notices/new/")
    page.select_option("select[name=kind]", Notice.Kind.SCHOOL)
    page.select_option("select[name=college]", str(applicant.college_id))
    page.fill("input[name=title]", f"家庭经济困难认定学校公示（{applicant.college.name} · {device}）")
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=13)).isoformat())
    officer.submit("main form [type=submit]")
    identification.refresh_from_db()
    assert identification.status == S.SCHOOL_NOTICE
    notice_path = f"/aid/notices/{identification.school_notice_id}/"

    # A classmate sees the notice: name, class and tier, nothing else.
    classmate = browse()
    classmate.login("student")
    page = classmate.goto("/aid/notices/")
    with page.expect_navigation():
        page.click(f"main a[href$='{notice_path}']")
    page = classmate.check()
    rows = page.locator("[data-testid=notice-rows]").inner_text()
    assert applicant.name in rows and applicant.class_group.name in rows
    assert applicant.student_no not in rows and "18000" not in rows

    # A student of another college neither finds it in the list nor opens it.
    stranger = browse()
    stranger.login(_with_password(other_college), PASSWORD)
    page = stranger.goto("/aid/notices/")
    assert page.locator(f"a[href$='{notice_path}']").count() == 0
    assert applicant.name not in page.locator("main").inner_text()
    stranger.expect_failure(notice_path)
    response = page.goto(stranger.url(notice_path))
    assert response.status == 404
    stranger.check()
    assert applicant.name not in page.locator("main").inner_text()

    # The notice has run its days; the officer approves.
    _end_notice(identification.school_notice_id)
    officer.goto(f"/aid/identification/{identification.pk}/")
    _panel(officer, "approve", tier=Tier.DIFFICULT)
    identification.refresh_from_db()
    assert identification.status == S.APPROVED and identification.tier == Tier.DIFFICULT

    # --- The student applies for the national grant and enters a bank account. --------------------------------------
    grant = Programme.objects.get(code="national-grant")
    page = me.goto("/aid/programmes/")
    with page.expect_navigation():
        page.click(f"[data-testid=programmes] a[href$='/aid/programmes/{grant.pk}/apply/']")
    page = me.check()
    page.fill("textarea[name=statement]", "家庭经济困难，申请国家助学金用于生活费。")
    me.submit("main form [type=submit]")
    application = Application.objects.get(student=applicant, programme=grant, year=year)
    assert application.status == A.SUBMITTED and application.amount == Decimal(grant.tier_amounts[Tier.DIFFICULT])

    page = me.goto("/aid/bank-account/")
    card = f"6222020200{applicant.student_no[-8:]}"
    page.fill("input[name=bank]", "中国工商银行武汉分行")
    page.fill("input[name=card_number]", card)
    page.fill("input[name=card_number_again]", card)
    me.submit("main form [type=submit]")

    # --- College recommends and puts it on its notice; the officer approves, charges, schedules and pays. -----------
    reviewer.goto(f"/aid/applications/{application.pk}/")
    _step(reviewer, application, "college_approve")
    _step(reviewer, application, "notice")
    application.refresh_from_db()
    assert application.status == A.NOTICE

    officer.goto(f"/aid/applications/{application.pk}/")
    _step(officer, application, "school_approve")
    _step(officer, application, "commit")
    _step(officer, application, "schedule")
    application.refresh_from_db()
    assert application.status == A.PAYING and application.fund is not None
    payments = list(Payment.objects.filter(application=application).order_by("due_on"))
    assert len(payments) == grant.installments and sum(p.amount for p in payments) == application.amount

    page = officer.goto("/aid/batches/")
    page.fill("main form input[name=name]", f"国家助学金 {today:%Y-%m} ({device})")
    page.check(f"input[name=payments][value='{payments[0].pk}']")
    page = officer.submit("main form [type=submit]")
    payments[0].refresh_from_db()
    assert payments[0].batch_id is not None
    # Chromium reports a download as an aborted navigation: that is the file arriving, not a failure.
    officer.expect_failure(f"/aid/batches/{payments[0].batch_id}/export.xlsx")
    with page.expect_download() as download_info:
        page.click(f"a[href$='/aid/batches/{payments[0].batch_id}/export.xlsx']")
    workbook = load_workbook(io.BytesIO(download_info.value.path().read_bytes()), read_only=True)
    rows = [row for row in workbook.active.iter_rows(values_only=True) if row[0] == applicant.student_no]
    assert len(rows) == 1
    assert rows[0][1] == applicant.name and rows[0][3] == card and float(rows[0][4]) == float(payments[0].amount)

    officer.goto("/aid/dashboard/", screenshot="aid-dashboard")
