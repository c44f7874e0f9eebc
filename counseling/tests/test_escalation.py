"""The scheduled scans of the crisis network, with frozen time: acknowledgement escalation, overdue
touchpoints, missing monthly zero reports. Each alert is an outbox row (Reminder, unique dedupe_key)
that reminders_dispatch_due turns into a Notification; every scan runs twice to prove it idempotent."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import translation

from counseling import services, tasks
from counseling.models import Case, CaseEvent, Sign, ZeroReport
from counseling.tests.factories import open_case
from portal import config
from portal.models import Notification, Reminder, Role, Setting
from portal.services import reminders_dispatch_due
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday morning


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are cached per process: start and end each test without the cache."""
    config.clear_cache()
    with translation.override("en"):
        yield
    config.clear_cache()


def staff(username: str, role: str, **scope: object):
    user = StaffFactory(user=UserFactory(username=username), name=username).user
    grant(user, role, **scope)
    return user


def case_at(when: datetime, **kwargs: object) -> Case:
    with time_machine.travel(when, tick=False):
        return open_case(**kwargs)


def ack_alerts(case: Case, channel: str = "in_app") -> dict[int, set[str]]:
    """{stage: usernames} of the case's acknowledgement escalations in the outbox."""
    stages: dict[int, set[str]] = {}
    prefix = f"crisis:case:{case.pk}:ack-escalation:"
    for key, username in Reminder.objects.filter(dedupe_key__startswith=prefix, channel=channel).values_list(
        "dedupe_key", "recipient__username"
    ):
        stages.setdefault(int(key[len(prefix) :].split(":")[0]), set()).add(username)
    return stages


def scan_at(when: datetime, task=tasks.escalate_overdue_acknowledgements, times: int = 2) -> list[int]:
    """Run the beat task (the thin Celery function) `times` times at `when`."""
    with time_machine.travel(when, tick=False):
        return [task() for _ in range(times)]


# --- Acknowledgement escalation ------------------------------------------------------------------------


def test_a_level_4_report_escalates_to_station_and_on_call_then_to_the_director(world):
    case = case_at(T0, student=world.student_a, in_danger=True)
    assert case.level == 4
    assert scan_at(T0 + timedelta(minutes=29)) == [0, 0]
    assert ack_alerts(case) == {}

    assert scan_at(T0 + timedelta(minutes=31)) == [1, 0]
    # No lead is marked: every station counsellor of the college, every centre counsellor.
    assert ack_alerts(case) == {1: {"station", "counselor"}}
    assert ack_alerts(case, "email") == {1: {"station", "counselor"}}

    assert scan_at(T0 + timedelta(minutes=59)) == [0, 0]
    assert scan_at(T0 + timedelta(minutes=61)) == [1, 0]
    assert ack_alerts(case) == {1: {"station", "counselor"}, 2: {"counselor"}}
    assert scan_at(T0 + timedelta(hours=5)) == [0, 0]
    assert Reminder.objects.filter(dedupe_key__contains="ack-escalation").count() == 6  # 3 in-app + 3 e-mail

    escalations = case.events.filter(kind=CaseEvent.Kind.ESCALATION)
    assert [e.data["stage"] for e in escalations] == [1, 2]
    case.refresh_from_db()
    assert case.escalation_stage == 2

    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        reminders_dispatch_due()
        reminders_dispatch_due()
    titles = Notification.objects.filter(
        title__startswith="Not acknowledged in time", url=f"/counseling/cases/{case.pk}/"
    )
    assert sorted(titles.values_list("recipient__username", flat=True)) == ["counselor", "counselor", "station"]
    assert not Notification.objects.filter(recipient=world["station_b"]).exists()
    assert len([m for m in mail.outbox if m.subject.startswith("Not acknowledged in time")]) == 3


