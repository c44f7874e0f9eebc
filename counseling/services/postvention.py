"""Writes of postvention (危机事件后干预): incidents, plans, contacts, check-ins and their reminders.

The caller checked access (counseling.access.postvention: the centre manages; an assignee records their own
check-in). Here: the domain rules, one audit entry per change, and reminders through the outbox with fixed
wording that names nobody ("you have a check-in to do").

Locks: a plan row before its contacts (adding a contact, closing); a check-in row alone when its outcome is
recorded. "Worried" raises a concern report about the person checked (never the index student) through
counseling.services.crisis.report_submit, so it is routed and triaged like any report; its idempotency key is
derived from the check-in, so a double click or two concurrent submits raise one report.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling.models import (
    CHECKIN_NOTE_MAX,
    CONTACT_NAME_MAX,
    INCIDENT_NARRATIVE_MAX,
    Case,
    CheckIn,
    CriticalIncident,
    Level,
    PostventionContact,
    PostventionPlan,
    Relation,
    Report,
    Sign,
)
from counseling.selectors.postvention import checkin_candidates
from counseling.services.crisis import report_submit
from portal.access import has_role
from portal.audit import audit_log
from portal.kernel.workflow import locked, move
from portal.models import MessageKind, Role, Student, User
from portal.services import DomainError, notify, reminder_cancel, reminder_schedule

__all__ = [
    "checkin_assign",
    "checkin_record",
    "incident_record",
    "postvention_contact_add",
    "postvention_plan_close",
    "postvention_plan_open",
    "remind_postvention_checkins",
]

_NAMESPACE = uuid.UUID("0b6c1f9e-7a53-4d1e-9c2b-5e0a8f3d2c71")
CHECKIN_DUE_MAX_DAYS = 60


def worried_report_key(checkin: CheckIn) -> uuid.UUID:
    """The one report a check-in may raise: the same key however often "worried" is submitted."""
    return uuid.uuid5(_NAMESPACE, f"postvention-checkin:{checkin.pk}")


def _checkins_url() -> str:
    return reverse("counseling:my_checkins")


def _due_key(checkin: CheckIn) -> str:
    return f"postvention:checkin:{checkin.pk}:due:{checkin.due_on.isoformat()}"


# --- Incidents and plans -------------------------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    actor: User,
    kind: str,
    occurred_on: date,
    narrative: str,
    student: Student | None = None,
    case: Case | None = None,
) -> CriticalIncident:
    """Record a critical incident (the caller checked may_manage_postvention). The college whose station follows
    it comes from the student, else the case; none means the centre alone."""
    narrative = narrative.strip()
    if kind not in CriticalIncident.Kind.values:
        raise DomainError(_("Choose from the listed options."))
    if not narrative:
        raise DomainError(_("Describe what happened."))
    if len(narrative) > INCIDENT_NARRATIVE_MAX:
        raise DomainError(_("The description is limited to %(max)s characters.") % {"max": INCIDENT_NARRATIVE_MAX})
    if occurred_on > timezone.localdate():
        raise DomainError(_("The incident cannot be in the future."))
    if case is not None and student is not None and case.student_id not in (None, student.pk):
        raise DomainError(_("The case is about another student."))
    if student is None and case is not None and case.student_id:
        student = case.student
    college_id = student.college_id if student else (case.college_id if case else None)
    incident = CriticalIncident.objects.create(
        kind=kind,
        occurred_on=occurred_on,
        student=student,
        case=case,
        college_id=college_id,
        narrative=narrative,
        recorded_by=actor,
    )
    audit_log(
        actor=actor,
        action="postvention.incident_recorded",
        obj=incident,
        changes={"kind": kind, "case": case.pk if case else None},
    )
    return incident


@transaction.atomic
def postvention_plan_open(
    *, actor: User, case: Case | None = None, incident: CriticalIncident | None = None
) -> tuple[PostventionPlan, bool]:
    """Open the plan of a level-4 case or of an incident; returns (plan, created). An open plan of the same case
    or incident is returned as it is (opening twice opens one). The caller checked may_manage_postvention."""
    if (case is None) == (incident is None):
        raise DomainError(_("A plan starts from a case or from an incident."))
    if case is not None:
        case = locked(case)
        if case.level < Level.CRISIS:
            raise DomainError(_("A postvention plan is opened for a level-4 case or a recorded incident."))
        existing = PostventionPlan.objects.filter(case=case, status=PostventionPlan.Status.OPEN).first()
        student_id, college_id = case.student_id, case.college_id
    else:
        incident = CriticalIncident.objects.select_for_update().get(pk=incident.pk)
        existing = PostventionPlan.objects.filter(incident=incident, status=PostventionPlan.Status.OPEN).first()
        student_id, college_id = incident.student_id, incident.college_id
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            plan = PostventionPlan.objects.create(
                case=case, incident=incident, student_id=student_id, college_id=college_id, opened_by=actor
            )
    except IntegrityError:  # opened a moment ago by someone else (the row lock above makes this rare)
        plan = PostventionPlan.objects.get(
            status=PostventionPlan.Status.OPEN, **({"case": case} if case else {"incident": incident})
        )
        return plan, False
    audit_log(
        actor=actor,
        action="postvention.plan_opened",
        obj=plan,
        changes={"case": case.pk if case else None, "incident": incident.pk if incident else None},
    )
    return plan, True


@transaction.atomic
def postvention_plan_close(*, actor: User, plan: PostventionPlan) -> PostventionPlan:
    """Close the plan; check-ins still to do are left as they are and their reminders cancelled."""
    plan = move(plan, PostventionPlan.Status.CLOSED, actor=actor, values={"closed_at": timezone.now()}, event=False)
    for checkin in CheckIn.objects.filter(contact__plan=plan, status=CheckIn.Status.PENDING):
        reminder_cancel(dedupe_key=_due_key(checkin))
    return plan


# --- Contacts ------------------------------------------------------------------------------------------------


@transaction.atomic
def postvention_contact_add(
    *, actor: User, plan: PostventionPlan, relation: str, student: Student | None = None, name: str = ""
) -> PostventionContact:
    """Put someone on the plan: a student on the roster, or a name (someone not on the roster). Never the index
    student; a student once per plan. Locks the plan."""
    name = name.strip()
    if relation not in PostventionContact.Relation.values:
        raise DomainError(_("Choose from the listed options."))
    if (student is None) == (not name):
        raise DomainError(_("Give a student number or a name, not both."))
    if len(name) > CONTACT_NAME_MAX:
        raise DomainError(_("A name is limited to %(max)s characters.") % {"max": CONTACT_NAME_MAX})
    plan = locked(plan)
    if not plan.is_open:
        raise DomainError(_("The plan is closed."))
    if student is not None and student.pk == plan.student_id:
        raise DomainError(_("This is the student the plan is about."))
    if student is not None and plan.contacts.filter(student=student).exists():
        raise DomainError(_("This student is already on the plan."))
    contact = PostventionContact.objects.create(
        plan=plan, student=student, name_given="" if student else name, relation=relation, added_by=actor
    )
    audit_log(
        actor=actor,
        action="postvention.contact_added",
        obj=plan,
        changes={"contact": contact.pk, "relation": relation, "on_roster": student is not None},
    )
    return contact


# --- Check-ins -----------------------------------------------------------------------------------------------


@transaction.atomic
def checkin_assign(*, actor: User, contact: PostventionContact, assignee: User, due_on: date) -> CheckIn:
    """Ask someone to check on a contact by a date. The assignee must be one of checkin_candidates(plan) (a form
    posting another user's id is refused here too) and is never the person checked. The assignee is told now
    and reminded on the due date, in words that name nobody."""
    plan = locked(contact.plan)
    if not plan.is_open:
        raise DomainError(_("The plan is closed."))
    today = timezone.localdate()
    if due_on < today:
        raise DomainError(_("The due date is in the past."))
    if due_on > today + timedelta(days=CHECKIN_DUE_MAX_DAYS):
        raise DomainError(_("The due date is too far ahead."))
    if not checkin_candidates(plan).filter(pk=assignee.pk).exists():
        raise DomainError(_("Choose a dorm liaison, class committee member or counsellor from the list."))
    if contact.student_id is not None and contact.student.user_id == assignee.pk:
        raise DomainError(_("Someone cannot be asked to check on themselves."))
    checkin = CheckIn.objects.create(contact=contact, assignee=assignee, due_on=due_on, assigned_by=actor)
    audit_log(
        actor=actor,
        action="postvention.checkin_assigned",
        obj=checkin,
        changes={"plan": plan.pk, "contact": contact.pk, "assignee": assignee.pk, "due_on": due_on.isoformat()},
    )
    notify(
        recipient=assignee,
        title=_("You have a new check-in to do"),
        body=_("Please sign in to Nuanxin to see it."),
        url=_checkins_url(),
        kind=MessageKind.TASK,
        dedupe_key=f"postvention:checkin:{checkin.pk}:assigned",
    )
    due_at = timezone.make_aware(datetime.combine(due_on, datetime.min.time()).replace(hour=8))
    reminder_schedule(
        recipient=assignee,
        channel="in_app",
        subject=_("A check-in is due today"),
        body=_("Please sign in to Nuanxin to see it."),
        url=_checkins_url(),
        due_at=max(due_at, timezone.now()),
        kind=MessageKind.TASK,
        dedupe_key=_due_key(checkin),
    )
    return checkin


def _worried_narrative(note: str) -> str:
    """The report's text, in the school's language: why it was raised, and the checker's note. Never the index
    student, the incident or the plan."""
    with override(settings.LANGUAGE_CODE):
        text = _("Raised from a check-in: the person checking in was worried about this student.")
    return f"{text}\n\n{note}" if note else text


@transaction.atomic
def checkin_record(*, actor: User, checkin: CheckIn, outcome: str, note: str = "") -> tuple[CheckIn, bool]:
    """Record the outcome of a check-in; returns (check-in, changed). The caller checked `can(actor, "record",
    checkin)` (the assignee, or the centre).

    Locks the check-in. Done already with the same outcome → returned unchanged (a double submit); with another
    outcome → DomainError. "Worried" raises a concern report about the person checked, through report_submit
    (routed to their station like any report), in one transaction with the outcome."""
    note = note.strip()
    if outcome not in CheckIn.Outcome.values:
        raise DomainError(_("Choose from the listed options."))
    if len(note) > CHECKIN_NOTE_MAX:
        raise DomainError(_("The note is limited to %(max)s characters.") % {"max": CHECKIN_NOTE_MAX})
    checkin = locked(checkin)
    if checkin.status == CheckIn.Status.DONE:
        if checkin.outcome == outcome:
            return checkin, False
        raise DomainError(_("This check-in is already recorded."))
    report: Report | None = None
    if outcome == CheckIn.Outcome.WORRIED:
        contact = PostventionContact.objects.select_related("student").get(pk=checkin.contact_id)
        staff = has_role(actor, Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)
        report, _created = report_submit(
            reporter=actor,
            anonymous=False,
            student=contact.student,
            subject_given=contact.student.student_no if contact.student else contact.name_given[:200],
            relation=Relation.STAFF if staff else Relation.OTHER,
            signs=[Sign.OTHER],
            narrative=_worried_narrative(note),
            when_where="",
            in_danger=False,
            idempotency_key=worried_report_key(checkin),
        )
    checkin = move(
        checkin,
        CheckIn.Status.DONE,
        actor=actor,
        values={"outcome": outcome, "note": note, "done_at": timezone.now(), "done_by": actor, "report": report},
        event=False,
        changes={"outcome": outcome, "report": report.pk if report else None},
    )
    reminder_cancel(dedupe_key=_due_key(checkin))
    return checkin, True


# --- The scheduled scan --------------------------------------------------------------------------------------


def remind_postvention_checkins(*, today: date | None = None) -> int:
    """Check-ins of open plans past their due date: the assignee and the counsellor who opened the plan are told
    once per due date (claimed by a conditional UPDATE, so two scans at once send one; the outbox's dedupe keys
    make a rerun harmless too). The due-day reminder itself was scheduled when the check-in was assigned."""
    today = today or timezone.localdate()
    done = 0
    overdue = CheckIn.objects.filter(
        status=CheckIn.Status.PENDING, due_on__lt=today, contact__plan__status=PostventionPlan.Status.OPEN
    ).select_related("assignee", "contact__plan__opened_by")
    for checkin in overdue.iterator():
        due = checkin.due_on
        with transaction.atomic():
            claimed = (
                CheckIn.objects.filter(pk=checkin.pk, status=CheckIn.Status.PENDING, due_on=due)
                .exclude(overdue_reminded_for=due)
                .update(overdue_reminded_for=due)
            )
            if not claimed:
                continue
            notify(
                recipient=checkin.assignee,
                title=_("A check-in is overdue"),
                body=_("Please sign in to Nuanxin to see it."),
                url=_checkins_url(),
                kind=MessageKind.TASK,
                dedupe_key=f"postvention:checkin:{checkin.pk}:overdue:{due.isoformat()}",
            )
            plan = checkin.contact.plan
            notify(
                recipient=plan.opened_by,
                title=_("A postvention check-in is overdue"),
                url=reverse("counseling:postvention_plan", args=[plan.pk]),
                kind=MessageKind.TASK,
                dedupe_key=f"postvention:checkin:{checkin.pk}:overdue:{due.isoformat()}:opener",
            )
            done += 1
    return done
