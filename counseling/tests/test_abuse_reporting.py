"""Attacker stories against the reporting workflow (issue 13, findings 1, 3 and 7).

- The curious classmate: files a report about a 学号 and reads its status to learn whether that student
  already has a case (the crisis-case oracle). Every reporter-facing answer must be the same bytes whatever
  is known about the subject.
- The script on the campus network: floods the anonymous form. Bursts are held as one item, alerts stay
  bounded, the rest is refused with the hotlines first, and a real report still gets through.
- The guesser behind the NAT: tries receipt codes; a real reporter behind the same address still gets in.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from aid.services import fiveaid as aid_fiveaid
from counseling import services
from counseling.models import Case, HeldReport, Report, ReportHold, Sign
from counseling.tests.factories import submit_report
from portal.models import AuditEvent, Reminder, Setting
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

NOBODY = "2099000999"  # a 学号 nobody has
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_ip_counter = iter(range(1, 60000))


def _address() -> str:
    """An address of this test's own (IPv6, random): Redis counters never carry over between runs."""
    return f"fd00::{next(_ip_counter):x}:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def browser(address: str | None = None) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address or _address())


def report_data(student_no: str = "", **overrides: object) -> dict:
    data = {
        "about": "other",
        "student_no": student_no,
        "subject_name": "",
        "subject_class": "",
        "relation": "roommate",
        "signs": [Sign.MOOD],
        "narrative": "她这几天不吃饭，一直在哭。",
        "when_where": "昨晚",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    if data.get("anonymous") is False:
        data.pop("anonymous")
    return data


def normalised(html: bytes) -> str:
    """The page minus what differs per response anyway: CSRF tokens, the report's key, its receipt code."""
    text = html.decode()
    text = re.sub(r"/received/[0-9a-f-]{36}/", "/received/KEY/", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    text = re.sub(r'value="[0-9a-f-]{36}"', 'value="KEY"', text)
    text = re.sub(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", "CODE", text)
    return re.sub(r'data-report="\d+"', 'data-report="PK"', text)


def set_limits(*, per_address: dict | None = None, school: dict | None = None) -> None:
    from portal import config

    if per_address is not None:
        Setting.objects.update_or_create(key="counseling.anonymous_per_address", defaults={"value": per_address})
    if school is not None:
        Setting.objects.update_or_create(key="counseling.anonymous_school_wide", defaults={"value": school})
    config.clear_cache()


# --- 1. The crisis-case oracle ------------------------------------------------------------------------------


@pytest.fixture
def subjects(world) -> dict[str, str]:
    """Four 学号 a classmate might type: one with an open case the station is working, one with a closed
    case, one with no record, one that is not on the roster."""
    open_student = StudentFactory(class_group=world.class_a)
    case = submit_report(reporter=None, anonymous=True, student=open_student, signs=[Sign.SUICIDE_TALK]).case
    services.case_acknowledge(actor=world["station"], case=case)
    services.case_set_level(
        actor=world["station"], case=case, level=3, self_harm_level=3, others_harm_level=None, reason="计划"
    )
    closed_student = StudentFactory(class_group=world.class_a)
    closed = submit_report(reporter=None, anonymous=True, student=closed_student).case
    services.case_acknowledge(actor=world["station"], case=closed)
    services.case_transition(actor=world["station"], case=closed, to_status=Case.Status.CLOSED, reason="resolved")
    plain = StudentFactory(class_group=world.class_a)
    return {
        "open case": open_student.student_no,
        "closed case": closed_student.student_no,
        "no record": plain.student_no,
        "not on the roster": NOBODY,
    }


@time_machine.travel(NOON, tick=False)
def test_an_anonymous_reporter_reads_the_same_bytes_whatever_the_subject_has(subjects):
    pages: dict[str, list[str]] = {}
    for label, student_no in subjects.items():
        client = browser()
        sent = client.post(reverse("counseling:report_new"), report_data(student_no, anonymous="on"))
        assert sent.status_code == 302, label
        received = client.get(sent["Location"])
        code = re.search(rb"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", received.content).group().decode()
        status = browser().post(reverse("counseling:receipt"), {"code": code})
        pages[label] = [
            normalised(received.content),
            normalised(status.content),
            re.sub(r"[0-9a-f-]{36}", "KEY", sent["Location"]),
        ]
        assert 'data-status="received"' in pages[label][1], label
    first = pages.pop("open case")
    for label, page in pages.items():
        assert page == first, f"a reporter can tell 'open case' from '{label}'"


@time_machine.travel(NOON, tick=False)
def test_a_named_reporter_reads_the_same_bytes_whatever_the_subject_has(world, subjects, client_for):
    cards: dict[str, str] = {}
    for label, student_no in subjects.items():
        reporter = StudentFactory(class_group=world.class_b, name="同一个名字").user
        client = browser()
        client.force_login(reporter, backend="django.contrib.auth.backends.ModelBackend")
        sent = client.post(reverse("counseling:report_new"), report_data(student_no))
        assert sent.status_code == 302
        received = normalised(client.get(sent["Location"]).content)
        mine = normalised(client.get(reverse("counseling:my_reports")).content)
        cards[label] = re.sub(reporter.username, "USER", received + mine)
        assert 'data-status="received"' in mine
    first = cards.pop("open case")
    for label, page in cards.items():
        assert page == first, f"a named reporter can tell 'open case' from '{label}'"


def test_a_report_joining_a_worked_case_reads_received_until_a_counsellor_sees_it(world, client_for):
    case = submit_report(reporter=None, anonymous=True, student=world.roommate_a).case
    services.case_acknowledge(actor=world["station"], case=case)
    late = submit_report(reporter=world["liaison"], student=world.roommate_a)
    assert late.case_id == case.pk  # it joined the open case...
    assert late.reporter_status() == "received"  # ...but its own loop has not started
    assert client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
    late.refresh_from_db()
    assert late.reporter_status() == "seen"
    services.case_transition(actor=world["station"], case=case, to_status=Case.Status.CLOSED, reason="resolved")
    late.refresh_from_db()
    assert late.reporter_status() == "closed"
    services.case_transition(actor=world["counselor"], case=case, to_status=Case.Status.ACKNOWLEDGED)  # reopen
    after = submit_report(reporter=world["liaison"], student=world.roommate_a)
    assert after.reporter_status() == "received"  # a new loop, not the reopened case's state


def test_an_aid_referral_of_a_student_already_in_counselling_reads_referred(world):
    """The aid office must not learn from "engaged" that a student already had a case."""
    case = submit_report(reporter=None, anonymous=True, student=world.student_a).case
    services.case_acknowledge(actor=world["station"], case=case)
    report = services.referral_from_aid(
        actor=world["aidofficer"], student=world.student_a, note="家里突发变故", idempotency_key=uuid.uuid4()
    )
    assert report.case_id == case.pk
    assert services.referral_status(report.pk) == "referred"
    services.case_add_note(actor=world["station"], case=case, note="已约谈")
    assert services.referral_status(report.pk) == "engaged"
    assert aid_fiveaid.referral_status is services.referral_status  # the aid side reads the same function


# --- 3. The anonymous flood -----------------------------------------------------------------------------------


def _send_anonymous(client: Client, student_no: str = NOBODY, **overrides: object):
    return client.post(reverse("counseling:report_new"), report_data(student_no, anonymous="on", **overrides))


def test_a_flood_from_one_address_is_held_as_one_item_and_then_refused(world):
    set_limits(per_address={"free": 3, "max": 20, "minutes": 60}, school={"free": 1000, "max": 5000, "minutes": 60})
    flood = browser()
    statuses = [_send_anonymous(flood, in_danger="on").status_code for _ in range(25)]
    assert statuses[:20] == [302] * 20 and statuses[20:] == [429] * 5
    assert Case.objects.count() == 3  # the first three were routed as usual
    assert ReportHold.objects.count() == 1  # the other seventeen: one item
    assert HeldReport.objects.filter(hold__kind=ReportHold.Kind.ADDRESS).count() == 17
    refused = _send_anonymous(flood, narrative="我想说的话还在").content.decode()
    assert refused.index('data-testid="hotlines"') < refused.index('data-testid="report-refused"')
    assert "我想说的话还在" in refused  # nothing typed is lost


def test_alerts_stay_bounded_in_a_flood(world):
    set_limits(per_address={"free": 1, "max": 500, "minutes": 60}, school={"free": 1000, "max": 5000, "minutes": 60})
    flood = browser()
    for _ in range(40):
        assert _send_anonymous(flood, in_danger="on").status_code == 302
    counsellor = world["counselor"]
    hold_alerts = Reminder.objects.filter(recipient=counsellor, dedupe_key__startswith="crisis:hold:")
    # One "held for review" and one "says in danger", each in the app and by e-mail: never one per report.
    assert hold_alerts.count() <= 4
    report_alerts = Reminder.objects.filter(recipient=counsellor, dedupe_key__startswith="crisis:report:")
    assert report_alerts.count() <= 2  # the single routed report (level 4: app + e-mail)


def test_a_named_report_in_the_middle_of_a_flood_takes_the_fast_path(world, client_for):
    set_limits(per_address={"free": 0, "max": 5, "minutes": 60}, school={"free": 0, "max": 5, "minutes": 60})
    shared = _address()
    flood = browser(shared)
    for _ in range(8):
        _send_anonymous(flood)
    named = browser(shared)  # a named reporter behind the same address
    named.force_login(world["liaison"], backend="django.contrib.auth.backends.ModelBackend")
    sent = named.post(
        reverse("counseling:report_new"), report_data(world.student_a.student_no, in_danger="on", anonymous=False)
    )
    assert sent.status_code == 302
    report = Report.objects.get(reporter=world["liaison"])
    assert report.case.level == 4 and report.case.student_id == world.student_a.pk
    assert Reminder.objects.filter(recipient=world["station"], dedupe_key__startswith=f"crisis:report:{report.pk}")


def test_a_real_anonymous_report_from_elsewhere_still_reaches_the_station(world):
    set_limits(per_address={"free": 2, "max": 10, "minutes": 60}, school={"free": 100, "max": 500, "minutes": 60})
    flood = browser()
    for _ in range(12):
        _send_anonymous(flood)
    real = browser()
    assert _send_anonymous(real, student_no=world.student_b.student_no).status_code == 302
    assert Case.objects.filter(student=world.student_b).exists()


def test_a_school_wide_surge_from_many_addresses_is_held_and_a_held_report_is_confirmed(world, client_for):
    set_limits(per_address={"free": 3, "max": 20, "minutes": 60}, school={"free": 4, "max": 50, "minutes": 60})
    for _ in range(10):
        assert _send_anonymous(browser()).status_code == 302  # a new address each time
    assert Case.objects.count() == 4  # the first four were routed: each unmatched report opens its own case
    surge = ReportHold.objects.get(kind=ReportHold.Kind.SURGE)
    assert surge.reports.count() == 6
    real = browser()
    sent = _send_anonymous(real, student_no=world.student_a.student_no, in_danger="on", narrative="他站在窗台上")
    code = re.search(rb"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", real.get(sent["Location"]).content).group().decode()
    held = HeldReport.objects.get(student=world.student_a)
    assert held.hold_id == surge.pk
    centre = client_for(world["counselor"])
    listing = centre.get(reverse("counseling:holds")).content.decode()
    assert 'data-testid="hold-in-danger"' in listing
    page = centre.get(reverse("counseling:hold_detail", args=[surge.pk])).content.decode()
    assert "他站在窗台上" in page
    assert AuditEvent.objects.filter(action="read", object_type="counseling.reporthold").exists()
    confirmed = centre.post(reverse("counseling:held_report_confirm", args=[held.pk]))
    assert confirmed.status_code == 302
    report = Report.objects.get(idempotency_key=held.idempotency_key)
    assert report.case.level == 4 and report.case.student_id == world.student_a.pk
    status = browser().post(reverse("counseling:receipt"), {"code": code}).content.decode()
    assert 'data-status="received"' in status  # the same code opens the routed report
    # The rest is dismissed: audited, nothing deleted, the reporters read "closed".
    before = HeldReport.objects.count()
    bad = centre.post(reverse("counseling:hold_dismiss", args=[surge.pk]), {"reason": ""})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    done = centre.post(reverse("counseling:hold_dismiss", args=[surge.pk]), {"reason": "脚本刷屏"})
    assert done.status_code == 302
    assert HeldReport.objects.count() == before
    assert HeldReport.objects.filter(decision=HeldReport.Decision.DISMISSED).count() == 6
    event = AuditEvent.objects.get(action="crisis_report.hold_dismissed")
    assert event.actor_id == world["counselor"].pk and event.changes["dismissed"] == 6
    surge.refresh_from_db()
    assert surge.status == ReportHold.Status.RESOLVED and surge.source_key == ""


def test_only_the_centre_sees_held_reports(world, client_for):
    set_limits(per_address={"free": 0, "max": 5, "minutes": 60})
    _send_anonymous(browser())
    hold = ReportHold.objects.get()
    held = hold.reports.get()
    for persona in ("student", "liaison", "station", "assessor", "aidofficer", "visitor"):
        client = client_for(world[persona])
        assert client.get(reverse("counseling:holds")).status_code in (403, 404), persona
        assert client.get(reverse("counseling:hold_detail", args=[hold.pk])).status_code in (403, 404), persona
        assert client.post(reverse("counseling:held_report_confirm", args=[held.pk])).status_code in (403, 404)
    held.refresh_from_db()
    assert held.decision == HeldReport.Decision.HELD


@time_machine.travel(NOON, tick=False)
def test_a_held_report_reads_exactly_like_a_routed_one(world):
    set_limits(per_address={"free": 1, "max": 5, "minutes": 60})
    client = browser()
    pages = []
    for _ in range(2):  # the first is routed, the second held
        sent = _send_anonymous(client)
        received = client.get(sent["Location"])
        code = re.search(rb"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", received.content).group().decode()
        pages.append(
            (
                normalised(received.content),
                normalised(browser().post(reverse("counseling:receipt"), {"code": code}).content),
            )
        )
    assert HeldReport.objects.count() == 1
    assert pages[0] == pages[1]


def test_when_redis_is_down_the_school_wide_limit_still_holds(world, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    set_limits(per_address={"free": 1, "max": 2, "minutes": 60}, school={"free": 2, "max": 4, "minutes": 60})
    client = browser()
    statuses = [_send_anonymous(client).status_code for _ in range(6)]
    assert statuses == [302, 302, 302, 302, 429, 429]  # per address uncounted; school-wide: 2 routed, 2 held
    assert Case.objects.count() == 2 and HeldReport.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_burst_racing_from_threads_collects_into_one_hold(world):
    errors: list[BaseException] = []

    def send() -> None:
        try:
            services.report_hold(
                kind=ReportHold.Kind.ADDRESS,
                source_key="race",
                student=None,
                subject_given="?",
                relation="other",
                signs=[Sign.MOOD],
                narrative="刷",
                when_where="",
                in_danger=False,
                idempotency_key=uuid.uuid4(),
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ReportHold.objects.filter(source_key="race").count() == 1
    assert HeldReport.objects.count() == 8


# --- 7. The receipt guesser behind the campus NAT ------------------------------------------------------------


def test_a_guesser_behind_the_nat_is_throttled_but_the_real_reporter_gets_in(world):
    report = submit_report(reporter=None, anonymous=True, student=world.student_a)
    nat = _address()
    guesser = browser(nat)
    answers = [
        guesser.post(reverse("counseling:receipt"), {"code": f"ZZZZ-ZZZZ-{i:04d}"}).status_code for i in range(15)
    ]
    assert answers[:10] == [200] * 10 and answers[10:] == [429] * 5
    reporter = browser(nat)  # another student behind the same address
    page = reporter.post(reverse("counseling:receipt"), {"code": services.receipt_code_for(report.idempotency_key)})
    assert page.status_code == 200 and 'data-testid="receipt-report"' in page.content.decode()


def test_a_double_click_at_the_limit_makes_one_report_not_a_report_and_a_held_copy(world):
    """The first click is routed, the second (same token) arrives after the count crossed the limit."""
    key = uuid.uuid4()
    routed = submit_report(reporter=None, anonymous=True, student=world.student_a, key=key)
    again, created = services.report_hold(
        kind=ReportHold.Kind.ADDRESS,
        source_key="double-click",
        student=world.student_a,
        subject_given="?",
        relation="roommate",
        signs=[Sign.MOOD],
        narrative="同一份报告",
        when_where="",
        in_danger=False,
        idempotency_key=key,
    )
    assert (again, created) == (routed, False)
    assert not HeldReport.objects.exists() and not ReportHold.objects.exists()
