"""Writes from screening to care: a campaign's lifecycle (end early, reopen), the interview outcome (约谈结果)
of a positive screen, the retests a follow-up outcome schedules, and the reminders that keep the loop closed.

Rules said once:
- Only the centre ends or reopens a campaign (the caller checked access.may_manage_campaigns). Ending early
  keeps the planned closing day for the record; reopening sets a new one and clears the early end.
- One outcome per student and campaign (the database says so too), recorded by a counsellor in scope (the
  caller checked `can(actor, "record_outcome", result)`), only for a positive screen. The student row is locked
  first, so two counsellors recording at once queue up and the second is told it is done. The note is
  clinical: encrypted at rest, never in the audit trail or a message.
- "Follow-up" schedules one retest per questionnaire the student screened positive on in the campaign,
  SCREENING_RETEST_WEEKS later. "Care list" puts the student on the care list (a level-1 override) unless an
  open case or an override already keeps them there. "Referred to a hospital" is recorded here; the referral
  itself (hospital, date, result) belongs to the case's intervention plan.
- Reminder jobs are idempotent by dedupe keys (portal.services): running one twice, or on two workers, sends
  each message once. Messages carry fixed wording, never a name, a score or a band.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling import instruments
from counseling.models import (
    CareLevelOverride,
    Case,
    InterviewOutcome,
    Invitation,
    Level,
    Retest,
    ScreeningCampaign,
    ScreeningResult,
)
from counseling.models.screening_care import OUTCOME_NOTE_MAX
from counseling.selectors.screening import positive_results_q
from counseling.services.crisis import care_level_override_set, centre_counsellors, station_counsellors
from portal.audit import audit_log
from portal.models import MessageKind, Reminder, Student, User
from portal.services import DomainError, notify

__all__ = [
    "campaign_end_early",
    "campaign_reopen",
    "outcome_record",
    "outcomes_remind_missing",
    "retest_link_result",
    "retests_invite_due",
]


# --- Campaign lifecycle -------------------------------------------------------------------------------------


def _locked_campaign(campaign: ScreeningCampaign) -> ScreeningCampaign:
    return ScreeningCampaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_end_early(*, actor: User, campaign: ScreeningCampaign) -> ScreeningCampaign:
    """End an open campaign today: students can no longer answer for it and reminders stop. Refused when it
    is not open (not yet open, already closed or ended)."""
    campaign = _locked_campaign(campaign)
    if not campaign.is_open():
        raise DomainError(_("Only an open campaign can be ended early."))
    campaign.ended_early_at, campaign.ended_early_by = timezone.now(), actor
    campaign.save(update_fields=["ended_early_at", "ended_early_by"])
    audit_log(
        actor=actor,
        action="screening_campaign.ended_early",
        obj=campaign,
        changes={"planned_closes_on": campaign.closes_on.isoformat()},
    )
    return campaign


@transaction.atomic
def campaign_reopen(*, actor: User, campaign: ScreeningCampaign, closes_on: date) -> ScreeningCampaign:
    """Reopen a campaign that was ended early or has closed, until `closes_on` (today or later). Refused while
    it is open or before it has opened."""
    campaign = _locked_campaign(campaign)
    today = timezone.localdate()
    if campaign.opens_on > today:
        raise DomainError(_("This campaign has not opened yet."))
    if campaign.is_open():
        raise DomainError(_("This campaign is still open."))
    if closes_on < today:
        raise DomainError(_("Choose a closing day from today on."))
    if (closes_on - today).days > 366:
        raise DomainError(_("Choose a closing day within a year."))
    previous = {"closes_on": campaign.closes_on.isoformat(), "ended_early": campaign.ended_early_at is not None}
    campaign.closes_on, campaign.ended_early_at, campaign.ended_early_by = closes_on, None, None
    campaign.reopened_at, campaign.reopened_by = timezone.now(), actor
    campaign.save(update_fields=["closes_on", "ended_early_at", "ended_early_by", "reopened_at", "reopened_by"])
    audit_log(
        actor=actor,
        action="screening_campaign.reopened",
        obj=campaign,
        changes={**previous, "new_closes_on": closes_on.isoformat()},
    )
    return campaign


# --- Interview outcomes -------------------------------------------------------------------------------------


def _retest_instruments(result: ScreeningResult) -> list[str]:
    """What to retest: every questionnaire the student screened positive on in the campaign (or this one)."""
    if result.campaign_id is None:
        return [result.instrument]
    codes = set(
        ScreeningResult.objects.filter(student_id=result.student_id, campaign_id=result.campaign_id)
        .filter(positive_results_q())
        .values_list("instrument", flat=True)
    )
    codes.add(result.instrument)
    return sorted(codes)


@transaction.atomic
def outcome_record(*, actor: User, result: ScreeningResult, outcome: str, note: str = "") -> InterviewOutcome:
    """Record the interview outcome of a positive screen (see the module docstring). Returns the outcome."""
    note = note.strip()
    if outcome not in InterviewOutcome.Kind.values:
        raise DomainError(_("Choose one of the outcomes."))
    if len(note) > OUTCOME_NOTE_MAX:
        raise DomainError(_("The note is limited to %(max)s characters.") % {"max": OUTCOME_NOTE_MAX})
    student = Student.objects.select_for_update().get(pk=result.student_id)
    if not instruments.result_is_positive(result):
        raise DomainError(_("Only positive screens get an interview outcome."))
    done = InterviewOutcome.objects.filter(result=result)
    if result.campaign_id is not None:
        done = InterviewOutcome.objects.filter(Q(result=result) | Q(student=student, campaign_id=result.campaign_id))
    if done.exists():
        raise DomainError(_("The interview outcome of this screen is already recorded."))
    # The invitation this interview answered: the latest one about this campaign (or this result).
    invitations = Invitation.objects.filter(student=student)
    if result.campaign_id is not None:
        invitations = invitations.filter(result__campaign_id=result.campaign_id)
    else:
        invitations = invitations.filter(result=result)
    invitation = invitations.order_by("-invited_at", "-pk").first()
    row = InterviewOutcome.objects.create(
        result=result,
        student=student,
        campaign_id=result.campaign_id,
        invitation=invitation,
        outcome=outcome,
        note=note,
        recorded_by=actor,
    )
    retests = []
    if outcome == InterviewOutcome.Kind.FOLLOW_UP:
        due_on = timezone.localdate() + timedelta(weeks=settings.SCREENING_RETEST_WEEKS)
        retests = [
            Retest.objects.create(outcome=row, student=student, instrument=code, due_on=due_on)
            for code in _retest_instruments(result)
        ]
    elif outcome == InterviewOutcome.Kind.CARE_LIST:
        on_list = (
            Case.objects.filter(student=student, status__in=Case.OPEN_STATUSES).exists()
            or CareLevelOverride.objects.filter(student=student, cleared_at__isnull=True, level__isnull=False).exists()
        )
        if not on_list:
            with override(settings.LANGUAGE_CODE):
                reason = _("Care list after a screening interview")
            care_level_override_set(actor=actor, student=student, level=Level.GENERAL, reason=reason)
    audit_log(
        actor=actor,
        action="screening_outcome.recorded",
        obj=row,
        # No note here: the audit trail is read more widely than the care file.
        changes={"student": student.pk, "outcome": outcome, "retests": [r.pk for r in retests]},
    )
    return row


# --- Retests ------------------------------------------------------------------------------------------------


def retest_link_result(*, result: ScreeningResult) -> Retest | None:
    """Link a new answer to the student's retest of that questionnaire that is due (the earliest), if any.

    Called by screening_submit inside its transaction; the retest row is locked so one answer links once.
    """
    retest = (
        Retest.objects.select_for_update()
        .filter(
            student_id=result.student_id,
            instrument=result.instrument,
            result__isnull=True,
            due_on__lte=timezone.localdate(result.completed_at),
        )
        .order_by("due_on", "pk")
        .first()
    )
    if retest is None:
        return None
    retest.result = result
    retest.save(update_fields=["result"])
    audit_log(actor=None, action="screening_retest.answered", obj=retest, changes={"result": result.pk})
    return retest


def retests_invite_due(*, today: date | None = None) -> int:
    """Invite each student whose retest is due (one message per outcome, whatever the questionnaires).

    A retest is claimed by a conditional UPDATE of invited_at, so a second run (or a second worker) finds
    nothing to do; the message's dedupe key covers the window between the claim and the commit. Returns how
    many students were invited.
    """
    today = today or timezone.localdate()
    invited = 0
    due = (
        Retest.objects.filter(due_on__lte=today, invited_at__isnull=True, result__isnull=True)
        .values_list("outcome_id", flat=True)
        .distinct()
    )
    for outcome_id in sorted(set(due)):
        with transaction.atomic():
            claimed = Retest.objects.filter(
                outcome_id=outcome_id, due_on__lte=today, invited_at__isnull=True, result__isnull=True
            ).update(invited_at=timezone.now())
            if not claimed:
                continue
            retests = list(
                Retest.objects.filter(outcome_id=outcome_id, result__isnull=True)
                .select_related("student__user")
                .order_by("instrument")
            )
            if not retests or not retests[0].student.user.is_active:
                continue
            first = retests[0]
            with override(settings.LANGUAGE_CODE):
                title = _("A short follow-up questionnaire is waiting for you")
                body = _("It takes a few minutes. Only you and your counsellors see the answers.")
            notify(
                recipient=first.student.user,
                title=title,
                body=body,
                url=reverse("counseling:screening_take", args=[first.instrument]),
                dedupe_key=f"screening:retest:{outcome_id}:invited",
            )
            audit_log(actor=None, action="screening_retest.invited", obj=first, changes={"outcome": outcome_id})
            invited += 1
    return invited


# --- Reminders: positives without an outcome ----------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def outcomes_remind_missing(*, today: date | None = None) -> int:
    """Positive campaign screens with no interview outcome: after SCREENING_OUTCOME_REMIND_STATION_DAYS the
    student's college station is reminded, after SCREENING_OUTCOME_REMIND_CENTRE_DAYS the centre too; each
    once per student, campaign, tier and recipient (dedupe keys). Returns how many messages were scheduled."""
    today = today or timezone.localdate()
    station_days = settings.SCREENING_OUTCOME_REMIND_STATION_DAYS
    centre_days = settings.SCREENING_OUTCOME_REMIND_CENTRE_DAYS
    # A screen completed on day D is N days old from day D + N on.
    station_cutoff = _start_of(today - timedelta(days=station_days - 1))
    centre_cutoff = _start_of(today - timedelta(days=centre_days - 1))
    missing = (
        ScreeningResult.objects.filter(campaign__isnull=False, student__status=Student.Status.ENROLLED)
        .filter(positive_results_q())
        .exclude(
            Exists(
                InterviewOutcome.objects.filter(student_id=OuterRef("student_id"), campaign_id=OuterRef("campaign_id"))
            )
        )
        .values("campaign_id", "student_id", "student__college_id")
        .annotate(first=Min("completed_at"))
        .filter(first__lt=station_cutoff)
        .order_by("campaign_id", "student_id")
    )
    with override(settings.LANGUAGE_CODE):
        title = _("A positive screen is waiting for its interview outcome")
    scheduled = 0
    for row in missing:
        url = reverse("counseling:campaign_positives", args=[row["campaign_id"]])
        tiers = [("station", station_counsellors(row["student__college_id"]) or centre_counsellors())]
        if row["first"] < centre_cutoff:
            tiers.append(("centre", centre_counsellors()))
        for tier, recipients in tiers:
            for user in recipients:
                key = f"screening:outcome:{row['campaign_id']}:{row['student_id']}:{tier}:{user.pk}"
                if Reminder.objects.filter(dedupe_key__startswith=f"{key}:").exists():
                    continue
                with transaction.atomic():
                    notify(recipient=user, title=title, url=url, kind=MessageKind.TASK, dedupe_key=key)
                scheduled += 1
    return scheduled
