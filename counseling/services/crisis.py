"""Writes of the crisis network: report, route, triage, assess, intervene, follow up, close.

Every function here is the only writer of what it changes. Preconditions (access) are checked by the
caller through portal.access; the state rules are checked here and raise DomainError.
Alerts are outbox rows (portal.services.notify/reminder_schedule) written in the same transaction as
the change, so a report is never saved without its alerts, and a broker outage only delays them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling.models import (
    NARRATIVE_MAX,
    Assessment,
    CareLevelOverride,
    Case,
    CaseEvent,
    InterventionAction,
    Level,
    Relation,
    Report,
    ReporterQuestion,
    Sign,
    ZeroReport,
)
from counseling.receipts import receipt_code_for, receipt_hash
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import month_start
from portal.kernel.workflow import locked, move
from portal.models import ClassGroup, MessageKind, Role, RoleAssignment, Student, User
from portal.selectors import role_holders
from portal.services import DomainError, lock_idempotency_key, notify, notify_each, reminder_schedule

config.declare(
    "counseling.ack_minutes",
    {"1": 72 * 60, "2": 24 * 60, "3": 120, "4": 30},
    "Minutes within which a report of each level must be acknowledged before it is escalated.",
)
config.declare(
    "counseling.on_call_usernames",
    [],
    "Usernames of the centre's on-call counsellors, told when a report is not acknowledged in time. "
    "Empty: every centre counsellor.",
)
config.declare(
    "counseling.touchpoint_escalate_days", 2, "Days a next touchpoint may be overdue before the station head is told."
)
config.declare("counseling.zero_report_remind_day", 5, "Day of the month by which the zero report is due (reminder).")
config.declare(
    "counseling.zero_report_escalate_day", 10, "Day of the month on which a missing zero report is escalated."
)

HIGH_SIGNS = {Sign.SUICIDE_TALK, Sign.SELF_HARM}


# --- Who gets told ---------------------------------------------------------------------------------


def station_counsellors(college_id: int | None) -> list[User]:
    return role_holders(Role.STATION_COUNSELLOR, college_id=college_id) if college_id else []


def station_heads(college_id: int | None) -> list[User]:
    if not college_id:
        return []
    return role_holders(Role.STATION_COUNSELLOR, college_id=college_id, lead=True) or station_counsellors(college_id)


def centre_counsellors() -> list[User]:
    return role_holders(Role.CENTRE_COUNSELLOR)


def centre_on_call() -> list[User]:
    names = config.get("counseling.on_call_usernames")
    if names:
        on_call = list(User.objects.filter(username__in=names, is_active=True))
        if on_call:
            return on_call
    return centre_counsellors()


def centre_directors() -> list[User]:
    return role_holders(Role.CENTRE_COUNSELLOR, lead=True) or centre_counsellors()


def _case_url(case: Case) -> str:
    return reverse("counseling:case_detail", args=[case.pk])


# --- Levels and limits ------------------------------------------------------------------------------


def ack_limit(level: int) -> timedelta:
    minutes = config.get("counseling.ack_minutes")
    return timedelta(minutes=int(minutes.get(str(level), minutes.get(level, 24 * 60))))


def provisional_level(*, signs: list[str], in_danger: bool) -> int:
    """The level a report starts at before a counsellor rates it: erring towards faster response.

    In danger now → 4; talk of suicide or self-harm → 3; conflict or violence → 2; otherwise 1.
    """
    if in_danger:
        return Level.CRISIS
    if HIGH_SIGNS & set(signs):
        return Level.HIGH
    if Sign.CONFLICT in signs:
        return Level.KEY
    return Level.GENERAL


# --- Subject look-up ---------------------------------------------------------------------------------


def subject_resolve(*, student_no: str = "", name: str = "", class_name: str = "") -> Student | None:
    """Find the student a reporter means, by 学号 or by name + class. The result is used to route the
    report and is never shown to a reporter outside their scope (see views: the answer is the same)."""
    student_no, name, class_name = student_no.strip(), name.strip(), class_name.strip()
    if student_no:
        return Student.objects.filter(student_no=student_no).select_related("college").first()
    if name and class_name:
        matches = list(Student.objects.filter(name=name, class_group__name=class_name).select_related("college")[:2])
        return matches[0] if len(matches) == 1 else None
    return None


# --- Submitting a report ------------------------------------------------------------------------------


def _event(case: Case, kind: str, /, *, actor: User | None, note: str = "", **data: object) -> CaseEvent:
    # Positional-only, so timeline data may carry its own "kind" (an action's kind, for one).
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, note=note, data=data)


def _alert_new_report(case: Case, report: Report) -> None:
    """Station always; level ≥ 3 also the centre and the college's leadership contact, by e-mail too."""
    url = _case_url(case)
    high = case.level >= Level.HIGH
    with override(settings.LANGUAGE_CODE):
        title = _("New concern report (level %(level)s)") % {"level": case.level}
        body = _("A new report is waiting in the triage queue. Acknowledge it within the time limit.")
    recipients = {u.pk: u for u in station_counsellors(case.college_id)}
    if high or case.college_id is None:
        recipients.update({u.pk: u for u in centre_counsellors()})
    notify_each(
        recipients=recipients.values(),
        title=title,
        body=body,
        url=url,
        email=high,
        kind=MessageKind.CRISIS_ALERT if high else MessageKind.TASK,
        dedupe_prefix=f"crisis:report:{report.pk}:alert",
    )
    if high and case.college and case.college.leadership_email:
        reminder_schedule(
            recipient=None,
            email_to=case.college.leadership_email,
            channel="email",
            subject=title,
            body=_("A high-risk report about a student of your college was received and is being handled."),
            due_at=timezone.now(),
            dedupe_key=f"crisis:report:{report.pk}:alert:leadership",
        )


