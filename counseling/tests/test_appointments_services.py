"""Appointment rules, each way: booking, cancelling, no-shows and restrictions, approvals, the waitlist,
reminders, the calendar file, slot generation, session notes and the care e-file."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from counseling import selectors, services
from counseling.models import (
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    SessionNote,
    Sign,
    Slot,
    WaitlistEntry,
)
from counseling.tests.factories import open_case
from counseling.tests.test_appointments_helpers import book, make_slot, past_booking
from portal import config
from portal.models import AuditEvent, Holiday, Notification, Reminder, Setting
from portal.services import DomainError, reminders_dispatch_due

pytestmark = pytest.mark.django_db
S = Booking.Status


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the source strings); the site default is Chinese."""
    with translation.override("en"):
        yield


def set_config(key: str, value: object) -> None:
    Setting.objects.update_or_create(key=key, defaults={"value": value})
    config.clear_cache()


# --- Booking ----------------------------------------------------------------------------------------------


def test_it_books_an_open_slot_holds_it_and_schedules_both_reminders(world):
    slot = make_slot(world["counselor"], in_hours=48)
    booking = book(world.student_a, slot)
    slot.refresh_from_db()
    assert booking.status == S.CONFIRMED and booking.source == Booking.Source.STUDENT
    assert slot.status == Slot.Status.BOOKED
    keys = set(
        Reminder.objects.filter(dedupe_key__startswith=f"appt:{booking.pk}:").values_list("dedupe_key", "due_at")
    )
    assert (f"appt:{booking.pk}:24h", slot.starts_at - timedelta(hours=24)) in keys
    assert (f"appt:{booking.pk}:2h", slot.starts_at - timedelta(hours=2)) in keys
    assert (f"appt:{booking.pk}:24h:email", slot.starts_at - timedelta(hours=24)) in keys
    assert AuditEvent.objects.filter(action="booking.created", object_id=str(booking.pk)).exists()
    assert Booking.objects.get(pk=booking.pk).reason == "考试压力大，睡不好"


def test_a_past_slot_is_refused(world):
    slot = make_slot(world["counselor"], in_hours=-1)
    with pytest.raises(DomainError, match="already passed"):
        book(world.student_a, slot)
    assert not Booking.objects.exists()


def test_a_slot_beyond_the_booking_window_is_refused(world):
    slot = make_slot(world["counselor"], in_hours=24 * 15)
    with pytest.raises(DomainError, match="14 days"):
        book(world.student_a, slot)


def test_a_slot_held_for_another_student_is_refused_until_the_hold_runs_out(world):
    slot = make_slot(world["counselor"], in_hours=30)
    entry = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=None)
    services.waitlist_offer_open_slots()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.HELD and slot.held_for == world.roommate_a
    with pytest.raises(DomainError, match="held for a student"):
        book(world.student_a, slot)
    assert not Booking.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        booking = book(world.student_a, slot)
    assert booking.status == S.CONFIRMED
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.EXPIRED


def test_a_second_future_booking_is_refused_with_a_message_until_the_first_is_over(world):
    first = book(world.student_a, make_slot(world["counselor"], in_hours=3))
    second_slot = make_slot(world["counselor"], in_hours=72)
    with pytest.raises(DomainError, match="already have an upcoming appointment"):
        book(world.student_a, second_slot)
    with time_machine.travel(first.slot.ends_at + timedelta(minutes=1)):
        assert services.bookings_close_ended() == 1
        assert services.bookings_close_ended() == 0
        first.refresh_from_db()
        assert first.status == S.AWAITING_OUTCOME
        assert book(world.student_a, second_slot).status == S.CONFIRMED


def test_a_booked_slot_is_refused_to_the_next_student(world):
    slot = make_slot(world["counselor"])
    book(world.student_a, slot)
    with pytest.raises(DomainError, match="someone else has just booked"):
        book(world.roommate_a, slot)


def test_consent_is_required_and_bad_text_is_refused_and_nothing_is_saved(world):
    slot = make_slot(world["counselor"])
    with pytest.raises(DomainError, match="consent"):
        book(world.student_a, slot, consent=False)
    with pytest.raises(DomainError, match="limited to"):
        book(world.student_a, slot, reason="x" * 100_000)
    with pytest.raises(DomainError, match="control characters"):
        book(world.student_a, slot, reason="a\x00b")
    with pytest.raises(DomainError):
        book(world.student_a, slot, preferred_gender="x")
    assert not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN


