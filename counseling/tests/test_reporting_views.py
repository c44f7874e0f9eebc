"""The reporting side: report a worry, the received page and its receipt code, my reports, the anonymous
receipt page, the subject search. Real PostgreSQL; the throttle and receipt marks use the configured cache
(Redis when REDIS_URL is set)."""

import random
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Case, Level, Report, ReporterQuestion, Sign
from counseling.tests.factories import submit_report
from portal.celery import app as celery_app
from portal.models import AuditEvent, Reminder
from portal.tests.faults import free_port

pytestmark = pytest.mark.django_db

PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "station_b",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]
NOBODY = "2099000999"  # a 学号 no student has
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _random_ip() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture(autouse=True)
def english_and_own_ip(client):
    """English pages (the source strings) and an address of this test's own, so the throttle's counters
    in a shared Redis never carry over from another test."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.defaults["REMOTE_ADDR"] = _random_ip()
    return client


def new_client() -> Client:
    """Another browser: its own cookies and session."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=_random_ip())


def form_data(**overrides: object) -> dict:
    data = {
        "about": "other",
        "student_no": "",
        "subject_name": "",
        "subject_class": "",
        "relation": "roommate",
        "signs": [Sign.MOOD],
        "narrative": "她这几天不吃饭，一直在哭。",
        "when_where": "昨晚 北苑3栋",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def post_report(client: Client, **overrides: object):
    return client.post(reverse("counseling:report_new"), form_data(**overrides))


def without_tokens(html: bytes) -> str:
    """The page minus what differs per response anyway (CSRF tokens, the page's own address)."""
    text = re.sub(r"/received/[0-9a-f-]{36}/", "/received/KEY/", html.decode())
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


# --- each persona × each view -------------------------------------------------------------------------------


@pytest.fixture
def students_report(world) -> Report:
    report = submit_report(reporter=world["student"], student=world.roommate_a)
    services.reporter_question_ask(actor=world["station"], report=report, question="能多说一些吗？")
    return report


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_each_persona_gets_each_reporting_view_as_designed(world, client, client_for, persona, students_report):
    c = client_for(world[persona]) if persona else client
    question = students_report.questions.get()
    received = reverse("counseling:report_received", args=[students_report.idempotency_key])
    signed_in = persona is not None
    expect = {
        ("get", reverse("counseling:index")): 200 if signed_in else 302,
        ("get", reverse("counseling:report_new")): 200,
        ("get", reverse("counseling:subject_search") + "?q=20"): 200 if signed_in else 302,
        ("get", received): 200 if persona == "student" else 404,
        ("get", reverse("counseling:my_reports")): 200 if signed_in else 302,
        ("get", reverse("counseling:my_question_answer", args=[question.pk])): 405 if signed_in else 302,
        ("post", reverse("counseling:my_question_answer", args=[question.pk])): 302,
        ("get", reverse("counseling:receipt")): 200,
        ("get", reverse("counseling:receipt_answer", args=[question.pk])): 405,
        ("post", reverse("counseling:receipt_answer", args=[question.pk])): 404,
        ("put", reverse("counseling:report_new")): 405,
    }
    if persona not in ("student", None):
        expect[("post", reverse("counseling:my_question_answer", args=[question.pk]))] = 404
    for (method, url), status in expect.items():
        data = {"answer": "好的"} if method == "post" else None
        response = getattr(c, method)(url, data) if data else getattr(c, method)(url)
        assert response.status_code == status, (persona, method, url, response.status_code)
    if persona == "student":
        question.refresh_from_db()
        assert question.answer == "好的"


def test_the_home_menu_follows_the_role(world, client_for):
    page = client_for(world["student"]).get(reverse("counseling:index")).content.decode()
    assert reverse("counseling:report_new") in page and reverse("counseling:receipt") in page
    assert reverse("counseling:queue") not in page and 'data-testid="hotlines"' in page
    page = client_for(world["station"]).get(reverse("counseling:index")).content.decode()
    assert reverse("counseling:queue") in page and reverse("counseling:care_list") in page
    assert reverse("counseling:dashboard") in page  # the station's dashboard is scoped to its college
    page = client_for(world["counselor"]).get(reverse("counseling:index")).content.decode()
    assert reverse("counseling:dashboard") in page
    page = client_for(world["committee"]).get(reverse("counseling:index")).content.decode()
    assert reverse("counseling:zero_report") in page and reverse("counseling:queue") not in page


def test_the_form_always_shows_the_emergency_banner_first(world, client, client_for):
    for c in (client, client_for(world["student"])):
        page = c.get(reverse("counseling:report_new")).content.decode()
        main = page[page.index('id="main"') :]
        assert main.index('data-testid="hotlines"') < main.index("<form")
        for number in ("tel:110", "tel:120", "tel:12356", "tel:02780001234"):
            assert number in main
        assert "not watched around the clock" in main


# --- filing ---------------------------------------------------------------------------------------------------


def test_a_liaison_files_about_a_resident_from_the_quick_pick(world, client_for):
    c = client_for(world["liaison"])
    page = c.get(reverse("counseling:report_new")).content.decode()
    assert world.student_a.name in page and world.roommate_a.student_no in page
    assert f'value="{world["liaison"].student.pk}"' not in page  # never themself
    assert world.student_b.name not in page
    response = post_report(c, picked=world.student_a.pk)
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("counseling:report_received", args=[report.idempotency_key])
    assert (report.reporter, report.case.student, report.case.college) == (
        world["liaison"],
        world.student_a,
        world.college_a,
    )
    assert AuditEvent.objects.filter(action="crisis_report.submitted", object_id=str(report.pk)).exists()


def test_a_quick_pick_outside_the_scope_is_refused(world, client_for):
    response = post_report(client_for(world["liaison"]), picked=world.student_b.pk)
    assert response.status_code == 200 and not Report.objects.exists()


def test_a_student_reports_about_themself(world, client_for):
    post_report(client_for(world["student"]), about="me", relation="")
    report = Report.objects.get()
    assert (report.case.student, report.relation, report.reporter) == (world.student_a, "self", world["student"])


def test_myself_needs_a_student_profile(world, client_for):
    response = post_report(client_for(world["station"]), about="me")
    assert response.status_code == 200
    assert "Reporting about yourself needs a signed-in student account" in response.content.decode()
    assert not Report.objects.exists()


def test_a_student_reports_another_by_student_number(world, client_for):
    post_report(client_for(world["student"]), student_no=world.student_b.student_no)
    case = Report.objects.get().case
    assert (case.student, case.college) == (world.student_b, world.college_b)


def test_a_student_reports_another_by_name_and_class(world, client_for):
    post_report(client_for(world["student"]), subject_name="李娜", subject_class="软件2401班")
    report = Report.objects.get()
    assert report.case.student == world.roommate_a and report.subject_given == "李娜 · 软件2401班"


def test_an_unmatched_subject_is_saved_for_the_centre_with_the_same_answer(world, client_for):
    c = client_for(world["student"])
    matched = post_report(c, student_no=world.student_b.student_no)
    unmatched = post_report(c, student_no=NOBODY)
    assert matched.status_code == unmatched.status_code == 302
    unmatched_report = next(r for r in Report.objects.all() if r.subject_given == NOBODY)  # encrypted: no SQL filter
    assert (unmatched_report.case.student, unmatched_report.case.college) == (None, None)
    assert without_tokens(c.get(matched["Location"]).content) == without_tokens(c.get(unmatched["Location"]).content)


def test_another_student_needs_someone_named(world, client_for):
    response = post_report(client_for(world["student"]))
    assert "Tell us who it is" in response.content.decode() and not Report.objects.exists()


def test_a_double_submit_makes_one_report_and_lands_on_the_same_page(world, client_for):
    c = client_for(world["student"])
    data = form_data(student_no=world.student_b.student_no)
    first = c.post(reverse("counseling:report_new"), data)
    second = c.post(reverse("counseling:report_new"), data)
    assert Report.objects.count() == 1
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]


