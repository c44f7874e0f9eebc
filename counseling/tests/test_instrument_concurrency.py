"""Two loads of the same definition at once, and two first uses of a shipped instrument at once: real
PostgreSQL transactions from several threads; one row each, never a 500."""

from __future__ import annotations

import uuid

import pytest

from counseling.models import InstrumentDefinition, ScreeningResult
from counseling.services import instrument_definition_load, screening_submit
from counseling.tests.test_instrument_definitions import UPI
from portal.models import Student
from portal.tests.concurrency import race
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_file_loaded_twice_at_once_is_stored_once():
    results, errors = race([lambda: instrument_definition_load(actor=None, data=UPI, filename="u.toml")] * 4)
    assert errors == [] and len(results) == 4
    assert InstrumentDefinition.objects.filter(code="upi_like").count() == 1
    assert sum(r.created for r in results) == 1
    # The others either found it (same checksum) or lost the race on the unique constraint: never a half load.
    assert all(r.ok or "already loaded" in r.errors[0].message for r in results)


def test_two_versions_loaded_at_once_are_both_kept():
    v2 = UPI.replace("version = 1", "version = 2")
    calls = [lambda t=t: instrument_definition_load(actor=None, data=t, filename="u") for t in (UPI, v2)]
    results, errors = race(calls)
    assert errors == [] and all(r.created for r in results)
    assert sorted(InstrumentDefinition.objects.values_list("version", flat=True)) == [1, 2]


def test_the_first_phq9_answers_at_once_store_its_definition_once(world):
    students = [StudentFactory(class_group=world.class_a) for _ in range(4)]
    calls = [
        lambda s=s: screening_submit(
            student=Student.objects.get(pk=s.pk), instrument="phq9", answers=[0] * 9, idempotency_key=uuid.uuid4()
        )
        for s in students
    ]
    results, errors = race(calls)
    assert errors == [] and len(results) == 4
    assert InstrumentDefinition.objects.filter(code="phq9").count() == 1
    assert ScreeningResult.objects.filter(definition__code="phq9").count() == 4