def test_students_book_for_themselves_and_only_their_own_college_station(world):
    slot = make_slot(world["station"])
    with pytest.raises(DomainError, match="themselves"):
        services.booking_create(
            actor=world.roommate_a.user, student=world.student_a, slot=slot, first_visit=False, consent=True
        )
    with pytest.raises(DomainError, match="no longer available"):
        book(world.student_b, slot)
    assert book(world.student_a, slot).status == S.CONFIRMED


def test_staff_may_book_for_a_student_from_an_invitation(world):
    slot = make_slot(world["counselor"])
    booking = services.booking_create(
        actor=world["counselor"],
        student=world.student_b,
        slot=slot,
        first_visit=True,
        consent=True,
        source=Booking.Source.INVITATION,
    )
    assert booking.status == S.CONFIRMED and booking.source == Booking.Source.INVITATION


# --- Cancelling --------------------------------------------------------------------------------------------


def test_cancelling_before_the_cutoff_frees_the_slot_and_cancels_the_reminders(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=13))
    booking = services.booking_cancel(actor=world["student"], booking=booking)
    assert booking.status == S.CANCELLED
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.OPEN
    statuses = set(
        Reminder.objects.filter(dedupe_key__regex=rf"^appt:{booking.pk}:\d+h").values_list("status", flat=True)
    )
    assert statuses == {Reminder.Status.CANCELLED}
    # Free again: the student may book another time.
    assert book(world.student_a, make_slot(world["counselor"], in_hours=50)).status == S.CONFIRMED


def test_cancelling_after_the_cutoff_is_a_late_cancellation_not_a_no_show(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=11))
    booking = services.booking_cancel(actor=world["student"], booking=booking)
    assert booking.status == S.LATE_CANCELLED
    assert not BookingRestriction.objects.exists()


def test_a_started_session_cannot_be_cancelled(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=1))
    with (
        time_machine.travel(booking.slot.starts_at + timedelta(minutes=5)),
        pytest.raises(DomainError, match="already started"),
    ):
        services.booking_cancel(actor=world["student"], booking=booking)


def test_the_cutoff_is_configurable(world):
    set_config("counseling.cancel_cutoff_hours", 2)
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=3))
    assert services.booking_cancel(actor=world["student"], booking=booking).status == S.CANCELLED


# --- No-shows, restrictions, approvals -----------------------------------------------------------------


def test_two_no_shows_in_30_days_make_bookings_wait_for_approval_until_staff_lift_it(world):
    counselor = world["counselor"]
    for hours in (100, 50):
        booking = past_booking(world.student_a, counselor, hours_ago=hours, status=S.AWAITING_OUTCOME)
        services.booking_mark_outcome(actor=counselor, booking=booking, outcome=S.NO_SHOW)
    restriction = BookingRestriction.objects.get(student=world.student_a, lifted_at__isnull=True)
    assert Notification.objects.count() == 0  # in the outbox until dispatched
    assert Reminder.objects.filter(dedupe_key=f"appt:restriction:{restriction.pk}:in_app").exists()

    slot = make_slot(counselor)
    pending = book(world.student_a, slot)
    assert pending.status == S.PENDING
    assert Slot.objects.get(pk=slot.pk).status == Slot.Status.BOOKED  # held meanwhile
    assert not Reminder.objects.filter(dedupe_key=f"appt:{pending.pk}:24h").exists()
    with pytest.raises(DomainError, match="someone else"):
        book(world.roommate_a, slot)
    approved = services.booking_approve(actor=counselor, booking=pending)
    assert approved.status == S.CONFIRMED and approved.decided_by == counselor
    assert Reminder.objects.filter(dedupe_key=f"appt:{pending.pk}:24h").exists()

    services.booking_cancel(actor=world["student"], booking=approved)
    services.booking_restriction_lift(actor=counselor, restriction=restriction)
    assert book(world.student_a, make_slot(counselor, in_hours=60)).status == S.CONFIRMED
    with pytest.raises(DomainError, match="already lifted"):
        services.booking_restriction_lift(actor=counselor, restriction=restriction)


def test_one_no_show_or_old_no_shows_do_not_restrict(world):
    counselor = world["counselor"]
    old = past_booking(world.student_a, counselor, hours_ago=24 * 40, status=S.AWAITING_OUTCOME)
    services.booking_mark_outcome(actor=counselor, booking=old, outcome=S.NO_SHOW)
    recent = past_booking(world.student_a, counselor, hours_ago=5, status=S.AWAITING_OUTCOME)
    services.booking_mark_outcome(actor=counselor, booking=recent, outcome=S.NO_SHOW)
    assert not BookingRestriction.objects.exists()


