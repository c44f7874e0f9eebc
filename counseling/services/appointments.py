"""Writes of appointments: availability, slots, bookings and their rules, the waitlist, session notes.

Every function here is the only writer of what it changes. Access (who may call it for which object) is
checked by the caller through portal.access / counseling.access.appointments; the state rules are checked
here and raise DomainError, which views show as a message, never a 500.

Concurrency: a service that changes a slot locks the slot row first (SELECT … FOR UPDATE), then the
booking or waitlist entry. PostgreSQL's partial unique indexes are the last word: one live booking per
slot, one future booking per student; an IntegrityError on them becomes a DomainError.

Side effects (notices, reminders) are outbox rows written in the same transaction (portal.services).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.access.appointments import counsellor_ids_for_student, is_counsellor
from counseling.models import (
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    Mode,
    Slot,
    WaitlistEntry,
)
from counseling.services.crisis import care_level
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import holidays_between, is_holiday
from portal.kernel.workflow import locked, move
from portal.models import Gender, MessageKind, Reminder, Role, RoleAssignment, Student, User
from portal.services import DomainError, notify, reminder_cancel, reminder_schedule
from portal.validators import validate_no_control_chars

__all__ = [
    "NOTE_MAX",
    "REASON_MAX",
    "availability_template_create",
    "availability_template_deactivate",
    "blocked_day_add",
    "blocked_day_remove",
    "booking_approve",
    "booking_cancel",
    "booking_create",
    "booking_decline",
    "booking_mark_outcome",
    "booking_restriction_lift",
    "bookings_close_ended",
    "counsellor_agendas_schedule",
    "ics_for_booking",
    "slot_cancel",
    "slot_create",
    "slots_generate",
    "waitlist_accept",
    "waitlist_expire_offers",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_open_slots",
]

config.declare("counseling.booking_window_days", 14, "Days ahead for which students see and book open slots.")
config.declare(
    "counseling.booking_max_future",
    1,
    "Future bookings (waiting for approval or confirmed) a student may hold at once. The database allows one.",
)
config.declare("counseling.cancel_cutoff_hours", 12, "Hours before the start until which a student may cancel.")
config.declare("counseling.no_show_threshold", 2, "No-shows within the window after which bookings need approval.")
config.declare("counseling.no_show_window_days", 30, "Days over which no-shows are counted.")
config.declare("counseling.first_visit_needs_approval", False, "First visits wait for a counsellor's approval.")
config.declare("counseling.waitlist_hold_hours", 2, "Hours a freed slot is held for the waitlisted student offered it.")
config.declare("counseling.reminder_offsets_hours", [24, 2], "Hours before an appointment the student is reminded.")
config.declare("counseling.agenda_time", "07:30", "Time of day (HH:MM) the counsellors' daily agenda is sent.")
config.declare("counseling.slot_generate_days", 21, "Days ahead for which weekly availability generates slots.")

REASON_MAX = 2000
NOTE_MAX = 20000
LOCATION_MAX = 200

S = Booking.Status  # the moves between statuses: Booking.flow (counseling.models.appointments)
OUTCOMES = (S.ATTENDED, S.NO_SHOW, S.LATE_CANCELLED)


def _check_text(value: str, *, limit: int, what: str) -> str:
    if len(value) > limit:
        raise DomainError(_("%(what)s is limited to %(max)s characters.") % {"what": what, "max": f"{limit:,}"})
    try:
        validate_no_control_chars(value)
    except Exception as exc:  # ValidationError
        raise DomainError(_("The text contains control characters; remove them and try again.")) from exc
    return value.strip()


def _my_bookings_url() -> str:
    return reverse("counseling:my_bookings")


def _agenda_url() -> str:
    return reverse("counseling:agenda")


def _when(slot: Slot) -> str:
    return f"{timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}"


def _locked_slot(slot: Slot | int) -> Slot:
    pk = slot if isinstance(slot, int) else slot.pk
    try:
        return Slot.objects.select_for_update().get(pk=pk)
    except Slot.DoesNotExist as exc:
        raise DomainError(_("This time is no longer available.")) from exc


# --- Availability: weekly templates, one-off slots, blocked days -----------------------------------


def _day_blocked(counsellor_id: int, day: date) -> bool:
    return (
        is_holiday(day)
        or BlockedDay.objects.filter(Q(counsellor_id=counsellor_id) | Q(counsellor__isnull=True), date=day).exists()
    )


def _slot_times(day: date, start: time, length_minutes: int) -> tuple[datetime, datetime]:
    starts_at = timezone.make_aware(datetime.combine(day, start))
    return starts_at, starts_at + timedelta(minutes=length_minutes)


def _check_slot_fields(*, length_minutes: int, mode: str, location: str) -> str:
    if not 10 <= length_minutes <= 240:
        raise DomainError(_("A session lasts between 10 and 240 minutes."))
    if mode not in Mode.values:
        raise DomainError(_("Choose in person or online."))
    return _check_text(location, limit=LOCATION_MAX, what=_("The room or link"))


def _overlaps(counsellor_id: int, starts_at: datetime, ends_at: datetime, *, exclude_pk: int | None = None) -> bool:
    qs = Slot.objects.filter(counsellor_id=counsellor_id, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=Slot.Status.CANCELLED
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@transaction.atomic
def availability_template_create(
    *,
    actor: User,
    counsellor: User,
    weekday: int,
    start_time: time,
    length_minutes: int = 50,
    mode: str = Mode.ROOM,
    location: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> AvailabilityTemplate:
    """A weekly slot; generates its slots for the coming days at once (and daily afterwards)."""
    if not is_counsellor(counsellor):
        raise DomainError(_("Only counsellors publish availability."))
    if weekday not in range(7):
        raise DomainError(_("Choose a weekday."))
    location = _check_slot_fields(length_minutes=length_minutes, mode=mode, location=location)
    valid_from = valid_from or timezone.localdate()
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("The end date is before the start date."))
    template = AvailabilityTemplate.objects.create(
        counsellor=counsellor,
        weekday=weekday,
        start_time=start_time,
        length_minutes=length_minutes,
        mode=mode,
        location=location,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    audit_log(actor=actor, action="availability.template_created", obj=template)
    slots_generate(counsellor_id=counsellor.pk)
    return template


@transaction.atomic
def availability_template_deactivate(*, actor: User, template: AvailabilityTemplate) -> int:
    """Stop a weekly slot. Its future open slots are withdrawn; booked ones stay (cancel them one by one)."""
    template = AvailabilityTemplate.objects.select_for_update().get(pk=template.pk)
    if template.active:
        template.active = False
        template.save(update_fields=["active"])
    withdrawn = 0
    future = Slot.objects.filter(
        template=template, starts_at__gt=timezone.now(), status__in=(Slot.Status.OPEN, Slot.Status.HELD)
    )
    for slot_pk in future.values_list("pk", flat=True):
        withdrawn += int(_withdraw_slot(_locked_slot(slot_pk)))
    audit_log(actor=actor, action="availability.template_deactivated", obj=template, changes={"withdrawn": withdrawn})
    return withdrawn


def slots_generate(*, days: int | None = None, today: date | None = None, counsellor_id: int | None = None) -> int:
    """Create the slots of active weekly templates for the next `days` days; returns how many were new.

    Idempotent: (counsellor, start) is unique, and existing rows are never touched, so a slot a counsellor
    cancelled stays cancelled. Holidays (portal.Holiday) and blocked days get no slots.
    """
    days = int(config.get("counseling.slot_generate_days")) if days is None else days
    today = today or timezone.localdate()
    until = today + timedelta(days=days)
    now = timezone.now()
    templates = AvailabilityTemplate.objects.filter(active=True, valid_from__lte=until).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    if counsellor_id is not None:
        templates = templates.filter(counsellor_id=counsellor_id)
    templates = list(templates)
    if not templates:
        return 0
    holidays = holidays_between(today, until - timedelta(days=1))
    blocked: dict[int | None, set[date]] = {}
    for cid, day in BlockedDay.objects.filter(date__gte=today, date__lt=until).values_list("counsellor_id", "date"):
        blocked.setdefault(cid, set()).add(day)
    wanted: list[Slot] = []
    for template in templates:
        off = holidays | blocked.get(None, set()) | blocked.get(template.counsellor_id, set())
        for offset in range(days):
            day = today + timedelta(days=offset)
            if day.weekday() != template.weekday or day in off or day < template.valid_from:
                continue
            if template.valid_until and day > template.valid_until:
                continue
            starts_at, ends_at = _slot_times(day, template.start_time, template.length_minutes)
            if starts_at <= now:
                continue
            wanted.append(
                Slot(
                    counsellor_id=template.counsellor_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    mode=template.mode,
                    location=template.location,
                    template=template,
                )
            )
    if not wanted:
        return 0
    counsellors = {s.counsellor_id for s in wanted}
    existing = Slot.objects.filter(
        counsellor_id__in=counsellors, starts_at__gte=min(s.starts_at for s in wanted), starts_at__lte=until_dt(until)
    ).values_list("counsellor_id", "starts_at", "ends_at")
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    for cid, start, end in existing:
        taken.setdefault(cid, []).append((start, end))
    new = []
    for slot in wanted:
        spans = taken.setdefault(slot.counsellor_id, [])
        # An existing slot at the same start (or an overlapping one-off) wins: never two at once.
        if any(start < slot.ends_at and end > slot.starts_at for start, end in spans):
            continue
        spans.append((slot.starts_at, slot.ends_at))
        new.append(slot)
    created = Slot.objects.bulk_create(new, ignore_conflicts=True)
    if created and WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists():
        waitlist_offer_open_slots()
    return len(created)


def until_dt(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


@transaction.atomic
def slot_create(
    *,
    actor: User,
    counsellor: User,
    starts_at: datetime,
    length_minutes: int = 50,
    mode: str = Mode.ROOM,
    location: str = "",
) -> Slot:
    """A one-off slot. A cancelled slot at the same time is reopened instead (the start is unique)."""
    if not is_counsellor(counsellor):
        raise DomainError(_("Only counsellors publish availability."))
    location = _check_slot_fields(length_minutes=length_minutes, mode=mode, location=location)
    if starts_at <= timezone.now():
        raise DomainError(_("This time has already passed."))
    if starts_at > timezone.now() + timedelta(days=366):
        raise DomainError(_("Slots can be published at most a year ahead."))
    ends_at = starts_at + timedelta(minutes=length_minutes)
    if _day_blocked(counsellor.pk, timezone.localtime(starts_at).date()):
        raise DomainError(_("That day is blocked (a holiday or a day off)."))
    previous = Slot.objects.select_for_update().filter(counsellor=counsellor, starts_at=starts_at).first()
    if _overlaps(counsellor.pk, starts_at, ends_at, exclude_pk=previous.pk if previous else None):
        raise DomainError(_("You already have a slot at that time."))
    if previous is not None:
        if previous.status != Slot.Status.CANCELLED or previous.bookings.filter(status__in=Booking.LIVE).exists():
            raise DomainError(_("You already have a slot at that time."))
        previous.ends_at, previous.mode, previous.location = ends_at, mode, location
        previous.status, previous.held_for, previous.held_until = Slot.Status.OPEN, None, None
        previous.save(update_fields=["ends_at", "mode", "location", "status", "held_for", "held_until"])
        slot = previous
    else:
        try:
            with transaction.atomic():
                slot = Slot.objects.create(
                    counsellor=counsellor, starts_at=starts_at, ends_at=ends_at, mode=mode, location=location
                )
        except IntegrityError as exc:
            raise DomainError(_("You already have a slot at that time.")) from exc
    audit_log(actor=actor, action="slot.created", obj=slot)
    _offer_slot(slot)
    return slot


def _withdraw_slot(slot: Slot) -> bool:
    """(slot locked) Take an unbooked slot off the list: deleted when it never had a booking (so unblocking
    a day lets the weekly template regenerate it), else marked cancelled. Returns False when it is booked."""
    if slot.status == Slot.Status.BOOKED:
        return False
    if slot.status == Slot.Status.HELD:
        _return_offer_to_queue(slot)
    if not slot.bookings.exists():
        slot.delete()
        return True
    slot.status, slot.held_for, slot.held_until = Slot.Status.CANCELLED, None, None
    slot.save(update_fields=["status", "held_for", "held_until"])
    return True


def _return_offer_to_queue(slot: Slot) -> None:
    """The slot held for a waitlisted student disappears: their entry goes back to waiting, same place."""
    WaitlistEntry.objects.filter(offered_slot=slot, status=WaitlistEntry.Status.OFFERED).update(
        status=WaitlistEntry.Status.WAITING, offered_slot=None, offer_expires_at=None
    )


@transaction.atomic
def slot_cancel(*, actor: User, slot: Slot, reason: str = "") -> Slot:
    """The counsellor takes a slot back. A booked one: the booking is cancelled with a notice to the student,
    who is put on this counsellor's waitlist with the place their booking had (so the next free time is
    offered to them first)."""
    reason = _check_text(reason, limit=500, what=_("The reason"))
    slot = _locked_slot(slot)
    if slot.status == Slot.Status.CANCELLED:
        raise DomainError(_("This slot is already cancelled."))
    if slot.ends_at <= timezone.now():
        raise DomainError(_("This time has already passed."))
    booking = (
        Booking.objects.select_for_update()
        .select_related("student", "student__user")
        .filter(slot=slot, status__in=Booking.FUTURE)
        .first()
    )
    if slot.status == Slot.Status.HELD:
        _return_offer_to_queue(slot)
    slot.status, slot.held_for, slot.held_until = Slot.Status.CANCELLED, None, None
    slot.save(update_fields=["status", "held_for", "held_until"])
    if booking is not None:
        booking.status, booking.cancelled_at = S.CANCELLED, timezone.now()
        booking.save(update_fields=["status", "cancelled_at"])
        _cancel_reminders(booking)
        _requeue_student(booking)
        notify(
            recipient=booking.student.user,
            title=_("Your appointment on %(when)s was cancelled by the counsellor") % {"when": _when(slot)},
            body=(reason + "\n\n" if reason else "")
            + _("We are sorry. You are first on the waitlist for the next free time with this counsellor."),
            url=_my_bookings_url(),
            email=True,
            dedupe_key=f"appt:{booking.pk}:cancelled-by-counsellor",
        )
        audit_log(actor=actor, action="booking.cancelled_by_counsellor", obj=booking)
    audit_log(actor=actor, action="slot.cancelled", obj=slot, changes={"booking": booking.pk if booking else None})
    return slot


def _requeue_student(booking: Booking) -> None:
    entry = WaitlistEntry.objects.filter(
        student=booking.student, counsellor_id=booking.slot.counsellor_id, status__in=("waiting", "offered")
    ).first()
    if entry is None:
        try:
            with transaction.atomic():
                WaitlistEntry.objects.create(
                    student=booking.student, counsellor_id=booking.slot.counsellor_id, created_at=booking.created_at
                )
        except IntegrityError:  # joined in the meantime
            pass
    elif entry.created_at > booking.created_at:
        WaitlistEntry.objects.filter(pk=entry.pk).update(created_at=booking.created_at)


@transaction.atomic
def blocked_day_add(*, actor: User, counsellor: User, day: date, reason: str = "") -> tuple[BlockedDay, int]:
    """Block a day for one counsellor: its open slots are withdrawn. Returns (day, booked slots left), since
    booked appointments are not cancelled silently: the counsellor cancels them one by one, with a notice."""
    reason = _check_text(reason, limit=100, what=_("The reason"))
    if day < timezone.localdate():
        raise DomainError(_("This day has already passed."))
    try:
        with transaction.atomic():
            blocked = BlockedDay.objects.create(counsellor=counsellor, date=day, reason=reason)
    except IntegrityError as exc:
        raise DomainError(_("This day is already blocked.")) from exc
    start = timezone.make_aware(datetime.combine(day, time.min))
    booked = 0
    for slot_pk in Slot.objects.filter(
        counsellor=counsellor, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    ).values_list("pk", flat=True):
        slot = _locked_slot(slot_pk)
        if slot.status != Slot.Status.CANCELLED and not _withdraw_slot(slot):
            booked += 1
    audit_log(actor=actor, action="availability.day_blocked", obj=blocked, changes={"booked_left": booked})
    return blocked, booked


@transaction.atomic
def blocked_day_remove(*, actor: User, blocked: BlockedDay) -> None:
    """Unblock a day: the weekly templates generate its slots again."""
    counsellor_id = blocked.counsellor_id
    audit_log(actor=actor, action="availability.day_unblocked", obj=blocked)
    blocked.delete()
    slots_generate(counsellor_id=counsellor_id)


# --- Bookings ------------------------------------------------------------------------------------------


def _active_restriction(student: Student) -> BookingRestriction | None:
    return BookingRestriction.objects.filter(student=student, lifted_at__isnull=True).first()


def _integrity_message(exc: IntegrityError) -> str:
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or str(exc)
    if "booking_one_future_per_student" in name:
        return _("You already have an upcoming appointment. Cancel it first if you want another time.")
    return _("Sorry, someone else has just booked this time. Please choose another.")


@transaction.atomic
def booking_create(
    *,
    actor: User,
    student: Student,
    slot: Slot,
    reason: str = "",
    first_visit: bool,
    preferred_gender: str = "",
    consent: bool,
    source: str = Booking.Source.STUDENT,
) -> Booking:
    """Book `slot` for `student`. Locks the slot row; refuses past, taken, cancelled and others' held slots.

    Students book for themselves (source student/waitlist; an invitation may be accepted by the student
    or booked by staff). Booked by the student: outside the booking window is refused; with an active
    booking restriction, or on a first visit when that needs approval, the booking waits for approval
    (status pending, which holds the slot). One future booking per student and one live booking per slot
    are also enforced by the database, whatever the concurrency.
    """
    if source not in Booking.Source.values:
        raise DomainError("unknown booking source")
    self_service = source in (Booking.Source.STUDENT, Booking.Source.WAITLIST)
    if student.user_id != actor.pk and (self_service or not is_counsellor(actor)):
        raise DomainError(_("Students book for themselves only."))
    if not consent:
        raise DomainError(_("Please give your consent to book."))
    reason = _check_text(reason, limit=REASON_MAX, what=_("The reason"))
    if preferred_gender not in ("", *Gender.values):
        raise DomainError(_("Choose from the listed options."))
    slot = _locked_slot(slot)
    now = timezone.now()
    if slot.starts_at <= now:
        raise DomainError(_("This time has already passed."))
    if slot.counsellor_id == actor.pk and student.user_id == actor.pk:
        raise DomainError(_("You cannot book your own slot."))
    if not is_counsellor(actor) and not counsellor_ids_for_student(student).filter(user_id=slot.counsellor_id).exists():
        raise DomainError(_("This time is no longer available."))
    if self_service:
        window = int(config.get("counseling.booking_window_days"))
        if slot.starts_at > now + timedelta(days=window):
            raise DomainError(_("Times can be booked up to %(days)s days ahead.") % {"days": window})
    if slot.status == Slot.Status.CANCELLED:
        raise DomainError(_("This time is no longer available."))
    if slot.status == Slot.Status.BOOKED:
        raise DomainError(_("Sorry, someone else has just booked this time. Please choose another."))
    offer = None
    if slot.status == Slot.Status.HELD:
        offer = (
            WaitlistEntry.objects.select_for_update()
            .filter(offered_slot=slot, status=WaitlistEntry.Status.OFFERED)
            .first()
        )
        if slot.held_for_id != student.pk:
            if slot.held_until and slot.held_until > now:
                raise DomainError(_("This time is being held for a student from the waitlist."))
            if offer is not None:  # the hold ran out and the expiry scan has not run yet
                offer.status = WaitlistEntry.Status.EXPIRED
                offer.save(update_fields=["status"])
                offer = None
        elif slot.held_until and slot.held_until <= now:
            raise DomainError(_("Your offer for this time has expired."))
    max_future = max(1, int(config.get("counseling.booking_max_future")))
    if Booking.objects.filter(student=student, status__in=Booking.FUTURE).count() >= max_future:
        raise DomainError(_("You already have an upcoming appointment. Cancel it first if you want another time."))
    needs_approval = self_service and (
        _active_restriction(student) is not None
        or (first_visit and bool(config.get("counseling.first_visit_needs_approval")))
    )
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                slot=slot,
                student=student,
                status=S.PENDING if needs_approval else S.CONFIRMED,
                source=source,
                reason=reason,
                first_visit=first_visit,
                preferred_gender=preferred_gender,
                consent_at=now,
                created_at=now,
            )
    except IntegrityError as exc:
        raise DomainError(_integrity_message(exc)) from exc
    slot.status, slot.held_for, slot.held_until = Slot.Status.BOOKED, None, None
    slot.save(update_fields=["status", "held_for", "held_until"])
    if offer is not None and offer.student_id == student.pk:
        offer.status = WaitlistEntry.Status.ACCEPTED
        offer.save(update_fields=["status"])
    audit_log(actor=actor, action="booking.created", obj=booking, changes={"status": booking.status, "source": source})
    counsellor = User.objects.get(pk=slot.counsellor_id)
    booking.slot = slot
    if booking.status == S.CONFIRMED:
        _schedule_reminders(booking)
        notify(
            recipient=counsellor,
            title=_("New appointment on %(when)s") % {"when": _when(slot)},
            url=_agenda_url(),
            dedupe_key=f"appt:{booking.pk}:new",
        )
    else:
        notify(
            recipient=counsellor,
            title=_("An appointment on %(when)s is waiting for your approval") % {"when": _when(slot)},
            url=_agenda_url(),
            dedupe_key=f"appt:{booking.pk}:approval",
        )
    return booking


@transaction.atomic
def booking_cancel(*, actor: User, booking: Booking) -> Booking:
    """The student (or staff for them) cancels a future booking. Up to the cutoff before the start it is a
    plain cancellation; later it counts as a late cancellation (never as a no-show). The slot is freed and
    offered to the waitlist."""
    booking = locked(booking)
    slot = booking.slot
    now = timezone.now()
    if booking.status not in Booking.FUTURE:
        raise DomainError(_("This appointment can no longer be cancelled."))
    if slot.starts_at <= now:
        raise DomainError(_("This appointment has already started; ask the counsellor to record it."))
    cutoff = timedelta(hours=float(config.get("counseling.cancel_cutoff_hours")))
    late = booking.status == S.CONFIRMED and slot.starts_at - now < cutoff
    move(
        booking,
        S.LATE_CANCELLED if late else S.CANCELLED,
        actor=actor,
        values={"cancelled_at": now},
        action="booking.cancelled",
        changes={"late": late},
    )
    _cancel_reminders(booking)
    _free_slot(slot)
    notify(
        recipient=slot.counsellor,
        title=_("An appointment on %(when)s was cancelled") % {"when": _when(slot)},
        url=_agenda_url(),
        dedupe_key=f"appt:{booking.pk}:cancelled",
    )
    return booking


def _free_slot(slot: Slot) -> None:
    """(slot locked) Its booking ended before the session: open it again and offer it to the waitlist."""
    if slot.status == Slot.Status.CANCELLED:
        return
    slot.status, slot.held_for, slot.held_until = Slot.Status.OPEN, None, None
    slot.save(update_fields=["status", "held_for", "held_until"])
    _offer_slot(slot)


@transaction.atomic
def booking_approve(*, actor: User, booking: Booking) -> Booking:
    """Staff confirm a booking waiting for approval (restricted student or first visit)."""
    booking = locked(booking)
    if booking.status != S.PENDING:
        raise DomainError(_("This appointment is not waiting for approval."))
    if booking.slot.starts_at <= timezone.now():
        raise DomainError(_("This time has already passed."))
    values = {"decided_by": actor, "decided_at": timezone.now()}
    move(booking, S.CONFIRMED, actor=actor, values=values, action="booking.approved", changes={})
    _schedule_reminders(booking)
    notify(
        recipient=booking.student.user,
        title=_("Your appointment on %(when)s is confirmed") % {"when": _when(booking.slot)},
        url=_my_bookings_url(),
        email=True,
        dedupe_key=f"appt:{booking.pk}:approved",
    )
    return booking


@transaction.atomic
def booking_decline(*, actor: User | None, booking: Booking, reason: str = "") -> Booking:
    """Staff decline a pending booking (actor None: nobody decided before the start); the slot is freed."""
    reason = _check_text(reason, limit=500, what=_("The reason"))
    booking = locked(booking)
    if booking.status != S.PENDING:
        raise DomainError(_("This appointment is not waiting for approval."))
    values = {"decided_by": actor, "decided_at": timezone.now()}
    move(booking, S.DECLINED, actor=actor, values=values, action="booking.declined", changes={})
    if booking.slot.starts_at > timezone.now():
        _free_slot(booking.slot)
    notify(
        recipient=booking.student.user,
        title=_("Your appointment request for %(when)s was not approved") % {"when": _when(booking.slot)},
        body=reason or _("Please contact the counselling centre to arrange a time."),
        url=_my_bookings_url(),
        email=True,
        dedupe_key=f"appt:{booking.pk}:declined",
    )
    return booking


@transaction.atomic
def booking_mark_outcome(*, actor: User, booking: Booking, outcome: str) -> Booking:
    """The counsellor records what happened once the session has started: attended, no-show, or a late
    cancellation (the student called off at the last minute). No-shows are marked by staff only; reaching
    the threshold within the window puts the student's future bookings under approval."""
    if outcome not in OUTCOMES:
        raise DomainError(_("Choose attended, no-show or late cancellation."))
    booking = locked(booking)
    if booking.slot.starts_at > timezone.now():
        raise DomainError(_("The session has not started yet."))
    if booking.status == outcome:
        return booking
    values = {"cancelled_at": timezone.now()} if outcome == S.LATE_CANCELLED else None
    move(booking, outcome, actor=actor, values=values, action="booking.outcome", changes={"outcome": outcome})
    if outcome == S.NO_SHOW:
        _restrict_after_no_shows(booking.student)
    return booking


