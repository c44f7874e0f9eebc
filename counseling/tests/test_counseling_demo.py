"""The crisis network's demo data: a living queue for each role, written once."""

import pytest
from django.apps import apps
from django.utils import timezone

from counseling import selectors
from counseling.models import Case, Report, ZeroReport
from portal import access, demo
from portal.kernel.dates import month_start
from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> dict:
    return demo.seed_demo()


def login(username: str) -> User:
    return User.objects.get(username=username)


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models(include_auto_created=True)}


def test_the_station_queue_has_every_level_one_overdue_and_one_anonymous(seeded):
    queue = list(selectors.triage_queue(login("station")))
    assert {c.level for c in queue} == {1, 2, 3, 4}
    assert {c.college.code for c in queue} == {"CS"}
    overdue = [c for c in queue if c.ack_overdue]
    assert [(c.level, c.status) for c in overdue] == [(3, Case.Status.NEW)]
    assert Report.objects.filter(case__in=queue, anonymous=True, reporter__isnull=True).count() == 1
    assert list(selectors.triage_queue(login("station"), overdue=True)) != []
    closed = selectors.triage_queue(login("station"), status=Case.Status.CLOSED)
    assert closed.count() == 1


def test_every_status_and_the_centre_queue(seeded):
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert Case.objects.filter(student__isnull=True, college__isnull=True, status=Case.Status.NEW).count() == 1
    centre = selectors.triage_queue(login("counselor"))
    assert {c.college.code if c.college else None for c in centre} == {"CS", "ME", "EM", None}
    assert Case.objects.filter(assessments__isnull=False).exists()
    assert Case.objects.filter(actions__kind="hospital").exists()


def test_the_demo_student_has_no_case_and_liaison_and_committee_see_their_reports(seeded):
    assert not Case.objects.filter(student__user__username__in=["student", "liaison", "committee"]).exists()
    liaison = {v.status for v in selectors.reports_by(login("liaison"))}
    assert liaison == {"seen", "closed"}
    assert {v.status for v in selectors.reports_by(login("committee"))} == {"received"}


def test_the_assessor_has_cases_assigned(seeded):
    assigned = selectors.my_assigned_cases(login("assessor"))
    assert {c.college.code for c in assigned} == {"CS", "ME"}
    assert set(access.visible(login("assessor"), Case)) == set(assigned)


def test_zero_reports_this_month_for_some_classes_but_not_the_committee_logins(seeded):
    month = month_start(timezone.localdate())
    filed = set(ZeroReport.objects.filter(month=month).values_list("class_group__name", flat=True))
    assert len(filed) == 6 and "软件2401班" not in filed
    assert ZeroReport.objects.filter(month=month, nothing_to_report=False).count() == 2
    history = selectors.zero_report_history(login("committee"))
    assert [m["report"] is not None for m in history[0]["months"][:3]] == [False, True, True]
    overview = selectors.zero_report_overview(login("counselor"))
    assert {r["status"] for r in overview} == {"filed", "concern", "missing"}


def test_the_dashboard_has_something_to_show(seeded):
    data = selectors.dashboard(login("station"))
    assert data["overdue_ack"] == 1 and data["overdue_touchpoints"] == 1
    assert sum(data["weekly"]["counts"]) == Report.objects.filter(case__college__code="CS").count()
    assert sum(1 for n in data["weekly"]["counts"] if n) >= 3


def test_a_second_run_adds_nothing(seeded, django_assert_max_num_queries):
    assert seeded["created"]["counseling.case"] == 11
    assert seeded["created"]["counseling.report"] == 11
    before = row_counts()
    with django_assert_max_num_queries(250):  # every app's step checks its own marker rows
        again = demo.seed_demo()
    assert again["created"] == {}
    assert row_counts() == before