def test_leads_and_on_call_are_told_when_they_are_named(world):
    head = staff("head", Role.STATION_COUNSELLOR, college=world.college_a, is_lead=True)
    director = staff("director", Role.CENTRE_COUNSELLOR, is_lead=True)
    staff("oncall", Role.CENTRE_COUNSELLOR)
    Setting.objects.create(key="counseling.on_call_usernames", value=["oncall"])
    config.clear_cache()
    case = case_at(T0, student=world.student_a, in_danger=True)
    scan_at(T0 + timedelta(minutes=31))
    assert ack_alerts(case) == {1: {head.username, "oncall"}}
    scan_at(T0 + timedelta(minutes=61))
    assert ack_alerts(case)[2] == {director.username}


def test_a_scan_that_runs_late_still_tells_the_first_stage(world):
    """Beat was down for an hour: stage 2 is due at once, and stage 1's people must hear of it too."""
    case = case_at(T0, student=world.student_a, in_danger=True)
    assert scan_at(T0 + timedelta(minutes=95)) == [1, 0]
    assert ack_alerts(case) == {1: {"station", "counselor"}, 2: {"counselor"}}
    assert [e.data["stage"] for e in case.events.filter(kind=CaseEvent.Kind.ESCALATION)] == [1, 2]


def test_a_case_acknowledged_in_time_is_never_escalated(world):
    case = case_at(T0, student=world.student_a, in_danger=True)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.case_acknowledge(actor=world["station"], case=case)
    for minutes in (31, 61, 600, 7 * 24 * 60):
        assert scan_at(T0 + timedelta(minutes=minutes)) == [0, 0]
    assert ack_alerts(case) == {}
    assert not case.events.filter(kind=CaseEvent.Kind.ESCALATION).exists()


def test_acknowledging_between_the_stages_stops_the_second(world):
    case = case_at(T0, student=world.student_a, in_danger=True)
    scan_at(T0 + timedelta(minutes=31))
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        services.case_acknowledge(actor=world["station"], case=case)
    scan_at(T0 + timedelta(minutes=90))
    assert set(ack_alerts(case)) == {1}


@pytest.mark.parametrize(
    ("signs", "level", "limit"),
    [
        ([Sign.SUICIDE_TALK], 3, timedelta(hours=2)),
        ([Sign.CONFLICT], 2, timedelta(hours=24)),
        ([Sign.MOOD], 1, timedelta(hours=72)),
    ],
)
def test_each_level_has_its_own_limit(world, signs, level, limit):
    case = case_at(T0, student=world.student_a, level_signs=signs)
    assert case.level == level and case.ack_due_at == T0 + limit
    assert scan_at(T0 + limit - timedelta(minutes=1)) == [0, 0]
    assert scan_at(T0 + limit + timedelta(minutes=1)) == [1, 0]
    assert set(ack_alerts(case)) == {1}
    assert scan_at(T0 + 2 * limit + timedelta(minutes=1)) == [1, 0]
    assert set(ack_alerts(case)) == {1, 2}


def test_the_limits_are_a_setting(world):
    Setting.objects.create(key="counseling.ack_minutes", value={"1": 600, "2": 300, "3": 60, "4": 5})
    config.clear_cache()
    case = case_at(T0, student=world.student_a, in_danger=True)
    assert case.ack_due_at == T0 + timedelta(minutes=5)
    assert scan_at(T0 + timedelta(minutes=4)) == [0, 0]
    assert scan_at(T0 + timedelta(minutes=6)) == [1, 0]
    assert scan_at(T0 + timedelta(minutes=11)) == [1, 0]
    assert set(ack_alerts(case)) == {1, 2}


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_alert_once(world):
    cases = [
        case_at(T0, student=student, in_danger=True) for student in (world.student_a, world.roommate_a, world.student_b)
    ]
    errors: list[BaseException] = []

    def race(now: datetime) -> None:
        barrier = threading.Barrier(2)

        def scan() -> None:
            try:
                barrier.wait(timeout=10)
                services.escalate_overdue_acknowledgements(now=now)
            except BaseException as exc:  # re-raised in the test's thread below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=scan) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    race(T0 + timedelta(minutes=31))
    race(T0 + timedelta(minutes=61))
    assert not errors, errors
    for case in cases:
        assert {stage: len(users) for stage, users in ack_alerts(case).items()} == {1: 2, 2: 1}
        assert list(case.events.filter(kind=CaseEvent.Kind.ESCALATION).values_list("data__stage", flat=True)) == [1, 2]