def _restrict_after_no_shows(student: Student) -> BookingRestriction | None:
    threshold = int(config.get("counseling.no_show_threshold"))
    window = int(config.get("counseling.no_show_window_days"))
    since = timezone.now() - timedelta(days=window)
    count = Booking.objects.filter(student=student, status=S.NO_SHOW, slot__starts_at__gte=since).count()
    if threshold <= 0 or count < threshold or _active_restriction(student) is not None:
        return None
    try:
        with transaction.atomic():
            restriction = BookingRestriction.objects.create(
                student=student,
                reason=_("%(count)s missed appointments in %(days)s days") % {"count": count, "days": window},
            )
    except IntegrityError:  # another outcome mark restricted the student a moment ago
        return None
    audit_log(actor=None, action="booking_restriction.created", obj=restriction, changes={"no_shows": count})
    notify(
        recipient=student.user,
        title=_("Your next appointments need a counsellor's approval"),
        body=_(
            "You missed %(count)s appointments recently. You can still book; a counsellor will confirm the time. "
            "If something is making it hard to come, tell us."
        )
        % {"count": count},
        url=_my_bookings_url(),
        dedupe_key=f"appt:restriction:{restriction.pk}",
    )
    return restriction


@transaction.atomic
def booking_restriction_lift(*, actor: User, restriction: BookingRestriction) -> BookingRestriction:
    restriction = BookingRestriction.objects.select_for_update().get(pk=restriction.pk)
    if restriction.lifted_at is not None:
        raise DomainError(_("This restriction was already lifted."))
    restriction.lifted_by, restriction.lifted_at = actor, timezone.now()
    restriction.save(update_fields=["lifted_by", "lifted_at"])
    audit_log(actor=actor, action="booking_restriction.lifted", obj=restriction)
    return restriction