def test_an_outcome_cannot_be_marked_before_the_session(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=5))
    with pytest.raises(DomainError, match="not started"):
        services.booking_mark_outcome(actor=world["counselor"], booking=booking, outcome=S.NO_SHOW)
    with pytest.raises(DomainError):
        services.booking_mark_outcome(actor=world["counselor"], booking=booking, outcome="cancelled")


def test_first_visits_wait_for_approval_when_configured_and_a_decline_frees_the_slot(world):
    set_config("counseling.first_visit_needs_approval", True)
    slot = make_slot(world["station"])
    assert book(world.student_a, slot, first_visit=False).status == S.CONFIRMED
    Booking.objects.all().update(status=S.CANCELLED)
    Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.OPEN)
    pending = book(world.student_a, slot, first_visit=True)
    assert pending.status == S.PENDING
    declined = services.booking_decline(actor=world["station"], booking=pending, reason="请先到辅导站面谈")
    assert declined.status == S.DECLINED
    assert Slot.objects.get(pk=slot.pk).status == Slot.Status.OPEN
    with pytest.raises(DomainError, match="not waiting"):
        services.booking_approve(actor=world["station"], booking=declined)


def test_a_pending_booking_nobody_decided_is_declined_when_the_time_comes(world):
    set_config("counseling.first_visit_needs_approval", True)
    pending = book(world.student_a, make_slot(world["counselor"], in_hours=1), first_visit=True)
    with time_machine.travel(pending.slot.starts_at + timedelta(minutes=1)):
        services.bookings_close_ended()
        services.bookings_close_ended()
    pending.refresh_from_db()
    assert pending.status == S.DECLINED and pending.decided_by is None


# --- Counsellors: slots, templates, blocked days ----------------------------------------------------------


# Every day of the week: the window reaches the fourth Monday after today wherever today falls (on a Monday the
# fourth Monday is 28 days away: a fixed 28-day window missed it, found on a Monday).
@pytest.mark.any_day
def test_weekly_templates_generate_slots_idempotently_skipping_holidays_and_blocked_days(world):
    counselor = world["counselor"]
    today = timezone.localdate()
    monday = today + timedelta(days=(7 - today.weekday()))
    Holiday.objects.create(date=monday + timedelta(days=7), name="劳动节")
    BlockedDay.objects.create(counsellor=counselor, date=monday + timedelta(days=14), reason="培训")
    AvailabilityTemplate.objects.create(counsellor=counselor, weekday=0, start_time=time(9, 0), valid_from=today)
    window = (monday - today).days + 22  # through the fourth Monday
    created = services.slots_generate(days=window, today=today)
    assert services.slots_generate(days=window, today=today) == 0
    days = {timezone.localtime(s.starts_at).date() for s in Slot.objects.filter(counsellor=counselor)}
    assert monday in days and monday + timedelta(days=21) in days
    assert monday + timedelta(days=7) not in days and monday + timedelta(days=14) not in days
    assert created == len(days)
    slot = Slot.objects.filter(counsellor=counselor).first()
    assert timezone.localtime(slot.starts_at).time() == time(9, 0)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=50)


@pytest.mark.any_day
def test_a_cancelled_generated_slot_stays_cancelled(world):
    counselor = world["counselor"]
    services.availability_template_create(
        actor=counselor, counsellor=counselor, weekday=(timezone.localdate().weekday() + 2) % 7, start_time=time(10)
    )
    slot = Slot.objects.filter(counsellor=counselor).order_by("starts_at").first()
    services.slot_cancel(actor=counselor, slot=slot)
    services.slots_generate()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.CANCELLED


@pytest.mark.any_day
def test_one_off_slots_refuse_the_past_overlaps_and_blocked_days(world):
    counselor = world["counselor"]
    start = timezone.now() + timedelta(days=2)
    services.slot_create(actor=counselor, counsellor=counselor, starts_at=start)
    with pytest.raises(DomainError, match="already have a slot"):
        services.slot_create(actor=counselor, counsellor=counselor, starts_at=start + timedelta(minutes=20))
    with pytest.raises(DomainError, match="passed"):
        services.slot_create(actor=counselor, counsellor=counselor, starts_at=timezone.now() - timedelta(hours=1))
    day = timezone.localdate() + timedelta(days=5)
    services.blocked_day_add(actor=counselor, counsellor=counselor, day=day)
    with pytest.raises(DomainError, match="blocked"):
        services.slot_create(
            actor=counselor, counsellor=counselor, starts_at=timezone.make_aware(datetime.combine(day, time(10)))
        )
    with pytest.raises(DomainError, match="Only counsellors"):
        services.slot_create(actor=counselor, counsellor=world["aidofficer"], starts_at=start + timedelta(days=1))


