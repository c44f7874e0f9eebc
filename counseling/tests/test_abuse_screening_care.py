"""Attacker stories from screening to care: a curious classmate guessing ids, an insider widening their scope
by posting another id, a double submit and two counsellors recording at the same moment."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling.models import Instrument, InterviewOutcome, Retest, ScreeningResult
from counseling.services import campaign_create, outcome_record, screening_submit
from portal.services import DomainError
from portal.tests.concurrency import race

POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]


def _positive(world, student):
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world["counselor"],
        title="普查",
        enrolment_year=student.enrolment_year,
        opens_on=today,
        closes_on=today + timedelta(days=7),
        instruments_chosen=[Instrument.PHQ9],
    )
    return screening_submit(
        student=student, instrument=Instrument.PHQ9, answers=POSITIVE, idempotency_key=uuid.uuid4(), campaign=campaign
    )


@pytest.mark.django_db
def test_a_classmate_guessing_a_result_id_learns_nothing(world, client_for):
    result = _positive(world, world.student_a)
    client = client_for(world.roommate_a.user)
    url = reverse("counseling:outcome_record", args=[result.pk])
    missing = reverse("counseling:outcome_record", args=[result.pk + 1000])
    real, fake = client.post(url, {"outcome": "no_concern"}), client.post(missing, {"outcome": "no_concern"})
    assert real.status_code == fake.status_code == 404

    # The same page, bar the path asked for and the per-request tokens: nothing tells the two apart.
    def page(response, path: str) -> str:
        return re.sub(r"[A-Za-z0-9+/=_-]{32,}", "", response.content.decode().replace(path, ""))

    assert page(real, url) == page(fake, missing)
    assert world.student_a.name not in page(real, url)
    assert not InterviewOutcome.objects.exists()


@pytest.mark.django_db
def test_a_station_cannot_widen_its_scope_by_posting_another_colleges_result(world, client_for):
    result = _positive(world, world.student_b)  # college B
    response = client_for(world["station"]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "referred", "note": "x"}
    )
    assert response.status_code == 404
    assert not InterviewOutcome.objects.exists()


@pytest.mark.django_db
def test_a_station_cannot_take_the_positive_list_by_changing_the_url(world, client_for):
    result = _positive(world, world.student_a)
    response = client_for(world["station"]).get(
        reverse("counseling:campaign_export_positives", args=[result.campaign_id])
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_student_cannot_conclude_their_own_interview(world, client_for):
    result = _positive(world, world.student_a)
    response = client_for(world["student"]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "no_concern"}
    )
    assert response.status_code == 403
    assert not InterviewOutcome.objects.exists()


@pytest.mark.django_db
def test_a_double_submit_records_one_outcome(world, client_for):
    result = _positive(world, world.student_a)
    client = client_for(world["station"])
    url = reverse("counseling:outcome_record", args=[result.pk])
    client.post(url, {"outcome": "follow_up"})
    client.post(url, {"outcome": "follow_up"})
    assert InterviewOutcome.objects.count() == 1
    assert Retest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_counsellors_recording_at_once_record_one_outcome(world):
    result = _positive(world, world.student_a)
    actors = [world["station"], world["counselor"], world["station"], world["counselor"]]
    kinds = ["follow_up", "care_list", "referred", "no_concern"]
    results, errors = race(
        [
            lambda a=a, k=k: outcome_record(actor=a, result=ScreeningResult.objects.get(pk=result.pk), outcome=k)
            for a, k in zip(actors, kinds, strict=True)
        ]
    )
    assert len(results) == 1, errors
    assert len(errors) == 3 and all(isinstance(e, DomainError) for e in errors), errors
    assert InterviewOutcome.objects.count() == 1
    expected_retests = 1 if results[0].outcome == "follow_up" else 0
    assert Retest.objects.count() == expected_retests
