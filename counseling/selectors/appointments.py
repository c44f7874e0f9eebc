"""Reads of appointments, scoped to the user through counseling.access.appointments.

List reads never decrypt a session note; a note is read one at a time through `session_note_for`
(audited). Every list here returns a queryset with its joins, so a page costs the same number of
queries at 5 rows or 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from counseling.access import appointments as appt_access
from counseling.access.appointments import COUNSELLOR_ROLES, counsellor_ids_for_student
from counseling.models import (
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    SessionNote,
    Slot,
    WaitlistEntry,
)
from counseling.selectors import crisis as crisis_selectors
from portal import access, config
from portal.audit import audit_log
from portal.models import RoleAssignment, Student, User

__all__ = [
    "agenda_bookings",
    "agenda_counsellors",
    "blocked_days_of",
    "bookable_counsellors",
    "booking_for",
    "bookings_awaiting_approval",
    "care_sessions_section",
    "counsellor_slots",
    "my_bookings",
    "my_waitlist",
    "restrictions_visible",
    "session_note_for",
    "slots_open_for_booking",
    "student_of",
    "templates_of",
]


def student_of(user: User) -> Student | None:
    """The student profile of a signed-in user, or None for staff."""
    if not user.is_authenticated:
        return None
    return Student.objects.filter(user=user).select_related("college").first()


# --- Students: open slots, their bookings and waitlist -------------------------------------------------


def slots_open_for_booking(
    user: User,
    *,
    student: Student | None = None,
    counsellor_id: int | None = None,
    gender: str = "",
    mode: str = "",
    days: int | None = None,
) -> QuerySet[Slot]:
    """Slots `student` (default: the user's own student profile) may book now: open (or held for them),
    starting in the future and within the booking window (`days`, default the configured 14), with a
    counsellor the student may see (the centre's, and their own college's station).

    Filters: one counsellor, the counsellor's gender (Staff.gender), in person / online.
    """
    if student is None:
        student = student_of(user)
    if student is None or not user.is_authenticated:
        return Slot.objects.none()
    if student.user_id != user.pk and not appt_access.is_counsellor_user(user):
        return Slot.objects.none()
    now = timezone.now()
    days = int(config.get("counseling.booking_window_days")) if days is None else max(0, min(days, 366))
    qs = Slot.objects.filter(
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=days),
        counsellor_id__in=counsellor_ids_for_student(student),
    ).filter(Q(status=Slot.Status.OPEN) | Q(status=Slot.Status.HELD, held_for=student, held_until__gt=now))
    if counsellor_id:
        qs = qs.filter(counsellor_id=counsellor_id)
    if gender:
        qs = qs.filter(counsellor__staff__gender=gender)
    if mode:
        qs = qs.filter(mode=mode)
    return (
        qs.exclude(counsellor_id=user.pk)
        .select_related("counsellor", "counsellor__staff")
        .order_by("starts_at", "counsellor_id")
    )


def bookable_counsellors(student: Student | None) -> QuerySet[User]:
    """Counsellors the student may book (the filter's choices)."""
    if student is None:
        return User.objects.none()
    return (
        User.objects.filter(pk__in=counsellor_ids_for_student(student))
        .select_related("staff")
        .order_by("full_name", "username")
    )


def my_bookings(user: User) -> QuerySet[Booking]:
    """The user's own bookings, upcoming first then the past (most recent first)."""
    return (
        Booking.objects.filter(student__user=user)
        .select_related("slot", "slot__counsellor")
        .defer("reason")
        .order_by("-slot__starts_at")
    )


def my_waitlist(user: User) -> QuerySet[WaitlistEntry]:
    return (
        WaitlistEntry.objects.filter(student__user=user, status__in=("waiting", "offered"))
        .select_related("counsellor", "offered_slot", "offered_slot__counsellor")
        .order_by("created_at")
    )


def booking_for(user: User, pk: int, *, action: str = "view") -> Booking:
    """One booking: 404 outside the user's scope, 403 when visible but `action` is not allowed."""
    qs = Booking.objects.select_related("slot", "slot__counsellor", "student", "student__user")
    return access.get_for_user(user, qs, action=action, pk=pk)


# --- Counsellors: availability and agenda -----------------------------------------------------------


def templates_of(counsellor: User) -> QuerySet[AvailabilityTemplate]:
    return AvailabilityTemplate.objects.filter(counsellor=counsellor, active=True).order_by("weekday", "start_time")


def blocked_days_of(counsellor: User) -> QuerySet[BlockedDay]:
    return BlockedDay.objects.filter(counsellor=counsellor, date__gte=timezone.localdate()).order_by("date")


def counsellor_slots(counsellor: User, *, days: int = 14) -> QuerySet[Slot]:
    """The counsellor's coming slots with their live booking (if any), for "My availability"."""
    now = timezone.now()
    live = Booking.objects.filter(status__in=Booking.LIVE).select_related("student").defer("reason")
    return (
        Slot.objects.filter(counsellor=counsellor, ends_at__gt=now, starts_at__lte=now + timedelta(days=days))
        .exclude(status=Slot.Status.CANCELLED)
        .select_related("held_for")
        .prefetch_related(Prefetch("bookings", queryset=live, to_attr="live_bookings"))
        .order_by("starts_at")
    )


def agenda_counsellors(user: User) -> QuerySet[User]:
    """Whose agenda the user may open: everyone's for the centre (and admins), one's own otherwise."""
    holders = RoleAssignment.objects.current().filter(role__in=COUNSELLOR_ROLES).values("user_id")
    qs = User.objects.filter(pk__in=holders, is_active=True).order_by("full_name", "username")
    if appt_access.sees_all_agendas(user):
        return qs
    return qs.filter(pk=user.pk)


@dataclass(frozen=True)
class AgendaRange:
    start: date
    end: date  # exclusive

    @property
    def start_dt(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_dt(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end, time.min))


def agenda_range(period: str, *, today: date | None = None) -> AgendaRange:
    today = today or timezone.localdate()
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return AgendaRange(monday, monday + timedelta(days=7))
    if period == "past":
        return AgendaRange(today - timedelta(days=14), today + timedelta(days=1))
    return AgendaRange(today, today + timedelta(days=1))


def agenda_bookings(user: User, *, counsellor_id: int | None, period: str = "today") -> QuerySet[Booking]:
    """Bookings of the period for the counsellor(s) the user may see, with what the page needs (the
    student, whether a note exists, the student's active restriction) in a fixed number of queries.
    The reason is loaded (it is shown to the slot's counsellor and the centre only, see the template)."""
    span = agenda_range(period)
    qs = access.visible(user, Booking).filter(
        slot__starts_at__gte=span.start_dt, slot__starts_at__lt=span.end_dt, status__in=Booking.LIVE
    )
    if counsellor_id:
        qs = qs.filter(slot__counsellor_id=counsellor_id)
    elif not appt_access.sees_all_agendas(user):
        qs = qs.filter(slot__counsellor_id=user.pk)
    return (
        qs.select_related("slot", "slot__counsellor", "student", "student__class_group", "student__college")
        .annotate(
            has_note=Exists(SessionNote.objects.filter(booking=OuterRef("pk"))),
            restricted=Exists(BookingRestriction.objects.filter(student=OuterRef("student"), lifted_at__isnull=True)),
        )
        .order_by("slot__starts_at", "slot__counsellor_id")
    )


def bookings_awaiting_approval(user: User, *, counsellor_id: int | None = None) -> QuerySet[Booking]:
    qs = access.visible(user, Booking).filter(status=Booking.Status.PENDING, slot__starts_at__gt=timezone.now())
    if counsellor_id:
        qs = qs.filter(slot__counsellor_id=counsellor_id)
    elif not appt_access.sees_all_agendas(user):
        qs = qs.filter(slot__counsellor_id=user.pk)
    return qs.select_related("slot", "slot__counsellor", "student", "student__class_group").order_by("slot__starts_at")


def restrictions_visible(user: User) -> QuerySet[BookingRestriction]:
    return (
        access.visible(user, BookingRestriction)
        .filter(lifted_at__isnull=True)
        .select_related("student", "student__class_group")
        .order_by("-created_at")
    )


# --- Session notes: one at a time, audited -------------------------------------------------------------


def session_note_for(user: User, booking: Booking) -> SessionNote | None:
    """The note of a session, for its author or a centre counsellor only (never admins or stations who
    did not write it); None when there is none yet. 404 for anyone else. Every read is audited, the
    amendments shown with it named in the entry; they are on `note.amendment_list`, oldest first."""
    note = SessionNote.objects.filter(booking=booking).select_related("author", "cosigned_by").first()
    if note is None:
        return None
    if not appt_access.may_read_session_note(user, note):
        raise Http404
    note.amendment_list = list(note.amendments.select_related("author").order_by("created_at", "pk"))
    changes = {"amendments": [a.pk for a in note.amendment_list]} if note.amendment_list else None
    audit_log(actor=user, action="read", obj=note, changes=changes)
    return note


# --- Care e-file: sessions without their notes ------------------------------------------------------


def care_sessions_section(student: Student) -> dict | None:
    """The student's appointments (date, counsellor, status) for the care e-file; never a note or reason."""
    from django.utils.translation import gettext as _

    sessions = list(
        Booking.objects.filter(student=student)
        .exclude(status__in=(Booking.Status.CANCELLED, Booking.Status.DECLINED))
        .select_related("slot", "slot__counsellor")
        .defer("reason")
        .order_by("-slot__starts_at")[:50]
    )
    if not sessions:
        return None
    return {
        "title": _("Counselling sessions"),
        "template": "counseling/appointments/care_sessions.html",
        "context": {"sessions": sessions},
    }


if care_sessions_section not in crisis_selectors.care_file_sections:
    crisis_selectors.care_file_sections.append(care_sessions_section)
