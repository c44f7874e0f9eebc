"""The appointments demo: two weeks of schedules, a few bookings (not for `student`), a waitlist; once."""

import pytest

from counseling.models import AvailabilityTemplate, Booking, Slot, WaitlistEntry
from portal import demo
from portal.models import Staff

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_schedules_bookings_and_a_waitlist_and_a_second_run_adds_nothing():
    demo.seed_demo()
    for username in ("station", "counselor"):
        assert AvailabilityTemplate.objects.filter(counsellor__username=username).exists()
        assert Slot.objects.filter(counsellor__username=username).count() >= 4
        assert Staff.objects.get(user__username=username).gender
    assert Booking.objects.count() >= 2
    assert not Booking.objects.filter(student__user__username="student").exists()
    assert not WaitlistEntry.objects.filter(student__user__username="student").exists()
    assert WaitlistEntry.objects.exists()
    counts = (Slot.objects.count(), Booking.objects.count(), WaitlistEntry.objects.count())
    second = demo.seed_demo()
    assert (Slot.objects.count(), Booking.objects.count(), WaitlistEntry.objects.count()) == counts
    assert not {k: v for k, v in second["created"].items() if k in ("counseling.slot", "counseling.booking")}
