"""Attacker stories against appointments (issue 13).

- The curious classmate: guesses the id of a roommate's booking to cancel it, read it, or download its
  calendar file (which would tell when and with whom they see a counsellor). Every answer is the 404 of a
  booking that does not exist, and the booking stays as it was.
- The impatient student: wants two future appointments though the rule allows one, first one after the
  other, then by a script that posts several bookings at the same instant (real PostgreSQL transactions from
  threads, each through its own signed-in browser).
- The queue-jumper: takes a slot held for a waitlisted student, or accepts another student's offer.
- The student with a record: marks their own no-show away, or lifts their own booking restriction.

The clock is pinned (a Wednesday morning, Asia/Shanghai) so booking windows and the 12-hour cancellation
rule give the same answers on any day at any hour.
"""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from counseling import services
from counseling.models import Booking, BookingRestriction, Slot, WaitlistEntry
from counseling.tests.test_appointments_helpers import book, make_slot, past_booking
from portal.models import AuditEvent

S = Booking.Status
MISSING = 2_000_000_000
WEDNESDAY_MORNING = datetime(2026, 3, 11, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def pinned_clock():
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        yield


@pytest.mark.django_db
def test_a_classmate_cannot_cancel_read_or_download_another_students_booking(world, client_for, pinned_clock):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=30), reason="和父母关系紧张")
    classmate = client_for(world.roommate_a.user)
    answers = {
        "cancel": (
            classmate.post(reverse("counseling:booking_cancel", args=[booking.pk])).status_code,
            classmate.post(reverse("counseling:booking_cancel", args=[MISSING])).status_code,
        ),
        "ics": (
            classmate.get(reverse("counseling:booking_ics", args=[booking.pk])).status_code,
            classmate.get(reverse("counseling:booking_ics", args=[MISSING])).status_code,
        ),
        "outcome": (
            classmate.post(
                reverse("counseling:booking_outcome", args=[booking.pk]), {"outcome": "attended"}
            ).status_code,
            classmate.post(reverse("counseling:booking_outcome", args=[MISSING]), {"outcome": "attended"}).status_code,
        ),
    }
    assert answers == {"cancel": (404, 404), "ics": (404, 404), "outcome": (404, 404)}
    mine = classmate.get(reverse("counseling:my_bookings")).content.decode()
    assert "和父母关系紧张" not in mine and world["counselor"].display_name not in mine
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED


@pytest.mark.django_db
def test_a_station_counsellor_who_does_not_hold_the_slot_cannot_download_its_calendar_or_read_the_reason(
    world, client_for, pinned_clock
):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=30), reason="和父母关系紧张")
    for persona in ("station", "station_b"):
        client = client_for(world[persona])
        assert client.get(reverse("counseling:booking_ics", args=[booking.pk])).status_code == 404
        assert client.post(reverse("counseling:booking_cancel", args=[booking.pk])).status_code == 404
        assert "和父母关系紧张" not in client.get(reverse("counseling:agenda") + "?period=week").content.decode()


@pytest.mark.django_db
def test_a_student_with_one_future_booking_cannot_book_a_second_one(world, client_for, pinned_clock):
    first, second = make_slot(world["counselor"], in_hours=30), make_slot(world["station"], in_hours=52)
    client = client_for(world["student"])
    client.post(reverse("counseling:booking_new", args=[first.pk]), {"reason": "想聊聊", "consent": "on"})
    response = client.post(reverse("counseling:booking_new", args=[second.pk]), {"reason": "再约", "consent": "on"})
    assert "already have an upcoming appointment" in response.content.decode()
    assert list(Booking.objects.filter(student=world.student_a).values_list("slot_id", flat=True)) == [first.pk]
    second.refresh_from_db()
    assert second.status == Slot.Status.OPEN


@pytest.mark.django_db
def test_a_student_cannot_book_in_someone_elses_name_by_adding_a_student_field(world, client_for, pinned_clock):
    slot = make_slot(world["counselor"], in_hours=30)
    client_for(world["student"]).post(
        reverse("counseling:booking_new", args=[slot.pk]),
        {"reason": "想聊聊", "consent": "on", "student": world.roommate_a.pk, "student_id": world.roommate_a.pk},
    )
    assert Booking.objects.get(slot=slot).student == world.student_a
    assert not Booking.objects.filter(student=world.roommate_a).exists()