def report_fields_check(*, narrative: str, relation: str, signs: list[str]) -> str:
    """The checks every report passes, routed or held; returns the narrative stripped."""
    narrative = narrative.strip()
    if not narrative:
        raise DomainError(_("Describe what you noticed."))
    if len(narrative) > NARRATIVE_MAX:
        raise DomainError(_("The description is limited to %(max)s characters.") % {"max": NARRATIVE_MAX})
    if relation not in Relation.values or any(s not in Sign.values for s in signs):
        raise DomainError(_("Choose from the listed options."))
    return narrative


@transaction.atomic
def report_submit(
    *,
    reporter: User | None,
    anonymous: bool,
    student: Student | None,
    subject_given: str,
    relation: str,
    signs: list[str],
    narrative: str,
    when_where: str,
    in_danger: bool,
    idempotency_key: uuid.UUID,
    received_at: datetime | None = None,
) -> tuple[Report, bool]:
    """Save a report and route it. Returns (report, created); a resubmitted form returns the first one.

    `received_at` is when the reporter sent it, for a report the centre confirms out of a held burst
    (counseling.services.holds); the case's clock starts now either way.

    The report joins the student's open case, raising its level if this report is more serious;
    otherwise it opens a new case in the student's college queue (the centre's when unmatched).
    An anonymous report stores no reporter at all.
    """
    lock_idempotency_key(idempotency_key)
    existing = Report.objects.filter(idempotency_key=idempotency_key).select_related("case").first()
    if existing is not None:
        return existing, False
    narrative = report_fields_check(narrative=narrative, relation=relation, signs=signs)
    if reporter is None and not anonymous:
        raise DomainError(_("Sign in, or choose to report anonymously."))
    level = provisional_level(signs=signs, in_danger=in_danger)
    now = timezone.now()
    case, case_created = _open_case_for(student=student, level=level, now=now)
    report = Report.objects.create(
        case=case,
        reporter=None if anonymous else reporter,
        anonymous=anonymous,
        receipt_hash=receipt_hash(receipt_code_for(idempotency_key)) if anonymous else None,
        relation=relation,
        subject_given=subject_given[:200],
        signs=sorted(set(signs)),
        narrative=narrative,
        when_where=when_where.strip(),
        in_danger=in_danger,
        idempotency_key=idempotency_key,
        created_at=received_at or now,
    )
    if case_created:
        _event(case, CaseEvent.Kind.CREATED, actor=None, level=level, report=report.pk)
    else:
        _event(case, CaseEvent.Kind.REPORT, actor=None, report=report.pk)
        if level > case.level:
            _raise_level(case, level, actor=None, reason_code="new_report")
    audit_log(
        actor=None if anonymous else reporter,
        action="crisis_report.submitted",
        obj=report,
        changes={"case": case.pk, "level": level, "anonymous": anonymous},
    )
    _alert_new_report(case, report)
    return report, True