def test_a_form_reused_through_the_back_button_with_new_content_is_a_new_report(world, client_for):
    c = client_for(world["student"])
    data = form_data(student_no=world.student_b.student_no)
    first = c.post(reverse("counseling:report_new"), data)
    second = c.post(reverse("counseling:report_new"), {**data, "narrative": "另一个同学也不对劲。"})
    assert Report.objects.count() == 2 and first["Location"] != second["Location"]


def test_a_tampered_token_is_refused_and_replaced(world, client_for):
    response = post_report(client_for(world["student"]), student_no=NOBODY, idempotency_key="not-a-uuid")
    assert response.status_code == 200 and not Report.objects.exists()
    assert "The form was incomplete" in response.content.decode()
    assert uuid.UUID(response.context["form"].data["idempotency_key"])


def test_a_narrative_of_10001_characters_is_refused_with_a_message(world, client_for):
    c = client_for(world["student"])
    response = post_report(c, student_no=NOBODY, narrative="难" * 10_001)
    assert response.status_code == 200
    assert "The description is limited to 10000 characters; yours has 10001" in response.content.decode()
    assert not Report.objects.exists()
    assert post_report(c, student_no=NOBODY, narrative="难" * 10_000).status_code == 302
    assert Report.objects.count() == 1


def test_xss_is_stored_as_typed_and_rendered_escaped(world, client, client_for):
    c = client_for(world["student"])
    # A form sent back with an error shows the typed name escaped.
    page = post_report(c, subject_name=XSS[:100], narrative="").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    post_report(c, subject_name="x", narrative=XSS, when_where=XSS)
    report = Report.objects.get()
    assert report.narrative == XSS
    question = services.reporter_question_ask(actor=world["station"], report=report, question=XSS)
    c.post(reverse("counseling:my_question_answer", args=[question.pk]), {"answer": XSS})
    pages = [
        c.get(reverse("counseling:report_received", args=[report.idempotency_key])),
        c.get(reverse("counseling:my_reports")),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in pages[1].content.decode()  # the question and the answer, escaped


def test_uyghur_and_emoji_round_trip(world, client_for):
    c = client_for(world["student"])
    text = "ئۇ بەك قايغۇلۇق، ئۇخلىيالمايدۇ 😢🙏 买买提·艾力"
    post_report(c, subject_name="مۇھەممەت", subject_class="软件2401班", narrative=text, when_where="ياتاق 😟")
    report = Report.objects.get()
    assert (report.narrative, report.when_where, report.subject_given) == (text, "ياتاق 😟", "مۇھەممەت · 软件2401班")
    question = services.reporter_question_ask(actor=world["station"], report=report, question="سىز قاچان كۆردىڭىز؟ 🤔")
    c.post(reverse("counseling:my_question_answer", args=[question.pk]), {"answer": "تۈنۈگۈن كەچتە 🌙"})
    page = c.get(reverse("counseling:my_reports")).content.decode()
    assert "سىز قاچان كۆردىڭىز؟ 🤔" in page and "تۈنۈگۈن كەچتە 🌙" in page


def test_in_danger_shows_the_hotlines_before_anything_else_and_saves_level_four(world, client_for):
    c = client_for(world["student"])
    response = post_report(c, student_no=world.student_b.student_no, signs=[], in_danger="on")
    report = Report.objects.get()
    assert report.in_danger and report.case.level == Level.CRISIS
    page = c.get(response["Location"]).content.decode()
    main = page[page.index('id="main"') :]
    assert main.index('data-testid="hotlines"') < main.index('data-testid="received"')
    hotlines = main[: main.index('data-testid="received"')]
    for number in ("tel:110", "tel:120", "tel:12356", "tel:02780001234"):
        assert number in hotlines


# --- the anonymous journey --------------------------------------------------------------------------------------


def test_a_signed_out_visitor_files_anonymously_and_follows_up_with_the_receipt(world, client):
    page = client.get(reverse("counseling:report_new")).content.decode()
    assert 'name="anonymous"' in page and "disabled" in page  # forced, not a choice
    assert "hx-get" not in page  # no search for the signed-out
    response = post_report(client, subject_name="李娜", subject_class="软件2401班")  # no "anonymous" sent
    report = Report.objects.get()
    assert report.anonymous and report.reporter is None and report.case.student == world.roommate_a
    code = services.receipt_code_for(report.idempotency_key)

    received = client.get(response["Location"]).content.decode()
    assert code in received and "Save this code now" in received
    assert report.narrative not in received

    lookup = client.post(reverse("counseling:receipt"), {"code": code.lower().replace("-", "")})
    assert lookup.status_code == 200 and 'data-status="received"' in lookup.content.decode()

    question = services.reporter_question_ask(actor=world["station"], report=report, question="她现在安全吗？")
    page = client.post(reverse("counseling:receipt"), {"code": code}).content.decode()
    assert "她现在安全吗？" in page and reverse("counseling:receipt_answer", args=[question.pk]) in page
    answered = client.post(
        reverse("counseling:receipt_answer", args=[question.pk]), {"code": code, "answer": "现在和室友在一起"}
    )
    assert answered.status_code == 200 and "现在和室友在一起" in answered.content.decode()
    question.refresh_from_db()
    assert question.answer == "现在和室友在一起" and question.answered_at is not None


def test_the_receipt_code_is_not_shown_again_later_or_elsewhere(world, client, client_for):
    response = post_report(client, student_no=NOBODY)
    code = services.receipt_code_for(Report.objects.get().idempotency_key)
    url = response["Location"]
    assert code in client.get(url).content.decode()
    assert code in client.get(url).content.decode()  # reload, same browser, within minutes
    elsewhere = new_client().get(url)  # a copied link in another browser
    assert elsewhere.status_code == 200 and code not in elsewhere.content.decode()
    assert 'data-testid="receipt-already-shown"' in elsewhere.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        later = client.get(url).content.decode()  # the shared computer, later
    assert code not in later and 'data-testid="receipt-already-shown"' in later


def test_a_signed_in_anonymous_report_stores_no_reporter_and_is_not_in_my_reports(world, client_for):
    c = client_for(world["student"])
    post_report(c, student_no=world.student_b.student_no, anonymous="on")
    assert Report.objects.get().reporter is None
    assert 'data-testid="my-report"' not in c.get(reverse("counseling:my_reports")).content.decode()


def test_a_wrong_code_gets_the_same_neutral_message(world, client):
    submit_report(reporter=None, anonymous=True, student=world.student_a)
    for code in ("AAAA-BBBB-CCCC", "ZZZZ-ZZZZ-ZZZ2"):
        response = client.post(reverse("counseling:receipt"), {"code": code})
        assert response.status_code == 200
        assert "There is no report with this code." in response.content.decode()
        assert 'data-testid="receipt-report"' not in response.content.decode()


def test_receipt_answers_need_the_code_of_that_report(world, client):
    mine = submit_report(reporter=None, anonymous=True, student=world.student_a, key=uuid.uuid4())
    other = submit_report(reporter=None, anonymous=True, student=world.student_b, key=uuid.uuid4())
    other_question = services.reporter_question_ask(actor=world["station_b"], report=other, question="?")
    my_code = services.receipt_code_for(mine.idempotency_key)
    url = reverse("counseling:receipt_answer", args=[other_question.pk])
    assert client.post(url, {"code": my_code, "answer": "x"}).status_code == 404
    assert client.post(url, {"code": "AAAA-BBBB-CCCC", "answer": "x"}).status_code == 404
    assert client.post(url, {"answer": "x"}).status_code == 404
    assert ReporterQuestion.objects.get().answered_at is None


def test_too_many_wrong_codes_from_one_address_get_429_but_a_valid_code_still_works(world, client):
    """Issue 13 finding 7: a guesser behind the campus NAT must not lock every reporter out."""
    report = submit_report(reporter=None, anonymous=True, student=world.student_a)
    for i in range(10):
        assert client.post(reverse("counseling:receipt"), {"code": f"AAAA-BBBB-{i:04d}"}).status_code == 200
    blocked = client.post(reverse("counseling:receipt"), {"code": "AAAA-BBBB-9999"})
    assert blocked.status_code == 429 and 'data-testid="throttled"' in blocked.content.decode()
    assert client.post(reverse("counseling:receipt_answer", args=[1]), {"code": "x", "answer": "y"}).status_code == 429
    valid = client.post(reverse("counseling:receipt"), {"code": services.receipt_code_for(report.idempotency_key)})
    assert valid.status_code == 200 and 'data-testid="receipt-report"' in valid.content.decode()
    assert new_client().post(reverse("counseling:receipt"), {"code": "AAAA"}).status_code == 200  # other address


# --- what a reporter learns once the station acts ---------------------------------------------------------------


def test_the_reporter_sees_seen_and_never_level_owner_or_narrative(world, client, client_for):
    narrative = "他说想从楼顶跳下去，已经写好了信。"
    named = submit_report(reporter=world["liaison"], student=world.student_a, narrative=narrative)
    anonymous = submit_report(reporter=None, anonymous=True, student=world.student_b, narrative=narrative)
    station, station_b, counselor = world["station"], world["station_b"], world["counselor"]
    reason = "计划明确，需要立即干预"
    for report, actor in ((named, station), (anonymous, station_b)):
        case = report.case
        services.case_acknowledge(actor=actor, case=case)
        services.case_set_level(
            actor=actor, case=case, level=Level.CRISIS, self_harm_level=4, others_harm_level=1, reason=reason
        )
        services.case_assign_owner(actor=actor, case=case, owner=counselor)
    counselor.full_name = "欧阳辅导"
    counselor.save(update_fields=["full_name"])

    mine = client_for(world["liaison"]).get(reverse("counseling:my_reports")).content.decode()
    code = services.receipt_code_for(anonymous.idempotency_key)
    by_receipt = client.post(reverse("counseling:receipt"), {"code": code}).content.decode()
    for page in (mine, by_receipt):
        assert 'data-status="seen"' in page
        for secret in (narrative, reason, "欧阳辅导", str(Level.CRISIS.label), "level", "昨晚 北苑3栋"):
            assert secret not in page


def test_my_reports_costs_the_same_queries_for_3_or_30_reports(world, client_for, django_assert_max_num_queries):
    c = client_for(world["student"])
    for n in (3, 30):
        while Report.objects.filter(reporter=world["student"]).count() < n:
            report = submit_report(reporter=world["student"], student=world.roommate_a)
            services.reporter_question_ask(actor=world["station"], report=report, question="？")
        with django_assert_max_num_queries(9):  # 8 + the page's count (the list is paginated, issue 9)
            assert c.get(reverse("counseling:my_reports")).status_code == 200


@pytest.mark.parametrize("signs", [[Sign.MOOD], [Sign.SUICIDE_TALK]], ids=["task", "crisis alert"])
def test_a_report_costs_the_same_queries_whatever_the_size_of_the_station(world, client_for, signs):
    """Every counsellor of the college's station (and, for a high level, of the centre) is alerted: a large
    college has many, and the alert is written in a fixed number of queries (portal.services.notify_each)."""
    from django.test.utils import CaptureQueriesContext

    from portal.models import Role
    from portal.tests.factories import StaffFactory, StudentFactory, grant

    c = client_for(world["student"])
    post_report(c, signs=signs, about="me", relation="")  # the first request of a session writes the session once
    counts = []
    for extra in (0, 6):
        subject = StudentFactory(class_group=world.class_a)  # a new case each time, as in the first round
        for _ in range(extra):
            grant(StaffFactory().user, Role.STATION_COUNSELLOR, college=world.college_a)
            grant(StaffFactory().user, Role.CENTRE_COUNSELLOR)
        with CaptureQueriesContext(connection) as captured:
            assert post_report(c, signs=signs, student_no=subject.student_no).status_code == 302
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    latest = Report.objects.latest("pk")
    alerted = set(
        Reminder.objects.filter(dedupe_key__startswith=f"crisis:report:{latest.pk}:alert:").values_list(
            "recipient_id", flat=True
        )
    )
    assert len(alerted - {None}) >= 7  # the station's seven (and the centre's when high) were all alerted


def test_closed_cases_read_closed(world, client_for):
    report = submit_report(reporter=world["student"], student=world.roommate_a)
    services.case_acknowledge(actor=world["station"], case=report.case)
    services.case_transition(actor=world["station"], case=report.case, to_status=Case.Status.CLOSED, reason="resolved")
    page = client_for(world["student"]).get(reverse("counseling:my_reports")).content.decode()
    assert 'data-status="closed"' in page


def test_a_question_is_answered_once(world, client_for):
    report = submit_report(reporter=world["student"], student=world.roommate_a)
    question = services.reporter_question_ask(actor=world["station"], report=report, question="什么时候？")
    c = client_for(world["student"])
    url = reverse("counseling:my_question_answer", args=[question.pk])
    assert c.post(url, {"answer": "周一"}).status_code == 302
    again = c.post(url, {"answer": "周二"}, follow=True)
    assert "already been answered" in again.content.decode()
    question.refresh_from_db()
    assert question.answer == "周一"


def test_an_empty_or_too_long_answer_keeps_the_form_with_a_message(world, client_for):
    report = submit_report(reporter=world["student"], student=world.roommate_a)
    question = services.reporter_question_ask(actor=world["station"], report=report, question="什么时候？")
    c = client_for(world["student"])
    url = reverse("counseling:my_question_answer", args=[question.pk])
    too_long = c.post(url, {"answer": "长" * 10_001})
    assert too_long.status_code == 200 and "limited to 10000 characters" in too_long.content.decode()
    assert c.post(url, {"answer": "  "}).status_code == 200
    question.refresh_from_db()
    assert question.answered_at is None


def test_a_receipt_question_is_answered_once(world, client):
    report = submit_report(reporter=None, anonymous=True, student=world.student_a)
    question = services.reporter_question_ask(actor=world["station"], report=report, question="什么时候？")
    code = services.receipt_code_for(report.idempotency_key)
    url = reverse("counseling:receipt_answer", args=[question.pk])
    assert client.post(url, {"code": code, "answer": "周一"}).status_code == 200
    again = client.post(url, {"code": code, "answer": "周二"})
    assert again.status_code == 200 and "already been answered" in again.content.decode()
    question.refresh_from_db()
    assert question.answer == "周一"


# --- the roster cannot be probed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["student", "aidofficer", "visitor", "station_b"])
def test_the_search_answers_the_same_for_out_of_scope_and_nonexistent(world, client_for, persona):
    c = client_for(world[persona])
    search = reverse("counseling:subject_search")
    existing = c.get(search, {"q": world.student_a.student_no})
    missing = c.get(search, {"q": NOBODY})
    assert existing.status_code == missing.status_code == 200
    assert existing.content == missing.content
    assert world.student_a.name not in existing.content.decode()


def test_the_search_finds_students_in_the_pick_scope_only(world, client_for):
    search = reverse("counseling:subject_search")
    liaison = client_for(world["liaison"]).get(search, {"q": "李娜"}).content.decode()
    assert world.roommate_a.student_no in liaison and "软件2401班" in liaison
    assert world.student_b.student_no not in client_for(world["liaison"]).get(search, {"q": "王强"}).content.decode()
    mine = client_for(world["liaison"]).get(search, {"q": world["liaison"].student.student_no}).content.decode()
    assert 'name="picked"' not in mine  # never themself
    centre = client_for(world["counselor"]).get(search, {"q": "王强"}).content.decode()
    assert world.student_b.student_no in centre
    for secret in (world.student_b.phone, world.student_b.id_card_masked, world.student_b.room.room):
        assert secret not in centre


def test_a_report_about_an_out_of_scope_student_answers_like_one_about_nobody(world, client_for):
    c = client_for(world["student"])
    real = post_report(c, student_no=world.student_b.student_no)
    fake = post_report(c, student_no=NOBODY)
    assert without_tokens(c.get(real["Location"]).content) == without_tokens(c.get(fake["Location"]).content)


# --- Redis down ------------------------------------------------------------------------------------------------------


def _drop_broker_pools() -> None:
    # The app caches pools bound to the broker URL it first saw (as in portal/tests/test_celery_worker.py).
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def redis_down() -> Iterator[None]:
    """Broker and cache both pointed at a port nothing listens on."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    saved = celery_app.conf.broker_url
    _drop_broker_pools()
    celery_app.conf.broker_url = dead
    try:
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}
        ):
            yield
    finally:
        _drop_broker_pools()
        celery_app.conf.broker_url = saved


@pytest.mark.django_db(transaction=True)
def test_a_report_is_saved_with_redis_down_and_its_alerts_wait_in_the_outbox(world, client, client_for):
    c = client_for(world["student"])
    with redis_down():
        response = post_report(c, student_no=world.student_a.student_no, in_danger="on")
        assert response.status_code == 302
        assert c.get(response["Location"]).status_code == 200
        anonymous = new_client()
        response = post_report(anonymous, student_no=NOBODY)
        received = anonymous.get(response["Location"]).content.decode()
        assert services.receipt_code_for(Report.objects.get(anonymous=True).idempotency_key) in received
        assert anonymous.post(reverse("counseling:receipt"), {"code": "AAAA"}).status_code == 200
    assert Report.objects.count() == 2
    reminders = Reminder.objects.all()
    assert reminders.exists() and all(r.status == Reminder.Status.PENDING for r in reminders)
    assert AuditEvent.objects.filter(action="crisis_report.submitted").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_double_click_sending_the_form_twice_at_once_makes_one_report(world, client_for):
    """Two requests with the same token in parallel (real transactions): one report, no error page."""
    user = world["student"]
    data = form_data(student_no=world.student_b.student_no, in_danger="on")
    statuses: list[int] = []
    errors: list[BaseException] = []
    for _ in range(5):  # a race: try a few times
        data["idempotency_key"] = str(uuid.uuid4())
        barrier = threading.Barrier(2)

        def send() -> None:
            try:
                c = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=_random_ip())
                c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                barrier.wait(timeout=10)
                statuses.append(c.post(reverse("counseling:report_new"), data).status_code)
            except BaseException as exc:  # re-raised in the test's thread below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert statuses == [302] * 10
    assert Report.objects.count() == 5
