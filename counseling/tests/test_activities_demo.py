"""The activities demo: coverage numbers, an upcoming event with a waitlist, two journal issues; once."""

import pytest
from django.utils import timezone

from counseling import selectors
from counseling.academic_year import academic_year_of
from counseling.models import ArticleRead, Event, EventSignup, JournalIssue
from portal import demo
from portal.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_events_coverage_and_journal_and_a_second_run_creates_nothing():
    first = demo.seed_demo()["created"]
    assert first["counseling.event"] == 4
    assert first["counseling.journalissue"] == 2

    workshop = Event.objects.get(title="压力管理工作坊")
    statuses = list(workshop.signups.values_list("status", flat=True))
    assert statuses.count(EventSignup.Status.SIGNED_UP) == 5
    assert statuses.count(EventSignup.Status.WAITLISTED) == 3
    student = User.objects.get(username="student").student
    assert workshop in selectors.events_for_student(student)
    assert not workshop.signups.filter(student=student).exists()

    counselor = User.objects.get(username="counselor")
    rows = selectors.coverage_by_college(counselor, year=academic_year_of(timezone.localdate()))
    assert len(rows) == 3 and all(r.covered > 0 for r in rows)
    assert JournalIssue.objects.filter(published_at__isnull=False).count() == 2
    assert ArticleRead.objects.exists()

    counts = (Event.objects.count(), EventSignup.objects.count(), JournalIssue.objects.count())
    second = demo.seed_demo()["created"]
    assert not any(label.startswith("counseling.event") or label.startswith("counseling.journal") for label in second)
    assert (Event.objects.count(), EventSignup.objects.count(), JournalIssue.objects.count()) == counts


def test_a_second_run_of_the_step_costs_a_few_queries(django_assert_max_num_queries):
    from counseling.demo.activities import seed_activities

    school = demo.seed_demo()["school"]
    with django_assert_max_num_queries(10):
        assert not any(seed_activities(school).values())
