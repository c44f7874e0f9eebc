"""Writes of trips: details, status transitions, route, planned students, expenses, report, guardian contacts,
and the trip reminders.

Every function here is the only writer of what it changes. Access is checked by the caller through
portal.access (homevisits/access.py); state rules are checked here and raise DomainError (a form error).
The rules that keep student data closed until the office approves are also checked here, so no caller can
skip them: who may create a trip (access.may_create_trip), stops only while planning (the approved route is
frozen), students only added to an approved trip and only from its route.
Reminders are outbox rows (portal.services.notify) with dedupe keys, so a daily scan sends each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from homevisits.access import guardian_contact_side, is_office, may_create_trip
from homevisits.models import Expense, GuardianContact, Trip, TripStop, TripStudent, VisitRecord
from homevisits.selectors.trips import candidates_match
from homevisits.services.candidates import priority_reasons_for
from portal.audit import audit_log
from portal.kernel.files import check_document, private_name
from portal.kernel.workflow import locked, move
from portal.models import Student, User
from portal.services import DomainError, notify

__all__ = [
    "BRIEFING_MAX",
    "GUARDIAN_SUMMARY_MAX",
    "REPORT_MAX",
    "TripDetails",
    "expense_add",
    "guardian_contact_add",
    "stop_add",
    "stop_remove",
    "trip_approve",
    "trip_close",
    "trip_create",
    "trip_depart",
    "trip_reminders_send",
    "trip_report_save",
    "trip_return",
    "trip_return_to_planning",
    "trip_student_add",
    "trip_student_remove",
    "trip_update",
]

BRIEFING_MAX = 20_000
REPORT_MAX = 50_000
GUARDIAN_SUMMARY_MAX = 5_000
DEPARTURE_REMIND_DAYS = 3
RECORDS_DUE_DAYS = 7
REPORT_DUE_DAYS = 14
PLANNING_STATUSES = (Trip.Status.PLANNING, Trip.Status.APPROVED)


@dataclass(frozen=True)
class TripDetails:
    year: int
    title: str
    regions: str
    leader: User
    members: list[User]
    starts_on: date
    ends_on: date
    budget: Decimal
    briefing: str = ""


def _check_details(details: TripDetails) -> None:
    if details.ends_on < details.starts_on:
        raise DomainError(_("The return date must not be before the departure date."))
    if details.budget < 0:
        raise DomainError(_("The budget cannot be negative."))
    if len(details.briefing) > BRIEFING_MAX:
        raise DomainError(_("The briefing is too long."))


@transaction.atomic
def trip_create(*, actor: User, details: TripDetails) -> Trip:
    """A new trip in planning. The actor must hold a creator role (access.may_create_trip: the setting
    "homevisits.trip_creator_roles"); the caller makes a non-office creator the trip's leader."""
    if not may_create_trip(actor):
        raise DomainError(_("Trips are created by the office; ask it to create this trip."))
    _check_details(details)
    trip = Trip.objects.create(
        year=details.year,
        title=details.title,
        regions=details.regions,
        leader=details.leader,
        starts_on=details.starts_on,
        ends_on=details.ends_on,
        budget=details.budget,
        briefing=details.briefing,
        created_by=actor,
    )
    trip.members.set([m for m in details.members if m.pk != details.leader.pk])
    audit_log(actor=actor, action="homevisits.trip_create", obj=trip)
    return trip