def bookings_close_ended(*, now: datetime | None = None) -> int:
    """Beat scan: confirmed bookings whose session has ended wait for the counsellor's outcome (which also
    frees the student's "one future booking"); pending ones nobody decided before the start are declined.
    Conditional UPDATEs: running twice changes nothing more."""
    now = now or timezone.now()
    moved = Booking.objects.filter(status=S.CONFIRMED, slot__ends_at__lte=now).update(status=S.AWAITING_OUTCOME)
    for booking in Booking.objects.filter(status=S.PENDING, slot__starts_at__lte=now).select_related("slot"):
        try:
            booking_decline(actor=None, booking=booking, reason=_("Nobody could confirm the time before it started."))
        except DomainError:  # decided in the meantime
            continue
        moved += 1
    return moved


# --- Reminders and the calendar file --------------------------------------------------------------


def _offsets() -> list[float]:
    return [float(h) for h in config.get("counseling.reminder_offsets_hours")]


def _offset_label(hours: float) -> str:
    return f"{hours:g}h"


def _schedule_reminders(booking: Booking) -> None:
    """24 h and 2 h before (configurable): in the app, and by e-mail with the .ics attached. Reminders
    already due (a booking made an hour before) are skipped rather than sent late."""
    slot = booking.slot
    now = timezone.now()
    user = booking.student.user
    ics = ("appointment.ics", ics_for_booking(booking), "text/calendar")
    for hours in _offsets():
        due = slot.starts_at - timedelta(hours=hours)
        if due <= now:
            continue
        subject = _("Reminder: counselling appointment on %(when)s") % {"when": _when(slot)}
        body = _("Where: %(where)s. If you cannot come, please cancel in time so someone else can have it.") % {
            "where": _where(slot)
        }
        key = f"appt:{booking.pk}:{_offset_label(hours)}"
        reminder_schedule(
            recipient=user,
            channel=Reminder.Channel.IN_APP,
            subject=subject,
            body=body,
            url=_my_bookings_url(),
            due_at=due,
            dedupe_key=key,
            kind=MessageKind.APPOINTMENT,
        )
        if user.email:
            reminder_schedule(
                recipient=user,
                channel=Reminder.Channel.EMAIL,
                subject=subject,
                body=body,
                url=_my_bookings_url(),
                due_at=due,
                dedupe_key=f"{key}:email",
                attachment=ics,
                kind=MessageKind.APPOINTMENT,
            )