# --- Overdue touchpoints -------------------------------------------------------------------------------


def touchpoint_alerts(case: Case) -> list[tuple[str, str]]:
    return sorted(
        Reminder.objects.filter(dedupe_key__startswith=f"crisis:case:{case.pk}:touchpoint", channel="in_app")
        .values_list("dedupe_key", "recipient__username")
        .order_by()
    )


def at_day(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_the_owner_is_reminded_once_then_the_station_head_once(world):
    head = staff("head", Role.STATION_COUNSELLOR, college=world.college_a, is_lead=True)
    case = case_at(T0, student=world.student_a)
    with time_machine.travel(T0, tick=False):
        services.case_acknowledge(actor=world["station"], case=case)
        services.case_assign_owner(actor=world["station"], case=case, owner=world["counselor"])
        services.case_set_touchpoint(actor=world["station"], case=case, on=date(2025, 3, 5))
    task = tasks.remind_overdue_touchpoints

    assert scan_at(at_day(date(2025, 3, 5)), task) == [0, 0]  # due today: not overdue yet
    assert scan_at(at_day(date(2025, 3, 6)), task) == [1, 0]
    assert touchpoint_alerts(case) == [
        (f"crisis:case:{case.pk}:touchpoint:2025-03-05:{world['counselor'].pk}:in_app", "counselor")
    ]
    assert scan_at(at_day(date(2025, 3, 7)), task) == [1, 0]  # two days late: the head
    assert sorted(u for _, u in touchpoint_alerts(case)) == ["counselor", head.username]
    assert scan_at(at_day(date(2025, 3, 12)), task) == [0, 0]
    assert case.events.filter(kind=CaseEvent.Kind.ESCALATION, data__why="touchpoint_overdue").count() == 1

    # A new touchpoint starts over.
    with time_machine.travel(at_day(date(2025, 3, 12)), tick=False):
        services.case_set_touchpoint(actor=world["station"], case=case, on=date(2025, 3, 13))
    assert scan_at(at_day(date(2025, 3, 14)), task) == [1, 0]
    assert [u for _, u in touchpoint_alerts(case)].count("counselor") == 2

    with time_machine.travel(at_day(date(2025, 3, 14)), tick=False):
        reminders_dispatch_due()
    assert Notification.objects.filter(recipient=world["counselor"], title__contains="touchpoint").count() == 2
    assert Notification.objects.filter(recipient=head, title__contains="follow-up is overdue").count() == 1


def test_the_grace_period_is_a_setting_and_no_owner_means_the_station(world):
    Setting.objects.create(key="counseling.touchpoint_escalate_days", value=5)
    config.clear_cache()
    case = case_at(T0, student=world.student_a)
    with time_machine.travel(T0, tick=False):
        services.case_acknowledge(actor=world["station"], case=case)
        services.case_set_touchpoint(actor=world["station"], case=case, on=date(2025, 3, 4))
    scan_at(at_day(date(2025, 3, 6)), tasks.remind_overdue_touchpoints)
    assert [u for _, u in touchpoint_alerts(case)] == ["station"]
    scan_at(at_day(date(2025, 3, 8)), tasks.remind_overdue_touchpoints)
    assert len(touchpoint_alerts(case)) == 1
    scan_at(at_day(date(2025, 3, 9)), tasks.remind_overdue_touchpoints)
    assert len(touchpoint_alerts(case)) == 2  # + the station head (no lead: the station counsellors)


def test_closed_cases_are_not_reminded(world):
    case = case_at(T0, student=world.student_a)
    with time_machine.travel(T0, tick=False):
        services.case_acknowledge(actor=world["station"], case=case)
        services.case_set_touchpoint(actor=world["station"], case=case, on=date(2025, 3, 4))
        services.case_transition(actor=world["station"], case=case, to_status=Case.Status.CLOSED, reason="resolved")
    assert scan_at(at_day(date(2025, 3, 10)), tasks.remind_overdue_touchpoints) == [0, 0]
    assert touchpoint_alerts(case) == []


# --- Missing monthly zero reports --------------------------------------------------------------------


def zero_alerts() -> set[tuple[str, str]]:
    """(kind, username) of the zero-report reminders in the outbox."""
    rows = Reminder.objects.filter(dedupe_key__startswith="zero:", dedupe_key__contains=":2025-03:")
    return {(key.split(":")[3], user) for key, user in rows.values_list("dedupe_key", "recipient__username")}


@pytest.fixture
def second_class_filed(world):
    """Class B has its own committee member, who has filed this month."""
    member = StudentFactory(class_group=world.class_b, user=UserFactory(username="member_b")).user
    grant(member, Role.CLASS_COMMITTEE, class_group=world.class_b)
    with time_machine.travel(at_day(date(2025, 3, 2)), tick=False):
        services.zero_report_file(
            actor=member, class_group=world.class_b, month=date(2025, 3, 1), nothing_to_report=True
        )
    return member


def test_zero_reports_nothing_before_the_fifth(world, second_class_filed):
    assert scan_at(at_day(date(2025, 3, 4), 23), tasks.remind_missing_zero_reports) == [0, 0]
    assert zero_alerts() == set()


def test_zero_reports_remind_the_members_from_the_fifth_and_the_station_from_the_tenth(world, second_class_filed):
    task = tasks.remind_missing_zero_reports
    scan_at(at_day(date(2025, 3, 5)), task)
    assert zero_alerts() == {("remind", "committee")}
    scan_at(at_day(date(2025, 3, 9)), task)
    assert zero_alerts() == {("remind", "committee")}
    assert Reminder.objects.filter(dedupe_key__startswith="zero:").count() == 1

    scan_at(at_day(date(2025, 3, 10)), task)
    scan_at(at_day(date(2025, 3, 20)), task)
    assert zero_alerts() == {("remind", "committee"), ("escalate", "station")}
    assert Reminder.objects.filter(dedupe_key__startswith="zero:").count() == 2

    with time_machine.travel(at_day(date(2025, 3, 20)), tick=False):
        reminders_dispatch_due()
    assert Notification.objects.get(recipient=world["committee"]).url == "/counseling/zero-report/"
    assert "软件2401班" in Notification.objects.get(recipient=world["station"]).title
    assert not Notification.objects.filter(recipient__username__in=["member_b", "station_b"]).exists()


def test_a_class_that_files_late_is_not_escalated(world, second_class_filed):
    scan_at(at_day(date(2025, 3, 5)), tasks.remind_missing_zero_reports)
    with time_machine.travel(at_day(date(2025, 3, 8)), tick=False):
        services.zero_report_file(
            actor=world["committee"], class_group=world.class_a, month=date(2025, 3, 1), nothing_to_report=True
        )
    scan_at(at_day(date(2025, 3, 10)), tasks.remind_missing_zero_reports)
    assert zero_alerts() == {("remind", "committee")}


def test_each_month_is_reminded_afresh(world, second_class_filed):
    scan_at(at_day(date(2025, 3, 5)), tasks.remind_missing_zero_reports)
    scan_at(at_day(date(2025, 4, 5)), tasks.remind_missing_zero_reports)
    keys = set(Reminder.objects.filter(dedupe_key__startswith="zero:").values_list("dedupe_key", flat=True))
    assert {k.split(":")[2] for k in keys if k.endswith(f":remind:{world['committee'].pk}:in_app")} == {
        "2025-03",
        "2025-04",
    }
    # April: class B has not filed either, so its member is reminded too.
    assert any(k.startswith(f"zero:{world.class_b.pk}:2025-04:remind:") for k in keys)
    assert ZeroReport.objects.count() == 1