def test_blocking_a_day_withdraws_open_slots_and_keeps_booked_ones(world):
    counselor = world["counselor"]
    day = timezone.localdate() + timedelta(days=3)
    at = timezone.make_aware(datetime.combine(day, time(9)))
    open_slot = Slot.objects.create(counsellor=counselor, starts_at=at, ends_at=at + timedelta(minutes=50))
    booked_slot = Slot.objects.create(
        counsellor=counselor, starts_at=at + timedelta(hours=2), ends_at=at + timedelta(hours=3)
    )
    book(world.student_a, booked_slot)
    _blocked, booked_left = services.blocked_day_add(actor=counselor, counsellor=counselor, day=day)
    assert booked_left == 1
    assert not Slot.objects.filter(pk=open_slot.pk).exists()
    assert Slot.objects.get(pk=booked_slot.pk).status == Slot.Status.BOOKED
    with pytest.raises(DomainError, match="already blocked"):
        services.blocked_day_add(actor=counselor, counsellor=counselor, day=day)


def test_cancelling_a_booked_slot_tells_the_student_and_puts_them_first_on_the_waitlist(world):
    counselor = world["counselor"]
    WaitlistEntry.objects.create(student=world.roommate_a, counsellor=counselor)
    slot = make_slot(counselor)
    booking = book(world.student_a, slot)
    Booking.objects.filter(pk=booking.pk).update(created_at=timezone.now() - timedelta(days=3))
    services.slot_cancel(actor=counselor, slot=slot, reason="临时外出培训")
    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    assert Reminder.objects.filter(dedupe_key=f"appt:{booking.pk}:cancelled-by-counsellor:email").exists()
    assert set(
        Reminder.objects.filter(dedupe_key__startswith=f"appt:{booking.pk}:24h").values_list("status", flat=True)
    ) == {Reminder.Status.CANCELLED}
    new_slot = services.slot_create(actor=counselor, counsellor=counselor, starts_at=slot.starts_at + timedelta(days=1))
    new_slot.refresh_from_db()
    assert new_slot.held_for == world.student_a


# --- Waitlist --------------------------------------------------------------------------------------------


def test_a_freed_slot_is_offered_to_the_first_in_line_who_accepts_it(world):
    counselor = world["counselor"]
    slot = make_slot(counselor, in_hours=30)
    booking = book(world.student_a, slot)
    entry = services.waitlist_join(actor=world.roommate_a.user, student=world.roommate_a, counsellor=counselor)
    services.waitlist_join(actor=world.student_b.user, student=world.student_b, counsellor=None)
    with pytest.raises(DomainError, match="already on this waitlist"):
        services.waitlist_join(actor=world.roommate_a.user, student=world.roommate_a, counsellor=counselor)
    services.booking_cancel(actor=world["student"], booking=booking)
    entry.refresh_from_db()
    slot.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED and entry.offered_slot == slot
    assert slot.status == Slot.Status.HELD and slot.held_for == world.roommate_a
    assert abs(entry.offer_expires_at - (timezone.now() + timedelta(hours=2))) < timedelta(seconds=30)
    assert Reminder.objects.filter(dedupe_key=f"appt:offer:{entry.pk}:{slot.pk}:in_app").exists()
    with pytest.raises(DomainError, match="held for a student"):
        book(world.student_b, slot)
    accepted = services.waitlist_accept(actor=world.roommate_a.user, entry=entry, first_visit=True, consent=True)
    assert accepted.source == Booking.Source.WAITLIST and accepted.status == S.CONFIRMED
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.ACCEPTED


def test_an_offer_expires_after_two_hours_and_goes_to_the_next(world):
    counselor = world["counselor"]
    slot = make_slot(counselor, in_hours=30)
    first = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=None)
    second = WaitlistEntry.objects.create(student=world.student_b, counsellor=counselor)
    assert services.waitlist_offer_open_slots() == 1
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.OFFERED
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=59)):
        assert services.waitlist_expire_offers() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        assert services.waitlist_expire_offers() == 1
        assert services.waitlist_expire_offers() == 0
        with pytest.raises(DomainError, match="no longer open"):
            services.waitlist_accept(actor=world.roommate_a.user, entry=first, first_visit=False, consent=True)
    first.refresh_from_db()
    second.refresh_from_db()
    slot.refresh_from_db()
    assert first.status == WaitlistEntry.Status.EXPIRED
    assert second.status == WaitlistEntry.Status.OFFERED and second.offered_slot == slot
    assert slot.held_for == world.student_b