@transaction.atomic
def trip_update(*, actor: User, trip: Trip, details: TripDetails) -> Trip:
    """Change a trip's details. Only while planning or approved; stops must stay within the new dates."""
    trip = locked(trip)
    if trip.status not in PLANNING_STATUSES:
        raise DomainError(
            _("The trip can no longer be changed: it is %(status)s.") % {"status": trip.get_status_display()}
        )
    _check_details(details)
    outside = trip.stops.filter(Q(planned_on__lt=details.starts_on) | Q(planned_on__gt=details.ends_on)).exists()
    if outside:
        raise DomainError(_("Some stops are planned outside these dates; move them first."))
    new_members = {m.pk for m in details.members if m.pk != details.leader.pk}
    team_changed = details.leader.pk != trip.leader_id or new_members != set(trip.members.values_list("pk", flat=True))
    if team_changed and trip.status != Trip.Status.PLANNING and not is_office(actor):
        # The office approved this team: a new member would see the planned students and their guardians.
        raise DomainError(_("After approval only the office changes the leader or the members."))
    for field in ("year", "title", "regions", "leader", "starts_on", "ends_on", "budget", "briefing"):
        setattr(trip, field, getattr(details, field))
    trip.save(update_fields=["year", "title", "regions", "leader", "starts_on", "ends_on", "budget", "briefing"])
    trip.members.set([m for m in details.members if m.pk != details.leader.pk])
    audit_log(actor=actor, action="homevisits.trip_update", obj=trip)
    return trip


# --- Status transitions: one service each (Trip.flow: the map, who may, the audit event) ---------------------


@transaction.atomic
def trip_approve(*, actor: User, trip: Trip) -> Trip:
    """planning → approved (the office). The trip needs at least one stop."""
    if not trip.stops.exists():
        raise DomainError(_("Add at least one stop before the trip is approved."))
    return move(trip, Trip.Status.APPROVED, actor=actor, values={"approved_by": actor, "approved_at": timezone.now()})


@transaction.atomic
def trip_return_to_planning(*, actor: User, trip: Trip) -> Trip:
    """approved → planning (the office), e.g. to change the route; the approval is cleared."""
    return move(trip, Trip.Status.PLANNING, actor=actor, values={"approved_by": None, "approved_at": None})


@transaction.atomic
def trip_depart(*, actor: User, trip: Trip) -> Trip:
    """approved → travelling (leader or office)."""
    return move(trip, Trip.Status.TRAVELLING, actor=actor)


@transaction.atomic
def trip_return(*, actor: User, trip: Trip) -> Trip:
    """travelling → reporting (leader or office), once the team is back."""
    return move(trip, Trip.Status.REPORTING, actor=actor)


@transaction.atomic
def trip_close(*, actor: User, trip: Trip) -> Trip:
    """reporting → closed (the office). The trip report must have been submitted."""
    if not Trip.objects.filter(pk=trip.pk, report_submitted_at__isnull=False).exists():
        raise DomainError(_("The trip report has not been submitted yet."))
    return move(trip, Trip.Status.CLOSED, actor=actor)


@transaction.atomic
def trip_report_save(*, actor: User, trip: Trip, report: str) -> Trip:
    """The leader's written report; saving it submits it. Only while travelling or reporting."""
    trip = locked(trip)
    if trip.status not in (Trip.Status.TRAVELLING, Trip.Status.REPORTING):
        raise DomainError(_("The report is written after the trip has started and before it is closed."))
    if not report.strip():
        raise DomainError(_("Write the report first."))
    if len(report) > REPORT_MAX:
        raise DomainError(_("The report is too long."))
    trip.report = report
    trip.report_submitted_at = timezone.now()
    trip.save(update_fields=["report", "report_submitted_at"])
    audit_log(actor=actor, action="homevisits.trip_report", obj=trip)
    return trip


# --- Route and students -------------------------------------------------------------------------------------


def _require_planning(trip: Trip) -> None:
    if trip.status not in PLANNING_STATUSES:
        raise DomainError(_("The route can only be changed while the trip is being planned."))


def _require_route_editable(trip: Trip) -> None:
    """Stops change only before approval: candidates come from the route the office approved, so a stop
    added afterwards would widen it. To change an approved route, the office sends the trip back to planning
    (which closes its student data to the team) and approves it again."""
    if trip.status != Trip.Status.PLANNING:
        raise DomainError(
            _("The route was approved and cannot be changed; ask the office to send the trip back to planning.")
        )