@transaction.atomic
def report_raise_from_screening(
    *, student: Student, level: int, summary: str, idempotency_key: uuid.UUID
) -> Report | None:
    """A screening result's safety rule raises a concern report in the student's name (DOMAIN §2.4).

    Level 3 (PHQ-9 item 9 > 0) is always raised: it joins an open case and lifts it to level 3.
    Level 2 (a score of 10 or more) is raised only when the student has no open case.
    Returns the report, or None when nothing was raised. Idempotent by key.
    """
    if level not in (Level.KEY, Level.HIGH):
        raise DomainError("screening raises level 2 or 3 reports only")
    lock_idempotency_key(idempotency_key)
    existing = Report.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if level == Level.KEY and Case.objects.filter(student=student, status__in=Case.OPEN_STATUSES).exists():
        return None
    now = timezone.now()
    case, case_created = _open_case_for(student=student, level=level, now=now)
    report = Report.objects.create(
        case=case,
        reporter=None,
        anonymous=False,
        source=Report.Source.SCREENING,
        relation=Relation.SELF,
        subject_given=student.student_no,
        signs=[Sign.SUICIDE_TALK] if level == Level.HIGH else [Sign.MOOD],
        narrative=summary,
        when_where="",
        in_danger=False,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if case_created:
        _event(case, CaseEvent.Kind.CREATED, actor=None, level=level, report=report.pk, source="screening")
    else:
        _event(case, CaseEvent.Kind.REPORT, actor=None, report=report.pk, source="screening")
        if level > case.level:
            _raise_level(case, level, actor=None, reason_code="screening")
    audit_log(
        actor=None, action="crisis_report.raised_by_screening", obj=report, changes={"case": case.pk, "level": level}
    )
    _alert_new_report(case, report)
    return report


@transaction.atomic
def referral_from_aid(*, actor: User, student: Student, note: str, idempotency_key: uuid.UUID) -> Report:
    """Psychological aid (心理援助) of a five-aid case: the aid office refers a student to their station.

    The referral is a level-1 concern report; the aid office later learns only referred / engaged /
    declined (referral_status), never anything the counsellors record.
    """
    return _staff_referral(
        actor=actor,
        student=student,
        note=note,
        idempotency_key=idempotency_key,
        source=Report.Source.AID_REFERRAL,
        audit_action="crisis_report.aid_referral",
    )


@transaction.atomic
def referral_from_home_visit(*, actor: User, student: Student, note: str, idempotency_key: uuid.UUID) -> Report:
    """A home-visit team refers a student it visited to their station (a follow-up of a visit record).

    Like the aid office's referral: a level-1 concern report routed to the station; the team learns only
    referred / engaged / declined (referral_status). Idempotent by key.
    """
    return _staff_referral(
        actor=actor,
        student=student,
        note=note,
        idempotency_key=idempotency_key,
        source=Report.Source.HOME_VISIT,
        audit_action="crisis_report.home_visit_referral",
    )


def _staff_referral(
    *, actor: User, student: Student, note: str, idempotency_key: uuid.UUID, source: str, audit_action: str
) -> Report:
    """A level-1 report by a member of staff outside counselling, joining the student's open case if any."""
    note = note.strip()
    if not note:
        raise DomainError(_("Say briefly why you refer the student."))
    if len(note) > 2000:
        raise DomainError(_("A referral note is limited to 2,000 characters."))
    lock_idempotency_key(idempotency_key)
    existing = Report.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    case, case_created = _open_case_for(student=student, level=Level.GENERAL, now=now)
    report = Report.objects.create(
        case=case,
        reporter=actor,
        anonymous=False,
        source=source,
        relation=Relation.STAFF,
        subject_given=student.student_no,
        signs=[Sign.OTHER],
        narrative=note,
        when_where="",
        in_danger=False,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    kind = CaseEvent.Kind.CREATED if case_created else CaseEvent.Kind.REPORT
    _event(case, kind, actor=None, level=case.level, report=report.pk, source=source)
    audit_log(actor=actor, action=audit_action, obj=report, changes={"case": case.pk})
    _alert_new_report(case, report)
    return report


def referral_status(report_id: int) -> str:
    """What the aid office may know of its referral: "referred", "engaged" or "declined".

    Read from the referral's own report, never from the case it joined: a student who already had an
    open case must not read "engaged" the moment they are referred (that would tell the aid office
    about counselling it has no part in)."""
    report = Report.objects.filter(pk=report_id).only("seen_at", "closed_at", "close_reason").first()
    if report is None or report.seen_at is None:
        return "referred"
    if report.closed_at is not None and report.close_reason == Case.CloseReason.DECLINED:
        return "declined"
    return "engaged"


def _open_case_for(*, student: Student | None, level: int, now: datetime) -> tuple[Case, bool]:
    """The student's open case, locked, or a new one. The partial unique index settles races."""
    college_id = student.college_id if student else None
    if student is not None:
        case = Case.objects.select_for_update().filter(student=student).exclude(status=Case.Status.CLOSED).first()
        if case is not None:
            return case, False
    try:
        with transaction.atomic():
            case = Case.objects.create(
                student=student, college_id=college_id, level=level, created_at=now, ack_due_at=now + ack_limit(level)
            )
    except IntegrityError:  # another report about this student opened a case a moment ago
        case = Case.objects.select_for_update().get(student=student, status__in=Case.OPEN_STATUSES)
        return case, False
    return case, True


def _raise_level(case: Case, level: int, *, actor: User | None, reason_code: str, reason: str = "") -> None:
    old = case.level
    case.level = level
    fields = ["level"]
    if case.status == Case.Status.NEW:
        case.ack_due_at = min(case.ack_due_at, timezone.now() + ack_limit(level))
        fields.append("ack_due_at")
    case.save(update_fields=fields)
    _event(case, CaseEvent.Kind.LEVEL, actor=actor, note=reason, **{"from": old, "to": level, "why": reason_code})
    if level >= Level.HIGH > old:
        url = _case_url(case)
        notify_each(
            recipients=centre_counsellors(),
            title=_("A case was raised to level %(level)s") % {"level": level},
            url=url,
            email=True,
            kind=MessageKind.CRISIS_ALERT,
            dedupe_prefix=f"crisis:case:{case.pk}:raised:{level}",
        )


# --- Triage ---------------------------------------------------------------------------------------------


def _reports_seen(case: Case, *, now: datetime | None = None) -> int:
    """A counsellor has read or acted on the case: every report on it not yet seen reads "seen"."""
    return Report.objects.filter(case=case, seen_at__isnull=True).update(seen_at=now or timezone.now())


def case_reports_seen(*, actor: User, case: Case) -> int:
    """The case page was opened by counselling staff (the caller checked access): its reports are seen.

    One conditional UPDATE, a no-op once every report is seen. Returns how many changed."""
    return _reports_seen(case)


@transaction.atomic
def case_acknowledge(*, actor: User, case: Case) -> Case:
    """new → acknowledged. Stops acknowledgement escalation."""
    return case_transition(actor=actor, case=case, to_status=Case.Status.ACKNOWLEDGED)


@transaction.atomic
def case_set_level(
    *, actor: User, case: Case, level: int, self_harm_level: int | None, others_harm_level: int | None, reason: str
) -> Case:
    """Rate the case: overall level and, separately, risk of self-harm and of harm to others. Reason required."""
    if not reason.strip():
        raise DomainError(_("Give a reason for the level."))
    valid = set(Level.values)
    if level not in valid or any(v is not None and v not in valid for v in (self_harm_level, others_harm_level)):
        raise DomainError(_("Levels go from 1 to 4."))
    case = locked(case)
    if not case.is_open:
        raise DomainError(_("Reopen the case before changing its level."))
    case.self_harm_level = self_harm_level
    case.others_harm_level = others_harm_level
    case.save(update_fields=["self_harm_level", "others_harm_level"])
    _reports_seen(case)
    if level > case.level:
        _raise_level(case, level, actor=actor, reason_code="rated", reason=reason)
    else:
        old = case.level
        case.level = level
        case.save(update_fields=["level"])
        _event(
            case,
            CaseEvent.Kind.LEVEL,
            actor=actor,
            note=reason,
            **{"from": old, "to": level, "why": "rated", "self_harm": self_harm_level, "others": others_harm_level},
        )
    audit_log(actor=actor, action="case.level_set", obj=case, changes={"level": level})
    return case


def owner_candidates(case: Case) -> list[User]:
    """Who may own a case: the college's station counsellors and the centre's counsellors."""
    seen = {u.pk: u for u in station_counsellors(case.college_id)}
    seen.update({u.pk: u for u in centre_counsellors()})
    return list(seen.values())


@transaction.atomic
def case_assign_owner(*, actor: User, case: Case, owner: User) -> Case:
    case = locked(case)
    if owner.pk not in {u.pk for u in owner_candidates(case)}:
        raise DomainError(_("The owner must be a counsellor of the student's college station or of the centre."))
    if case.owner_id == owner.pk:
        return case
    case.owner = owner
    case.save(update_fields=["owner"])
    _reports_seen(case)
    _event(case, CaseEvent.Kind.OWNER, actor=actor, owner=owner.pk, owner_name=owner.display_name)
    audit_log(actor=actor, action="case.owner_assigned", obj=case, changes={"owner": owner.pk})
    if owner.pk != actor.pk:
        notify(
            recipient=owner,
            title=_("A case was assigned to you"),
            url=_case_url(case),
            kind=MessageKind.TASK,
            dedupe_key=f"crisis:case:{case.pk}:owner:{owner.pk}:{timezone.now():%Y%m%d%H%M%S}",
        )
    return case


@transaction.atomic
def case_set_touchpoint(*, actor: User, case: Case, on: date, note: str = "") -> Case:
    """Every open case has a next touchpoint; overdue ones are reminded and then escalated."""
    if on < timezone.localdate():
        raise DomainError(_("The next touchpoint cannot be in the past."))
    if on > timezone.localdate() + timedelta(days=366):
        raise DomainError(_("Choose a touchpoint within a year."))
    case = locked(case)
    if not case.is_open:
        raise DomainError(_("The case is closed."))
    case.next_touchpoint = on
    case.save(update_fields=["next_touchpoint"])
    _event(case, CaseEvent.Kind.TOUCHPOINT, actor=actor, note=note, on=on.isoformat())
    return case


@transaction.atomic
def case_transition(*, actor: User, case: Case, to_status: str, reason: str = "", note: str = "") -> Case:
    """Move the case along Case.flow (who may: counseling.access.crisis.may_transition). Closing needs a reason;
    reopening goes back to acknowledged. The timeline entry ("acknowledged" or "status changed", with the close
    reason) and the audit event are written by the move."""
    if to_status not in Case.Status.values:
        raise DomainError(_("Choose a status from the list."))
    now = timezone.now()

    def close_or_reopen(case: Case) -> list[str]:
        fields: list[str] = []
        if to_status == Case.Status.CLOSED:
            if reason not in Case.CloseReason.values:
                raise DomainError(_("Choose why the case is closed."))
            case.closed_at, case.close_reason = now, reason
            fields += ["closed_at", "close_reason"]
        elif case.status == Case.Status.CLOSED:  # reopen
            case.closed_at, case.close_reason = None, ""
            fields += ["closed_at", "close_reason"]
            others = Case.objects.filter(student_id=case.student_id, status__in=Case.OPEN_STATUSES).exclude(pk=case.pk)
            if others.exists():
                raise DomainError(_("This student has another open case; add to that one instead."))
        if to_status == Case.Status.ACKNOWLEDGED and case.acknowledged_at is None:
            case.acknowledged_at = now
            fields.append("acknowledged_at")
        return fields

    case = move(case, to_status, actor=actor, note=note, data={"reason": reason}, on_move=close_or_reopen)
    _reports_seen(case, now=now)
    if to_status == Case.Status.CLOSED:
        # Each report that joined before the close ends its own loop; a report after a reopen starts anew.
        Report.objects.filter(case=case, closed_at__isnull=True).update(closed_at=now, close_reason=reason)
    return case


@transaction.atomic
def case_add_note(*, actor: User, case: Case, note: str) -> CaseEvent:
    note = note.strip()
    if not note:
        raise DomainError(_("The note is empty."))
    if len(note) > NARRATIVE_MAX:
        raise DomainError(_("A note is limited to %(max)s characters.") % {"max": NARRATIVE_MAX})
    event = _event(case, CaseEvent.Kind.NOTE, actor=actor, note=note)
    _reports_seen(case)
    audit_log(actor=actor, action="case.note_added", obj=case)
    return event


@transaction.atomic
def case_assign_assessors(*, actor: User, case: Case, assessors: list[User]) -> Case:
    """Level ≥ 3 cases go to the crisis assessment group; the chosen members may then open the case."""
    allowed = {u.pk for u in role_holders(Role.ASSESSOR)} | {u.pk for u in centre_counsellors()}
    if not assessors or any(a.pk not in allowed for a in assessors):
        raise DomainError(_("Choose members of the crisis assessment group."))
    case = locked(case)
    if not case.is_open:
        raise DomainError(_("The case is closed."))
    case.assessors.set(assessors)
    _event(case, CaseEvent.Kind.ASSESSORS, actor=actor, assessors=[a.pk for a in assessors])
    audit_log(actor=actor, action="case.assessors_assigned", obj=case, changes={"assessors": [a.pk for a in assessors]})
    notify_each(
        recipients=assessors,
        title=_("A case needs your assessment"),
        url=_case_url(case),
        email=True,
        kind=MessageKind.TASK,
        dedupe_prefix=f"crisis:case:{case.pk}:assessor",
    )
    return case


@transaction.atomic
def case_match_student(*, actor: User, case: Case, student: Student) -> Case:
    """The centre links an unmatched report to the student it is about, moving it to their station."""
    case = locked(case)
    if case.student_id is not None:
        raise DomainError(_("This case is already linked to a student."))
    if Case.objects.filter(student=student, status__in=Case.OPEN_STATUSES).exists():
        raise DomainError(_("This student already has an open case; merge by closing this one as a duplicate."))
    case.student, case.college_id = student, student.college_id
    case.save(update_fields=["student", "college"])
    _event(case, CaseEvent.Kind.MATCHED, actor=actor, student=student.pk)
    audit_log(actor=actor, action="case.student_matched", obj=case, changes={"student": student.pk})
    return case


# --- Questions to the reporter ------------------------------------------------------------------------


@transaction.atomic
def reporter_question_ask(*, actor: User, report: Report, question: str) -> ReporterQuestion:
    question = question.strip()
    if not question:
        raise DomainError(_("The question is empty."))
    if len(question) > 2000:
        raise DomainError(_("A question is limited to 2,000 characters."))
    if not locked(report.case).is_open:
        raise DomainError(_("The case is closed."))
    asked = ReporterQuestion.objects.create(report=report, asked_by=actor, question=question)
    _reports_seen(report.case)
    _event(report.case, CaseEvent.Kind.QUESTION, actor=actor, question=asked.pk)
    audit_log(actor=actor, action="case.reporter_asked", obj=report.case)
    if report.reporter_id:
        notify(
            recipient=report.reporter,
            title=_("The counselling station has a question about your report"),
            url=reverse("counseling:my_reports"),
            dedupe_key=f"crisis:question:{asked.pk}",
        )
    return asked


@transaction.atomic
def reporter_question_answer(*, question: ReporterQuestion, answer: str, actor: User | None) -> ReporterQuestion:
    """The reporter answers (signed in, or anonymous through the receipt code). Answer once."""
    answer = answer.strip()
    if not answer:
        raise DomainError(_("The answer is empty."))
    if len(answer) > NARRATIVE_MAX:
        raise DomainError(_("An answer is limited to %(max)s characters.") % {"max": NARRATIVE_MAX})
    question = ReporterQuestion.objects.select_for_update().select_related("report__case").get(pk=question.pk)
    if question.answered_at is not None:
        raise DomainError(_("This question has already been answered."))
    question.answer, question.answered_at = answer, timezone.now()
    question.save(update_fields=["answer", "answered_at"])
    case = question.report.case
    _event(case, CaseEvent.Kind.ANSWER, actor=None, question=question.pk)
    audit_log(actor=actor, action="case.reporter_answered", obj=case)
    notify(
        recipient=question.asked_by,
        title=_("A reporter answered your question"),
        url=_case_url(case),
        kind=MessageKind.TASK,
        dedupe_key=f"crisis:answer:{question.pk}",
    )
    return question


# --- Assessment and intervention -------------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *, actor: User, case: Case, risk_factors: str, protective_factors: str, conclusion: str, conclusion_note: str = ""
) -> Assessment:
    if conclusion not in Assessment.Conclusion.values:
        raise DomainError(_("Choose a conclusion."))
    if not risk_factors.strip() or not protective_factors.strip():
        raise DomainError(_("Record both risk factors and protective factors."))
    for text in (risk_factors, protective_factors, conclusion_note):
        if len(text) > NARRATIVE_MAX:
            raise DomainError(_("Each field is limited to %(max)s characters.") % {"max": NARRATIVE_MAX})
    case = locked(case)
    if not case.is_open:
        raise DomainError(_("The case is closed."))
    assessment = Assessment.objects.create(
        case=case,
        assessor=actor,
        risk_factors=risk_factors.strip(),
        protective_factors=protective_factors.strip(),
        conclusion=conclusion,
        conclusion_note=conclusion_note.strip(),
    )
    _event(case, CaseEvent.Kind.ASSESSMENT, actor=actor, assessment=assessment.pk, conclusion=conclusion)
    audit_log(actor=actor, action="case.assessed", obj=case, changes={"assessment": assessment.pk})
    return assessment


@transaction.atomic
def action_add(
    *,
    actor: User,
    case: Case,
    kind: str,
    owner: User,
    due_date: date,
    hospital: str = "",
    referral_date: date | None = None,
    note: str = "",
) -> InterventionAction:
    """An action of the intervention plan; its owner is reminded on the due date."""
    if kind not in InterventionAction.Kind.values:
        raise DomainError(_("Choose an action."))
    if due_date < timezone.localdate() - timedelta(days=30):
        raise DomainError(_("The due date is too far in the past."))
    if kind == InterventionAction.Kind.HOSPITAL and not hospital.strip():
        raise DomainError(_("Name the hospital for a hospital referral."))
    if owner.pk not in {u.pk for u in owner_candidates(case)} | {u.pk for u in case.assessors.all()}:
        raise DomainError(_("The owner must be a counsellor on this case."))
    case = locked(case)
    if not case.is_open:
        raise DomainError(_("The case is closed."))
    action = InterventionAction.objects.create(
        case=case,
        kind=kind,
        owner=owner,
        due_date=due_date,
        hospital=hospital.strip()[:100],
        referral_date=referral_date,
        note=note.strip(),
        created_by=actor,
    )
    _event(case, CaseEvent.Kind.ACTION, actor=actor, action=action.pk, kind=kind, due=due_date.isoformat())
    audit_log(actor=actor, action="case.action_added", obj=case, changes={"action": action.pk, "kind": kind})
    _schedule_action_reminder(action)
    return action


def _schedule_action_reminder(action: InterventionAction) -> None:
    due = timezone.make_aware(datetime.combine(action.due_date, datetime.min.time()).replace(hour=8))
    reminder_schedule(
        recipient=action.owner,
        channel="in_app",
        subject=_("An intervention action is due today"),
        url=_case_url(action.case),
        due_at=max(due, timezone.now()),
        kind=MessageKind.TASK,
        dedupe_key=f"crisis:action:{action.pk}:due:{action.due_date.isoformat()}",
    )


@transaction.atomic
def action_complete(*, actor: User, action: InterventionAction, outcome: str = "") -> InterventionAction:
    if len(outcome) > NARRATIVE_MAX:
        raise DomainError(_("The outcome is limited to %(max)s characters.") % {"max": NARRATIVE_MAX})
    action = InterventionAction.objects.select_for_update().get(pk=action.pk)
    if action.status != InterventionAction.Status.OPEN:
        raise DomainError(_("This action is already closed."))
    action.status, action.done_at, action.outcome = InterventionAction.Status.DONE, timezone.now(), outcome.strip()
    action.save(update_fields=["status", "done_at", "outcome"])
    _event(action.case, CaseEvent.Kind.ACTION, actor=actor, action=action.pk, kind=action.kind, done=True)
    audit_log(actor=actor, action="case.action_done", obj=action.case, changes={"action": action.pk})
    return action


# --- Care level ------------------------------------------------------------------------------------------


def care_level(student: Student) -> int | None:
    """The student's current care level: a manual override if there is one, else the highest open case."""
    override_row = CareLevelOverride.objects.filter(student=student, cleared_at__isnull=True).first()
    if override_row is not None:
        return override_row.level
    levels = Case.objects.filter(student=student, status__in=Case.OPEN_STATUSES).values_list("level", flat=True)
    return max(levels, default=None)


@transaction.atomic
def care_level_override_set(*, actor: User, student: Student, level: int | None, reason: str) -> CareLevelOverride:
    """Set (or, with level None, take off the care list) by hand; the reason is required and kept."""
    if not reason.strip():
        raise DomainError(_("Give a reason for changing the level by hand."))
    if level is not None and level not in Level.values:
        raise DomainError(_("Levels go from 1 to 4."))
    now = timezone.now()
    # Lock the student row so two overrides at once queue up instead of racing the unique index.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    CareLevelOverride.objects.filter(student=student, cleared_at__isnull=True).update(cleared_at=now)
    row = CareLevelOverride.objects.create(
        student=student, level=level, reason=reason.strip(), set_by=actor, set_at=now
    )
    audit_log(actor=actor, action="care_level.overridden", obj=student, changes={"level": level})
    return row


@transaction.atomic
def care_level_override_clear(*, actor: User, student: Student) -> bool:
    cleared = CareLevelOverride.objects.filter(student=student, cleared_at__isnull=True).update(
        cleared_at=timezone.now()
    )
    if cleared:
        audit_log(actor=actor, action="care_level.override_cleared", obj=student)
    return bool(cleared)


# --- Monthly zero report -----------------------------------------------------------------------------------


@transaction.atomic
def zero_report_file(
    *, actor: User, class_group: ClassGroup, month: date, nothing_to_report: bool, note: str = ""
) -> tuple[ZeroReport, bool]:
    """File this month's report for the class (once; a second filing returns the first)."""
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise DomainError(_("You cannot file a report for a future month."))
    if len(note) > 2000:
        raise DomainError(_("The note is limited to 2,000 characters."))
    if not nothing_to_report and not note.strip():
        raise DomainError(_("Describe what you want to report, or tick 'nothing to report'."))
    report, created = ZeroReport.objects.get_or_create(
        class_group=class_group,
        month=month,
        defaults={"filed_by": actor, "nothing_to_report": nothing_to_report, "note": note.strip()},
    )
    if created:
        audit_log(actor=actor, action="zero_report.filed", obj=report)
        if not nothing_to_report:
            notify_each(
                recipients=station_counsellors(class_group.college_id),
                title=_("A class reported a concern in its monthly report"),
                url=reverse("counseling:zero_reports"),
                dedupe_prefix=f"zero:{report.pk}:concern",
            )
    return report, created


# --- Scheduled scans (called by beat through thin tasks) ---------------------------------------------------


def escalate_overdue_acknowledgements(*, now: datetime | None = None) -> int:
    """Stage 1 when the level's limit passes: station head and centre on-call. Stage 2 after the same time
    again: the centre director. Each stage is claimed by a conditional UPDATE: sent exactly once."""
    now = now or timezone.now()
    sent = 0
    overdue = Case.objects.filter(status=Case.Status.NEW, ack_due_at__lt=now, escalation_stage__lt=2)
    for case in overdue.select_related("college").iterator():
        limit = ack_limit(case.level)
        stage = 2 if now >= case.ack_due_at + limit else 1
        if stage <= case.escalation_stage:
            continue
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, status=Case.Status.NEW, escalation_stage=case.escalation_stage
            ).update(escalation_stage=stage)
            if not claimed:
                continue
            title = _("Not acknowledged in time: level %(level)s report") % {"level": case.level}
            # A scan that runs late (beat was down) may jump straight to stage 2: the station head and
            # the on-call counsellor must still be told, so every stage not yet sent goes out now.
            for step in range(case.escalation_stage + 1, stage + 1):
                if step == 1:
                    recipients = {u.pk: u for u in station_heads(case.college_id)}
                    recipients.update({u.pk: u for u in centre_on_call()})
                else:
                    recipients = {u.pk: u for u in centre_directors()}
                notify_each(
                    recipients=recipients.values(),
                    title=title,
                    url=_case_url(case),
                    email=True,
                    kind=MessageKind.CRISIS_ALERT,
                    dedupe_prefix=f"crisis:case:{case.pk}:ack-escalation:{step}",
                )
                _event(
                    case, CaseEvent.Kind.ESCALATION, actor=None, stage=step, why="ack_overdue", to=sorted(recipients)
                )
            sent += 1
    return sent