def test_the_last_offer_expiring_opens_the_slot_again(world):
    slot = make_slot(world["counselor"], in_hours=30)
    entry = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=None)
    services.waitlist_offer_open_slots()
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        services.waitlist_expire_offers()
    slot.refresh_from_db()
    entry.refresh_from_db()
    assert slot.status == Slot.Status.OPEN and slot.held_for is None
    assert entry.status == WaitlistEntry.Status.EXPIRED


def test_a_level_3_student_goes_to_the_front_of_the_waitlist(world):
    early = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=None)
    late = WaitlistEntry.objects.create(student=world.student_b, counsellor=None)
    open_case(student=world.student_b, level_signs=[Sign.SUICIDE_TALK])
    assert services.care_level(world.student_b) >= 3
    make_slot(world["counselor"], in_hours=30)
    services.waitlist_offer_open_slots()
    early.refresh_from_db()
    late.refresh_from_db()
    assert late.status == WaitlistEntry.Status.OFFERED
    assert early.status == WaitlistEntry.Status.WAITING


def test_leaving_with_an_offer_passes_the_slot_on(world):
    slot = make_slot(world["counselor"], in_hours=30)
    first = WaitlistEntry.objects.create(student=world.roommate_a, counsellor=None)
    second = WaitlistEntry.objects.create(student=world.student_b, counsellor=None)
    services.waitlist_offer_open_slots()
    services.waitlist_leave(actor=world.roommate_a.user, entry=first)
    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.OFFERED and second.offered_slot_id == slot.pk
    with pytest.raises(DomainError):
        services.waitlist_leave(actor=world.roommate_a.user, entry=first)


def test_station_slots_are_offered_only_to_students_of_its_college(world):
    other = WaitlistEntry.objects.create(student=world.student_b, counsellor=None)
    make_slot(world["station"], in_hours=30)
    assert services.waitlist_offer_open_slots() == 0
    other.refresh_from_db()
    assert other.status == WaitlistEntry.Status.WAITING


# --- Reminders, agendas, calendar ---------------------------------------------------------------------


def test_reminders_go_out_at_24h_and_2h_once_each_with_the_ics_attached(world):
    slot = make_slot(world["counselor"], in_hours=48)
    booking = book(world.student_a, slot)
    user = world["student"]
    mail.outbox.clear()
    reminders_dispatch_due()  # the counsellor's "new appointment" notice only
    Notification.objects.all().delete()
    with time_machine.travel(slot.starts_at - timedelta(hours=24, minutes=1)):
        reminders_dispatch_due()
        assert not Notification.objects.filter(recipient=user).exists()
    with time_machine.travel(slot.starts_at - timedelta(hours=24)):
        reminders_dispatch_due()
        reminders_dispatch_due()
        assert Notification.objects.filter(recipient=user).count() == 1
        assert len(mail.outbox) == 1
        name, content, mimetype = mail.outbox[0].attachments[0]
        assert name == "appointment.ics" and mimetype == "text/calendar"
        assert f"UID:booking-{booking.pk}@" in content
    with time_machine.travel(slot.starts_at - timedelta(hours=2)):
        reminders_dispatch_due()
        reminders_dispatch_due()
        assert Notification.objects.filter(recipient=user).count() == 2
        assert len(mail.outbox) == 2


def test_no_reminder_is_scheduled_for_a_time_already_past(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=3))
    keys = set(
        Reminder.objects.filter(dedupe_key__regex=rf"^appt:{booking.pk}:\d+h").values_list("dedupe_key", flat=True)
    )
    assert keys == {f"appt:{booking.pk}:2h", f"appt:{booking.pk}:2h:email"}