@transaction.atomic
def stop_add(
    *, actor: User, trip: Trip, province: str, prefecture: str = "", county: str = "", planned_on: date
) -> TripStop:
    """Append a stop to the route. Its date must fall within the trip's dates."""
    trip = locked(trip)
    _require_route_editable(trip)
    if not province.strip():
        raise DomainError(_("Give the stop's province."))
    if not trip.starts_on <= planned_on <= trip.ends_on:
        raise DomainError(_("The stop's date must fall within the trip's dates."))
    last = trip.stops.aggregate(m=Max("position"))["m"] or 0
    stop = TripStop.objects.create(
        trip=trip,
        position=last + 1,
        province=province.strip(),
        prefecture=prefecture.strip(),
        county=county.strip(),
        planned_on=planned_on,
    )
    audit_log(actor=actor, action="homevisits.stop_add", obj=trip, changes={"stop": stop.pk})
    return stop


@transaction.atomic
def stop_remove(*, actor: User, stop: TripStop) -> None:
    """Remove a stop that has no students planned at it."""
    trip = locked(stop.trip)
    _require_route_editable(trip)
    if stop.students.exists():
        raise DomainError(_("Move or remove the students planned at this stop first."))
    stop.delete()
    audit_log(actor=actor, action="homevisits.stop_remove", obj=trip)


@transaction.atomic
def trip_student_add(*, actor: User, stop: TripStop, student: Student) -> tuple[TripStudent, list[Trip]]:
    """Plan a student at a stop; the priority reasons (codes only) are stored with them.

    Only on an approved trip (before approval a trip opens no student data) and only a candidate of its
    approved route (enrolled, hometown on a stop), whatever id a crafted request sends.
    Returns the planned student and the other trips of the same year the student is already on (a
    conflict the planner is shown; it does not block, since a student may move between trips)."""
    trip = locked(stop.trip)
    if trip.status != Trip.Status.APPROVED:
        raise DomainError(_("Students are chosen once the office has approved the trip."))
    if not candidates_match(trip, student):
        raise DomainError(_("This student's hometown is not on the trip's route."))
    if TripStudent.objects.filter(trip=trip, student=student).exists():
        raise DomainError(_("%(name)s is already on this trip.") % {"name": student.name})
    reasons = priority_reasons_for([student.pk], first_year=None).get(student.pk, [])
    planned = TripStudent.objects.create(stop=stop, trip=trip, student=student, reasons=reasons, added_by=actor)
    conflicts = list(
        Trip.objects.filter(year=trip.year, planned_students__student=student).exclude(pk=trip.pk).order_by("pk")
    )
    audit_log(actor=actor, action="homevisits.student_add", obj=trip, changes={"student": student.pk})
    return planned, conflicts


@transaction.atomic
def trip_student_remove(*, actor: User, planned: TripStudent) -> None:
    trip = locked(planned.trip)
    _require_planning(trip)
    planned.delete()
    audit_log(actor=actor, action="homevisits.student_remove", obj=trip, changes={"student": planned.student_id})


# --- Expenses ---------------------------------------------------------------------------------------------------


@transaction.atomic
def expense_add(
    *,
    actor: User,
    trip: Trip,
    spent_on: date,
    category: str,
    amount: Decimal,
    note: str = "",
    receipt: UploadedFile | None = None,
) -> Expense:
    """Record an expense (Decimal, > 0) with an optional receipt (PDF/JPEG/PNG checked by content, ≤ 5 MB).
    Not on a closed trip."""
    trip = locked(trip)
    if trip.status == Trip.Status.CLOSED:
        raise DomainError(_("The trip is closed; expenses can no longer be added."))
    if amount is None or amount <= 0:
        raise DomainError(_("The amount must be more than zero."))
    if not category.strip():
        raise DomainError(_("Give the expense's category."))
    expense = Expense(
        trip=trip, spent_on=spent_on, category=category.strip(), amount=amount, note=note.strip(), created_by=actor
    )
    if receipt is not None:
        try:
            checked = check_document(receipt)
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from exc
        expense.receipt.save(private_name(checked), receipt, save=False)
    expense.save()
    audit_log(actor=actor, action="homevisits.expense_add", obj=trip, changes={"expense": expense.pk})
    return expense


# --- Guardian contacts -------------------------------------------------------------------------------------


