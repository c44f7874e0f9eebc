"""Query budgets from screening to care: the same count at 5 rows and at 50 (portal/tests/querybudget.py)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Instrument
from portal.tests.factories import ClassGroupFactory, CollegeFactory, StudentFactory
from portal.tests.querybudget import assert_bounded

pytestmark = pytest.mark.django_db

POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]


def _campaign(world, year=None, title="普查"):
    today = timezone.localdate()
    return services.campaign_create(
        actor=world["counselor"],
        title=title,
        enrolment_year=year or world.class_a.enrolment_year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9],
    )


def _submit(student, campaign=None, answers=POSITIVE):
    return services.screening_submit(
        student=student, instrument=Instrument.PHQ9, answers=answers, idempotency_key=uuid.uuid4(), campaign=campaign
    )


def test_the_summary_is_bounded_by_college(world, client_for):
    campaign = _campaign(world)

    def make(n):
        colleges = [CollegeFactory() for _ in range(n)]
        for college in colleges:
            class_group = ClassGroupFactory(college=college, enrolment_year=campaign.enrolment_year)
            _submit(StudentFactory(class_group=class_group), campaign)
        return [c.name for c in colleges]

    assert_bounded(client_for(world["counselor"]), reverse("counseling:campaign_summary", args=[campaign.pk]), make)


def test_my_history_is_bounded(world, client_for):
    def make(n):
        for _ in range(n):
            _submit(world.student_a, answers=[0] * 9)
        return ["Few or no signs of strain"]

    assert_bounded(client_for(world["student"]), reverse("counseling:screening_history"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_positives_with_outcomes_are_bounded(world, client_for, persona):
    campaign = _campaign(world)

    def make(n):
        students = StudentFactory.create_batch(n, class_group=world.class_a)
        for student in students:
            result = _submit(student, campaign)
            services.outcome_record(actor=world["counselor"], result=result, outcome="follow_up")
        return [s.name for s in students]

    url = reverse("counseling:campaign_positives", args=[campaign.pk])
    assert_bounded(client_for(world[persona]), url, make, budget=17)  # + the audit entry, + the outcomes
