"""Helpers shared by the appointments tests (no tests here)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from counseling import services
from counseling.models import Booking, Slot
from portal.models import Student, User


def make_slot(counsellor: User, *, in_hours: float = 48, minutes: int = 50, **fields: object) -> Slot:
    starts_at = (timezone.now() + timedelta(hours=in_hours)).replace(second=0, microsecond=0)
    return Slot.objects.create(
        counsellor=counsellor, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), **fields
    )


def book(student: Student, slot: Slot, **kwargs: object) -> Booking:
    params = {"reason": "考试压力大，睡不好", "first_visit": False, "preferred_gender": "", "consent": True}
    params.update(kwargs)
    return services.booking_create(actor=student.user, student=student, slot=slot, **params)


def past_booking(student: Student, counsellor: User, *, hours_ago: float, status: str) -> Booking:
    """A booking of a session in the past, written directly (services refuse past slots by design)."""
    slot = make_slot(counsellor, in_hours=-hours_ago, status=Slot.Status.BOOKED)
    return Booking.objects.create(
        slot=slot, student=student, status=status, consent_at=slot.starts_at - timedelta(days=1)
    )
