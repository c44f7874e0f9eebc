"""Access rules for appointments, registered with portal.access (the one place that decides).

- Slots and availability: a counsellor manages their own; students see open slots through the selector.
- Bookings: a student sees their own; a counsellor the bookings of their own slots; centre counsellors
  every agenda. The intake reason is shown only to the slot's counsellor and centre counsellors.
- Booking restrictions: centre counsellors, and a station for the students of its college, see and lift.
- Session notes: readable by their author and centre counsellors (supervisors) only; not even admins
  read them in the app. Every read is audited.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from counseling.models import (
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    SessionNote,
    Slot,
    WaitlistEntry,
)
from portal.access import (
    EVERYTHING,
    colleges_for,
    has_role,
    is_admin,
    mark_sensitive,
    permission_rule,
    visibility_rule,
)
from portal.models import Role, RoleAssignment, Student, User

__all__ = [
    "COUNSELLOR_ROLES",
    "counsellor_ids_for_student",
    "is_counsellor",
    "is_counsellor_user",
    "may_book",
    "may_manage_availability",
    "may_read_reason",
    "may_read_session_note",
    "may_see_agenda",
    "sees_all_agendas",
]

COUNSELLOR_ROLES = (Role.CENTRE_COUNSELLOR, Role.STATION_COUNSELLOR)

mark_sensitive(SessionNote)


def is_counsellor_user(user: User) -> bool:
    return has_role(user, *COUNSELLOR_ROLES)


def _counsellor_assignments() -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.current().filter(role__in=COUNSELLOR_ROLES, user__is_active=True)


def is_counsellor(user: User) -> bool:
    """A counsellor now, with an active login: checked afresh (a booking's counsellor, not the request's user)."""
    return user.is_authenticated and _counsellor_assignments().filter(user=user).exists()


def counsellor_ids_for_student(student: Student) -> QuerySet:
    """Counsellors a student may book: every centre counsellor, and the station of the student's college."""
    return (
        _counsellor_assignments()
        .filter(Q(role=Role.CENTRE_COUNSELLOR) | Q(role=Role.STATION_COUNSELLOR, college_id=student.college_id))
        .values("user_id")
    )


def may_book(user: User) -> bool:
    """Students (anyone with a student profile) book counselling for themselves."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_nuanxin_is_student", None)
    if cached is None:
        cached = Student.objects.filter(user=user).exists()
        user._nuanxin_is_student = cached
    return cached


def may_manage_availability(user: User) -> bool:
    return is_counsellor_user(user)


def may_see_agenda(user: User) -> bool:
    return is_counsellor_user(user) or is_admin(user)


def sees_all_agendas(user: User) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user)


def may_read_reason(user: User, booking: Booking) -> bool:
    """The intake reason: the slot's counsellor and centre counsellors (and the student who wrote it)."""
    return (
        booking.slot.counsellor_id == user.pk
        or has_role(user, Role.CENTRE_COUNSELLOR)
        or booking.student.user_id == user.pk
    )


def may_read_session_note(user: User, note: SessionNote) -> bool:
    return user.is_authenticated and (note.author_id == user.pk or has_role(user, Role.CENTRE_COUNSELLOR))


# --- Slots and availability ------------------------------------------------------------------------


@visibility_rule(Slot)
def _slots_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR) and action == "view":
        return EVERYTHING
    return Q(counsellor_id=user.pk) if is_counsellor_user(user) else None


@permission_rule(Slot, "manage")
def _slot_managers(user: User, slot: Slot) -> bool:
    return slot.counsellor_id == user.pk


@visibility_rule(AvailabilityTemplate)
def _templates_visible(user: User, action: str) -> Q | None:
    return Q(counsellor_id=user.pk) if is_counsellor_user(user) else None


@permission_rule(AvailabilityTemplate, "manage")
def _template_managers(user: User, template: AvailabilityTemplate) -> bool:
    return template.counsellor_id == user.pk


@visibility_rule(BlockedDay)
def _blocked_visible(user: User, action: str) -> Q | None:
    return Q(counsellor_id=user.pk) if is_counsellor_user(user) else None


@permission_rule(BlockedDay, "manage")
def _blocked_managers(user: User, blocked: BlockedDay) -> bool:
    return blocked.counsellor_id == user.pk


# --- Bookings -----------------------------------------------------------------------------------------


@visibility_rule(Booking)
def _bookings_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    q = Q(student__user_id=user.pk)
    if has_role(user, Role.STATION_COUNSELLOR):
        q |= Q(slot__counsellor_id=user.pk)
    return q


@permission_rule(Booking, "cancel")
def _booking_cancellers(user: User, booking: Booking) -> bool:
    return booking.student.user_id == user.pk


@permission_rule(Booking, "decide", "mark_outcome")
def _booking_deciders(user: User, booking: Booking) -> bool:
    return booking.slot.counsellor_id == user.pk or has_role(user, Role.CENTRE_COUNSELLOR)


@permission_rule(Booking, "write_note")
def _booking_note_writers(user: User, booking: Booking) -> bool:
    return booking.slot.counsellor_id == user.pk


@permission_rule(Booking, "ics")
def _booking_calendar(user: User, booking: Booking) -> bool:
    return booking.student.user_id == user.pk or booking.slot.counsellor_id == user.pk


# --- Restrictions and the waitlist -------------------------------------------------------------------


@visibility_rule(BookingRestriction)
def _restrictions_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    q = Q(student__user_id=user.pk) if action == "view" else None
    if colleges:
        mine = Q(student__college_id__in=colleges)
        q = mine if q is None else q | mine
    return q


@permission_rule(BookingRestriction, "lift")
def _restriction_lifters(user: User, restriction: BookingRestriction) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or restriction.student.college_id in colleges_for(
        user, Role.STATION_COUNSELLOR
    )


@visibility_rule(WaitlistEntry)
def _waitlist_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR) and action == "view":
        return EVERYTHING
    return Q(student__user_id=user.pk)


@permission_rule(WaitlistEntry, "leave", "accept")
def _waitlist_own(user: User, entry: WaitlistEntry) -> bool:
    return entry.student.user_id == user.pk


# --- Session notes ------------------------------------------------------------------------------------


@visibility_rule(SessionNote)
def _notes_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    return Q(author_id=user.pk) if is_counsellor_user(user) else None


@permission_rule(SessionNote, "edit")
def _note_editors(user: User, note: SessionNote) -> bool:
    return note.author_id == user.pk