def test_each_counsellor_gets_one_agenda_a_day_at_07_30(world):
    counselor, station = world["counselor"], world["station"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    for counsellor, student, hour in ((counselor, world.student_a, 10), (station, world.roommate_a, 15)):
        at = timezone.make_aware(datetime.combine(tomorrow, time(hour)))
        slot = Slot.objects.create(counsellor=counsellor, starts_at=at, ends_at=at + timedelta(minutes=50))
        book(student, slot)
    assert services.counsellor_agendas_schedule(today=tomorrow) == 2
    assert services.counsellor_agendas_schedule(today=tomorrow) == 0
    agenda = Reminder.objects.get(dedupe_key=f"appt:agenda:{counselor.pk}:{tomorrow.isoformat()}")
    assert timezone.localtime(agenda.due_at).time() == time(7, 30)
    assert world.student_a.name in agenda.body and "考试" not in agenda.body
    assert services.counsellor_agendas_schedule(today=tomorrow + timedelta(days=1)) == 0


def test_the_ics_file_is_valid_rfc_5545(world):
    slot = make_slot(world["counselor"], in_hours=48, location="中心 201, 二楼; 左转\\右\n门")
    booking = book(world.student_a, slot)
    text = services.ics_for_booking(booking)
    assert text.endswith("\r\n")
    raw_lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    assert "\n" not in text.replace("\r\n", "")
    # Unfold (RFC 5545 §3.1) and parse name:value.
    lines: list[str] = []
    for line in raw_lines:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    props = dict(line.split(":", 1) for line in lines)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")
    assert props["VERSION"] == "2.0" and props["PRODID"]
    assert props["UID"] == f"booking-{booking.pk}@{props['UID'].split('@')[1]}"
    assert props["DTSTART"] == f"{slot.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    assert props["DTEND"] == f"{slot.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    assert props["DTEND"].endswith("Z") and props["DTSTAMP"].endswith("Z")
    assert props["LOCATION"] == "中心 201\\, 二楼\\; 左转\\\\右\\n门"
    assert "考试" not in text  # the reason never leaves the app
    cancelled = services.booking_cancel(actor=world["student"], booking=booking)
    assert "STATUS:CANCELLED" in services.ics_for_booking(cancelled)


# --- Session notes and the care e-file ------------------------------------------------------------------


def test_session_notes_are_written_by_the_holder_read_by_author_and_centre_and_every_read_audited(world):
    station, counselor = world["station"], world["counselor"]
    booking = past_booking(world.student_a, station, hours_ago=2, status=S.ATTENDED)
    with pytest.raises(DomainError, match="Only the counsellor who held"):
        services.session_note_save(actor=counselor, booking=booking, body="x")
    note = services.session_note_save(actor=station, booking=booking, body="谈到了睡眠问题，约两周后复谈。")
    services.session_note_save(actor=station, booking=booking, body="修改：约一周后复谈。")
    note.refresh_from_db()
    assert note.body == "修改：约一周后复谈。"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM counseling_sessionnote WHERE id = %s", [note.pk])
        assert "复谈" not in cursor.fetchone()[0]  # encrypted at rest
    before = AuditEvent.objects.filter(action="read", object_type="counseling.sessionnote").count()
    assert selectors.session_note_for(station, booking).pk == note.pk
    assert selectors.session_note_for(counselor, booking).pk == note.pk
    assert AuditEvent.objects.filter(action="read", object_type="counseling.sessionnote").count() == before + 2
    from django.http import Http404

    for name in ("station_b", "admin", "student", "assessor", "aidofficer"):
        with pytest.raises(Http404):
            selectors.session_note_for(world[name], booking)
    assert not AuditEvent.objects.filter(action="session_note.written", changes__icontains="复谈").exists()


def test_a_note_needs_a_session_that_took_place(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=5))
    with pytest.raises(DomainError, match="after the session"):
        services.session_note_save(actor=world["counselor"], booking=booking, body="x")
    with pytest.raises(DomainError, match="limited to"):
        services.session_note_save(actor=world["counselor"], booking=booking, body="x" * 20_001)
    assert not SessionNote.objects.exists()


def test_the_care_file_lists_sessions_without_notes_or_reasons(world):
    booking = past_booking(world.student_a, world["station"], hours_ago=3, status=S.ATTENDED)
    Booking.objects.filter(pk=booking.pk).update(reason="家里经济困难")
    services.session_note_save(actor=world["station"], booking=booking, body="秘密笔记内容")
    file = selectors.care_file(world.student_a)
    sections = [s for s in file.extra_sections if s["template"] == "counseling/appointments/care_sessions.html"]
    assert len(sections) == 1
    sessions = sections[0]["context"]["sessions"]
    assert [s.pk for s in sessions] == [booking.pk]
    assert selectors.care_sessions_section(world.student_b) is None