def _cancel_reminders(booking: Booking) -> None:
    for hours in {*_offsets(), 24.0, 2.0}:
        key = f"appt:{booking.pk}:{_offset_label(hours)}"
        reminder_cancel(dedupe_key=key)
        reminder_cancel(dedupe_key=f"{key}:email")


def _where(slot: Slot) -> str:
    if slot.mode == Mode.ONLINE:
        return slot.location or _("online (the link follows)")
    return slot.location or _("the counselling centre")


def _ics_escape(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma escaped; newlines as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """Fold content lines at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += ch
        size += n
    parts.append(current)
    return "\r\n ".join(parts)


def ics_for_booking(booking: Booking, *, now: datetime | None = None) -> str:
    """A one-event iCalendar file (RFC 5545) for calendar apps: times in UTC, CRLF line endings.

    Summary and location name the counsellor and the place, never the student's reason.
    """
    slot = booking.slot
    stamp = (now or timezone.now()).astimezone(UTC)
    cancelled = booking.status in (S.CANCELLED, S.LATE_CANCELLED, S.DECLINED)
    host = settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "nuanxin"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Nuanxin//Appointments//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:booking-{booking.pk}@{host}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART:{slot.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{slot.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        "SUMMARY:" + _ics_escape(_("Counselling appointment with %(name)s") % {"name": slot.counsellor.display_name}),
        "LOCATION:" + _ics_escape(_where(slot)),
        "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


def _agenda_due(day: date) -> datetime:
    hour, minute = (int(x) for x in str(config.get("counseling.agenda_time")).split(":"))
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def counsellor_agendas_schedule(*, today: date | None = None) -> int:
    """Beat (daily, 07:30): each counsellor with appointments today gets one agenda reminder for the day
    (dedupe key with the date, so a second run schedules nothing). Times and names only, never reasons."""
    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    bookings = (
        Booking.objects.filter(
            status__in=(S.PENDING, S.CONFIRMED), slot__starts_at__gte=start, slot__starts_at__lt=start + timedelta(1)
        )
        .select_related("slot", "slot__counsellor", "student")
        .order_by("slot__counsellor_id", "slot__starts_at")
    )
    per_counsellor: dict[int, list[Booking]] = {}
    for booking in bookings:
        per_counsellor.setdefault(booking.slot.counsellor_id, []).append(booking)
    due = _agenda_due(today)
    scheduled = 0
    for items in per_counsellor.values():
        counsellor = items[0].slot.counsellor
        lines = [
            f"{timezone.localtime(b.slot.starts_at):%H:%M} {b.student.name}"
            + (f" ({b.get_status_display()})" if b.status == S.PENDING else "")
            for b in items
        ]
        key = f"appt:agenda:{counsellor.pk}:{today.isoformat()}"
        exists = Reminder.objects.filter(dedupe_key=key).exists()
        reminder_schedule(
            recipient=counsellor,
            channel=Reminder.Channel.EMAIL if counsellor.email else Reminder.Channel.IN_APP,
            subject=_("Your appointments today (%(date)s): %(count)s")
            % {"date": today.isoformat(), "count": len(items)},
            body="\n".join(lines),
            url=_agenda_url(),
            due_at=due,
            dedupe_key=key,
            kind=MessageKind.TASK,
        )
        scheduled += int(not exists)
    return scheduled


# --- Waitlist -----------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_join(*, actor: User, student: Student, counsellor: User | None = None) -> WaitlistEntry:
    """Wait for a time with one counsellor, or with any counsellor (None)."""
    if student.user_id != actor.pk:
        raise DomainError(_("Students join the waitlist for themselves only."))
    if counsellor is not None and not counsellor_ids_for_student(student).filter(user_id=counsellor.pk).exists():
        raise DomainError(_("Choose a counsellor from the list."))
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(student=student, counsellor=counsellor)
    except IntegrityError as exc:
        raise DomainError(_("You are already on this waitlist.")) from exc
    audit_log(actor=actor, action="waitlist.joined", obj=entry)
    return entry


@transaction.atomic
def waitlist_leave(*, actor: User, entry: WaitlistEntry) -> WaitlistEntry:
    """Leave the waitlist (or turn down an offer): a held slot goes to the next in line."""
    slot_pk = WaitlistEntry.objects.filter(pk=entry.pk).values_list("offered_slot_id", flat=True).first()
    slot = _locked_slot(slot_pk) if slot_pk else None
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status not in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED):
        raise DomainError(_("You are no longer on this waitlist."))
    was_offered = entry.status == WaitlistEntry.Status.OFFERED
    entry.status = WaitlistEntry.Status.CANCELLED
    entry.save(update_fields=["status"])
    if was_offered and slot is not None and slot.status == Slot.Status.HELD and slot.held_for_id == entry.student_id:
        _free_slot(slot)
    audit_log(actor=actor, action="waitlist.left", obj=entry)
    return entry


def waitlist_accept(
    *, actor: User, entry: WaitlistEntry, reason: str = "", first_visit: bool, preferred_gender: str = "", consent: bool
) -> Booking:
    """Take the offered slot: a booking from the waitlist (the same rules and intake as any booking)."""
    entry = WaitlistEntry.objects.select_related("offered_slot", "student").get(pk=entry.pk)
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offered_slot is None:
        raise DomainError(_("This offer is no longer open."))
    if entry.offer_expires_at and entry.offer_expires_at <= timezone.now():
        raise DomainError(_("Your offer for this time has expired."))
    return booking_create(
        actor=actor,
        student=entry.student,
        slot=entry.offered_slot,
        reason=reason,
        first_visit=first_visit,
        preferred_gender=preferred_gender,
        consent=consent,
        source=Booking.Source.WAITLIST,
    )


def _candidates(slot: Slot, now: datetime) -> list[WaitlistEntry]:
    """Who may be offered `slot`, in order: care level ≥ 3 first, then first come. Students who already
    have an upcoming booking or an open offer, or may not book this counsellor, are skipped."""
    busy = Booking.objects.filter(status__in=Booking.FUTURE).values("student_id")
    offered = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED).values("student_id")
    eligible = RoleAssignment.objects.current().filter(user_id=slot.counsellor_id)
    colleges = set(eligible.filter(role=Role.STATION_COUNSELLOR).values_list("college_id", flat=True))
    centre = eligible.filter(role=Role.CENTRE_COUNSELLOR).exists()
    entries = (
        WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING)
        .filter(Q(counsellor_id=slot.counsellor_id) | Q(counsellor__isnull=True))
        .exclude(student_id__in=busy)
        .exclude(student_id__in=offered)
        .exclude(student__user_id=slot.counsellor_id)
        .select_related("student")
        .order_by("created_at", "id")
    )
    if not centre:
        entries = entries.filter(student__college_id__in=colleges)
    entries = list(entries[:200])
    high = [e for e in entries if (care_level(e.student) or 0) >= 3]
    return high + [e for e in entries if e not in high]


def _offer_slot(slot: Slot) -> WaitlistEntry | None:
    """(slot locked) Offer an open future slot to the first in line, holding it for them."""
    now = timezone.now()
    window = int(config.get("counseling.booking_window_days"))
    if slot.status != Slot.Status.OPEN or slot.starts_at <= now or slot.starts_at > now + timedelta(days=window):
        return None
    hold = timedelta(hours=float(config.get("counseling.waitlist_hold_hours")))
    for candidate in _candidates(slot, now):
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(pk=candidate.pk, status=WaitlistEntry.Status.WAITING)
            .first()
        )
        if entry is None:
            continue
        expires = min(now + hold, slot.starts_at)
        entry.status, entry.offered_slot, entry.offer_expires_at = WaitlistEntry.Status.OFFERED, slot, expires
        entry.save(update_fields=["status", "offered_slot", "offer_expires_at"])
        slot.status, slot.held_for_id, slot.held_until = Slot.Status.HELD, entry.student_id, expires
        slot.save(update_fields=["status", "held_for", "held_until"])
        audit_log(actor=None, action="waitlist.offered", obj=entry, changes={"slot": slot.pk})
        notify(
            recipient=candidate.student.user,
            title=_("A counselling time is free for you: %(when)s") % {"when": _when(slot)},
            body=_("It is held for you until %(until)s. Accept it on the booking page.")
            % {"until": f"{timezone.localtime(expires):%Y-%m-%d %H:%M}"},
            url=_my_bookings_url(),
            email=True,
            dedupe_key=f"appt:offer:{entry.pk}:{slot.pk}",
        )
        return entry
    return None


def waitlist_expire_offers(*, now: datetime | None = None) -> int:
    """Beat scan: offers past their hold expire and the slot goes to the next in line. Each offer is handled
    in its own transaction under the slot lock; running twice changes nothing more."""
    now = now or timezone.now()
    expired = 0
    due = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now)
    for entry_pk, slot_pk in due.values_list("pk", "offered_slot_id"):
        with transaction.atomic():
            slot = Slot.objects.select_for_update().filter(pk=slot_pk).first() if slot_pk else None
            entry = (
                WaitlistEntry.objects.select_for_update()
                .filter(pk=entry_pk, status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now)
                .first()
            )
            if entry is None:
                continue
            entry.status = WaitlistEntry.Status.EXPIRED
            entry.save(update_fields=["status"])
            audit_log(actor=None, action="waitlist.offer_expired", obj=entry)
            expired += 1
            if slot is not None and slot.status == Slot.Status.HELD and slot.held_for_id == entry.student_id:
                _free_slot(slot)
    return expired


def waitlist_offer_open_slots(*, now: datetime | None = None) -> int:
    """Offer open slots within the booking window to waiting students (new slots; anything missed)."""
    now = now or timezone.now()
    if not WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists():
        return 0
    window = int(config.get("counseling.booking_window_days"))
    counsellors = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING, counsellor__isnull=False)
    open_slots = Slot.objects.filter(
        status=Slot.Status.OPEN, starts_at__gt=now, starts_at__lte=now + timedelta(days=window)
    ).order_by("starts_at", "pk")
    if not WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING, counsellor__isnull=True).exists():
        open_slots = open_slots.filter(counsellor_id__in=counsellors.values("counsellor_id"))
    offered = 0
    for slot_pk in open_slots.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            slot = Slot.objects.select_for_update(skip_locked=True).filter(pk=slot_pk).first()
            if slot is not None and _offer_slot(slot) is not None:
                offered += 1
        if not WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists():
            break
    return offered


# Session notes: counseling/services/session_notes.py.
