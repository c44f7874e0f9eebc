"""One booking per slot and one future booking per student, whatever the concurrency: real PostgreSQL
transactions from many threads, each on its own connection, released together by a barrier."""

from __future__ import annotations

import pytest

from counseling.models import Booking, Slot
from counseling.tests.test_appointments_helpers import book, make_slot
from portal.models import Student
from portal.services import DomainError
from portal.tests.concurrency import race
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_students_at_one_slot_get_exactly_one_booking(world):
    slot = make_slot(world["counselor"], in_hours=30)
    students = [StudentFactory(class_group=world.class_a) for _ in range(20)]
    results, errors = race([lambda s=s: book(Student.objects.get(pk=s.pk), Slot(pk=slot.pk)) for s in students])
    assert len(results) == 1, errors[:2]
    assert len(errors) == 19
    assert all(isinstance(e, DomainError) for e in errors), errors
    assert Booking.objects.filter(slot=slot).count() == 1
    assert Slot.objects.get(pk=slot.pk).status == Slot.Status.BOOKED


def test_one_student_booking_two_slots_at_once_gets_one(world):
    slots = [make_slot(world["counselor"], in_hours=30), make_slot(world["counselor"], in_hours=50)]
    student = world.student_a
    results, errors = race([lambda s=s: book(Student.objects.get(pk=student.pk), s) for s in slots])
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], DomainError)
    assert "upcoming appointment" in str(errors[0])
    assert Booking.objects.filter(student=student).count() == 1
    statuses = sorted(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("status", flat=True))
    assert statuses == [Slot.Status.BOOKED, Slot.Status.OPEN]