@transaction.atomic
def guardian_contact_add(
    *, actor: User, student: Student, kind: str, contacted_on: date, summary: str
) -> GuardianContact:
    """One contact with the student's family. The caller checked the actor's scope (access.guardian_students_q)."""
    if kind not in GuardianContact.Kind.values:
        raise DomainError(_("Choose how the family was contacted."))
    if contacted_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."))
    if not summary.strip():
        raise DomainError(_("Write a short summary."))
    if len(summary) > GUARDIAN_SUMMARY_MAX:
        raise DomainError(_("The summary is too long."))
    contact = GuardianContact.objects.create(
        student=student,
        kind=kind,
        contacted_on=contacted_on,
        by=actor,
        summary=summary.strip(),
        side=guardian_contact_side(actor),
    )
    audit_log(actor=actor, action="homevisits.guardian_contact", obj=student, changes={"contact": contact.pk})
    return contact


# --- Reminders (a daily beat task) -------------------------------------------------------------------------------


def _team(trip: Trip) -> list[User]:
    people = {trip.leader_id: trip.leader}
    people.update({m.pk: m for m in trip.members.all()})
    return [u for u in people.values() if u.is_active]


def trip_reminders_send(*, today: date | None = None) -> int:
    """Departure in 3 days (to the team), visit records due 7 days after return (to the team, while students
    planned on the trip still have no record), trip report due 14 days after return (to the leader, while not
    submitted). Safe to run any number of times a day: every message has a dedupe key. Returns how many
    reminders were scheduled now (including ones already in the outbox)."""
    today = today or timezone.localdate()
    sent = 0
    with override(settings.LANGUAGE_CODE):
        departing = (
            Trip.objects.filter(
                status=Trip.Status.APPROVED,
                starts_on__gte=today,
                starts_on__lte=today + timedelta(days=DEPARTURE_REMIND_DAYS),
            )
            .select_related("leader")
            .prefetch_related("members")
        )
        for trip in departing:
            for user in _team(trip):
                notify(
                    recipient=user,
                    title=_("Home-visit trip %(title)s departs on %(day)s")
                    % {"title": trip.title, "day": trip.starts_on},
                    body=_("Check the itinerary and the briefing before you leave."),
                    url=reverse("homevisits:itinerary", args=[trip.pk]),
                    dedupe_key=f"homevisits:trip:{trip.pk}:depart:{trip.starts_on}:{user.pk}",
                )
                sent += 1
        back = (
            Trip.objects.filter(
                status__in=(Trip.Status.TRAVELLING, Trip.Status.REPORTING),
                ends_on__lte=today - timedelta(days=RECORDS_DUE_DAYS),
            )
            .select_related("leader")
            .prefetch_related("members")
        )
        recorded = VisitRecord.objects.filter(trip_id__in=[t.pk for t in back]).values_list("trip_id", "student_id")
        recorded_pairs = set(recorded)
        missing: dict[int, int] = {}
        for trip_id, student_id in TripStudent.objects.filter(trip__in=back).values_list("trip_id", "student_id"):
            if (trip_id, student_id) not in recorded_pairs:
                missing[trip_id] = missing.get(trip_id, 0) + 1
        for trip in back:
            if missing.get(trip.pk):
                for user in _team(trip):
                    notify(
                        recipient=user,
                        title=_("Visit records of %(title)s are due") % {"title": trip.title},
                        body=_("%(n)s planned students have no visit record yet.") % {"n": missing[trip.pk]},
                        url=reverse("homevisits:trip_detail", args=[trip.pk]),
                        dedupe_key=f"homevisits:trip:{trip.pk}:records_due:{user.pk}",
                    )
                    sent += 1
            if trip.ends_on <= today - timedelta(days=REPORT_DUE_DAYS) and trip.report_submitted_at is None:
                notify(
                    recipient=trip.leader,
                    title=_("The report of %(title)s is due") % {"title": trip.title},
                    body=_("The trip report is due 14 days after the team's return."),
                    url=reverse("homevisits:trip_report", args=[trip.pk]),
                    dedupe_key=f"homevisits:trip:{trip.pk}:report_due:{trip.leader_id}",
                )
                sent += 1
    return sent