def remind_overdue_touchpoints(*, today: date | None = None) -> int:
    """Overdue next touchpoint → the owner (or the station) is reminded once; after a grace period the
    station head is told once. Claimed per touchpoint date, so a new date starts over."""
    today = today or timezone.localdate()
    grace = timedelta(days=int(config.get("counseling.touchpoint_escalate_days")))
    done = 0
    overdue = Case.objects.filter(status__in=Case.OPEN_STATUSES, next_touchpoint__lt=today)
    for case in overdue.iterator():
        touchpoint = case.next_touchpoint
        with transaction.atomic():
            if (
                Case.objects.filter(pk=case.pk, next_touchpoint=touchpoint)
                .filter(Q(touchpoint_reminded_for__isnull=True) | ~Q(touchpoint_reminded_for=touchpoint))
                .update(touchpoint_reminded_for=touchpoint)
            ):
                owners = [case.owner] if case.owner_id else station_counsellors(case.college_id) or centre_counsellors()
                notify_each(
                    recipients=owners,
                    title=_("A case's next touchpoint is overdue"),
                    url=_case_url(case),
                    kind=MessageKind.TASK,
                    dedupe_prefix=f"crisis:case:{case.pk}:touchpoint:{touchpoint}",
                )
                done += 1
        if today - touchpoint >= grace:
            with transaction.atomic():
                if (
                    Case.objects.filter(pk=case.pk, next_touchpoint=touchpoint)
                    .filter(Q(touchpoint_escalated_for__isnull=True) | ~Q(touchpoint_escalated_for=touchpoint))
                    .update(touchpoint_escalated_for=touchpoint)
                ):
                    heads = station_heads(case.college_id) or centre_directors()
                    notify_each(
                        recipients=heads,
                        title=_("A case's follow-up is overdue"),
                        url=_case_url(case),
                        email=True,
                        kind=MessageKind.TASK,
                        dedupe_prefix=f"crisis:case:{case.pk}:touchpoint-esc:{touchpoint}",
                    )
                    _event(
                        case,
                        CaseEvent.Kind.ESCALATION,
                        actor=None,
                        why="touchpoint_overdue",
                        touchpoint=touchpoint.isoformat(),
                    )
                    done += 1
    return done