@pytest.mark.django_db(transaction=True)
def test_a_script_posting_five_bookings_at_once_gets_exactly_one(world, pinned_clock):
    """Five browsers of the same student, released together by a barrier: one booking, four refusals, no 500."""
    slots = [make_slot(world["counselor"], in_hours=26 + 6 * i) for i in range(5)]
    browsers = []
    for _ in slots:
        browser = Client(HTTP_ACCEPT_LANGUAGE="en")
        browser.force_login(world["student"], backend="django.contrib.auth.backends.ModelBackend")
        browsers.append(browser)
    barrier = threading.Barrier(len(slots))
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post(browser: Client, slot: Slot) -> None:
        try:
            with translation.override("en"):
                barrier.wait(timeout=20)
                response = browser.post(
                    reverse("counseling:booking_new", args=[slot.pk]), {"reason": "脚本", "consent": "on"}
                )
            with lock:
                statuses.append(response.status_code)
        except BaseException as exc:  # anything but an answer fails the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=pair) for pair in zip(browsers, slots, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert 500 not in statuses and len(statuses) == len(slots)
    assert Booking.objects.filter(student=world.student_a).count() == 1
    assert Slot.objects.filter(pk__in=[s.pk for s in slots], status=Slot.Status.BOOKED).count() == 1


@pytest.mark.django_db
def test_a_student_cannot_take_a_slot_held_for_a_waitlisted_classmate(world, client_for, pinned_clock):
    entry = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=world["counselor"])
    slot = make_slot(world["counselor"], in_hours=30)
    services.waitlist_offer_open_slots()
    entry.refresh_from_db()
    slot.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED and slot.status == Slot.Status.HELD

    jumper = client_for(world["student"])
    response = jumper.post(reverse("counseling:booking_new", args=[slot.pk]), {"reason": "插队", "consent": "on"})
    assert "held for a student from the waitlist" in response.content.decode()
    # Accepting the classmate's offer by its id: the 404 of an entry that does not exist.
    for pk in (entry.pk, MISSING):
        assert jumper.post(reverse("counseling:waitlist_accept", args=[pk]), {"consent": "on"}).status_code == 404
        assert jumper.get(reverse("counseling:waitlist_accept", args=[pk])).status_code == 404
        assert jumper.post(reverse("counseling:waitlist_leave", args=[pk])).status_code == 404
    assert not Booking.objects.filter(slot=slot).exists()
    entry.refresh_from_db()
    slot.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED and slot.held_for == world.roommate_a

    # The classmate still gets the slot they were offered.
    client_for(world.roommate_a.user).post(reverse("counseling:waitlist_accept", args=[entry.pk]), {"consent": "on"})
    assert Booking.objects.get(slot=slot).student == world.roommate_a


@pytest.mark.django_db
def test_a_student_cannot_mark_their_own_no_show_away(world, client_for, pinned_clock):
    no_show = past_booking(world.student_a, world["counselor"], hours_ago=30, status=S.NO_SHOW)
    awaiting = past_booking(world.student_a, world["counselor"], hours_ago=3, status=S.AWAITING_OUTCOME)
    client = client_for(world["student"])
    for booking in (no_show, awaiting):
        for outcome in ("attended", "late_cancelled"):
            response = client.post(reverse("counseling:booking_outcome", args=[booking.pk]), {"outcome": outcome})
            assert response.status_code == 403
        assert client.post(reverse("counseling:booking_cancel", args=[booking.pk])).status_code == 302
    no_show.refresh_from_db()
    awaiting.refresh_from_db()
    assert (no_show.status, awaiting.status) == (S.NO_SHOW, S.AWAITING_OUTCOME)


@pytest.mark.django_db
def test_a_restricted_student_cannot_lift_their_own_restriction_or_book_around_it(world, client_for, pinned_clock):
    counselor = world["counselor"]
    for hours in (48, 8):
        booking = past_booking(world.student_a, counselor, hours_ago=hours, status=S.AWAITING_OUTCOME)
        services.booking_mark_outcome(actor=counselor, booking=booking, outcome=S.NO_SHOW)
    restriction = BookingRestriction.objects.get(student=world.student_a, lifted_at__isnull=True)

    client = client_for(world["student"])
    assert client.post(reverse("counseling:restriction_lift", args=[restriction.pk])).status_code == 403
    restriction.refresh_from_db()
    assert restriction.lifted_at is None
    # A booking made now waits for a counsellor's approval, whatever the POST claims.
    slot = make_slot(counselor, in_hours=30)
    client.post(
        reverse("counseling:booking_new", args=[slot.pk]),
        {"reason": "想聊聊", "consent": "on", "status": "confirmed", "approved": "1"},
    )
    assert Booking.objects.get(slot=slot).status == S.PENDING
    # And the student cannot approve it themself (approval is staff's: the 404 of a booking they cannot see).
    pending = Booking.objects.get(slot=slot)
    assert client.post(reverse("counseling:booking_approve", args=[pending.pk])).status_code == 404
    assert Booking.objects.get(slot=slot).status == S.PENDING
    assert not AuditEvent.objects.filter(actor=world["student"], action__icontains="lift").exists()