def remind_missing_zero_reports(*, today: date | None = None) -> int:
    """From the due day: each committee member of a class with no report this month is reminded (once);
    from the escalation day: the college station is told (once per class and month)."""
    today = today or timezone.localdate()
    month = month_start(today)
    remind_day = int(config.get("counseling.zero_report_remind_day"))
    escalate_day = int(config.get("counseling.zero_report_escalate_day"))
    if today.day < remind_day:
        return 0
    filed = ZeroReport.objects.filter(month=month).values("class_group_id")
    committee = (
        RoleAssignment.objects.current(today)
        .filter(role=Role.CLASS_COMMITTEE, class_group__isnull=False)
        .exclude(class_group_id__in=filed)
        .select_related("user", "class_group")
    )
    count = 0
    missing_classes: dict[int, ClassGroup] = {}
    for assignment in committee:
        missing_classes[assignment.class_group_id] = assignment.class_group
        notify(
            recipient=assignment.user,
            title=_("Please file this month's zero report for your class"),
            url=reverse("counseling:zero_report"),
            dedupe_key=f"zero:{assignment.class_group_id}:{month:%Y-%m}:remind:{assignment.user_id}",
        )
        count += 1
    if today.day >= escalate_day:
        for class_group in missing_classes.values():
            for user in station_counsellors(class_group.college_id):
                notify(
                    recipient=user,
                    title=_("Class %(name)s has not filed its zero report this month") % {"name": class_group.name},
                    url=reverse("counseling:zero_reports"),
                    dedupe_key=f"zero:{class_group.pk}:{month:%Y-%m}:escalate:{user.pk}",
                )
                count += 1
    return count
