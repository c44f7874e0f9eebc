"""Writes of screening: a student's questionnaire submission with its safety rules, freshman campaigns
(心理普查) and their reminders, interview invitations (邀约) and their answers.

Safety rules (DOMAIN.md §2.4) go through the crisis service, the only way screening raises a report. They
are part of each instrument's definition (docs/instruments.md), scored with the current version, which the
result keeps: for PHQ-9, item 9 > 0 → a level-3 report whatever the total; a total ≥ 10 on either PHQ-9 or
GAD-7 → a level-2 report (the crisis service skips it when the student already has an open case); a loaded
instrument raises the highest level of its matching rules and band. The report's narrative is
a neutral summary of numbers, never a diagnosis. Answers never go into the audit trail.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling import instruments
from counseling.models import (
    Booking,
    Instrument,
    InstrumentDefinition,
    Invitation,
    Level,
    ScreeningCampaign,
    ScreeningResult,
    Slot,
)
from counseling.selectors.screening import campaign_students_with_progress
from counseling.services.crisis import report_raise_from_screening
from counseling.services.screening_care import retest_link_result
from portal import config
from portal.audit import audit_log
from portal.models import Reminder, Student, User
from portal.services import DomainError, lock_idempotency_key, notify

__all__ = [
    "campaign_create",
    "campaign_remind_non_completers",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "screening_submit",
]

config.declare(
    "screening.remind_every_days",
    3,
    "Days between reminders to students who have not completed an open screening campaign.",
)

_REPORT_NAMESPACE = uuid.UUID("0b6f3d52-8f4e-4f1e-9d7a-7c1b2f0c5e61")
_RESUBMIT_NAMESPACE = uuid.UUID("5d0c9a8e-3b1f-4c7e-a2d4-9e6f1b3c7a20")  # a changed resubmission


# --- Submitting a screening ------------------------------------------------------------------------------


def _summary(result: ScreeningResult, campaign: ScreeningCampaign | None) -> str:
    """The report's narrative: numbers only, in the school's language, never a diagnosis."""
    definition = instruments.definition_of(result)
    name = definition.name
    with override(settings.LANGUAGE_CODE):
        if campaign is None:
            kind = _("%(instrument)s self-screening") % {"instrument": name}
        else:
            kind = _("%(instrument)s screening (campaign “%(title)s”)") % {"instrument": name, "title": campaign.title}
        text = _("%(kind)s: total %(total)s of %(max)s (%(band)s)") % {
            "kind": kind,
            "total": result.total,
            "max": definition.max_total,
            "band": instruments.band_label(result),
        }
        if result.instrument == Instrument.PHQ9:
            text += "; " + _("item 9 answered %(answer)s") % {
                "answer": instruments.item9(Instrument.PHQ9, result.answers)
            }
    return text


def _check_campaign(campaign: ScreeningCampaign, *, student: Student, instrument: str) -> None:
    if not campaign.is_open():
        raise DomainError(_("This screening campaign is not open."))
    if student.enrolment_year != campaign.enrolment_year:
        raise DomainError(_("This screening campaign is for another year's students."))
    if instrument not in campaign.instruments:
        raise DomainError(_("This questionnaire is not part of the campaign."))


@transaction.atomic
def screening_submit(
    *,
    student: Student,
    instrument: str,
    answers: list[int],
    idempotency_key: uuid.UUID,
    campaign: ScreeningCampaign | None = None,
) -> ScreeningResult:
    """Score and save a student's answers, then apply the safety rules. Returns the result.

    Idempotent by key: a resubmitted form returns the first result (and raises nothing new); the same form
    sent again with other answers is saved as a new result, so no answer (item 9 above all) is lost. Answers must
    be one int 0–3 per item (DomainError otherwise: nothing is saved). With a campaign, it must be open,
    for the student's enrolment year, and include the instrument.
    """
    row = _definition_for_submit(instrument)
    definition = row.parsed()
    try:
        answers = definition.validate_answers(answers)
    except instruments.ScoringError as exc:
        if instrument in instruments.INSTRUMENTS:
            raise DomainError(_("Answer every question with one of the four answers.")) from exc
        raise DomainError(_("Answer every question with one of its answers.")) from exc
    lock_idempotency_key(idempotency_key)
    existing = ScreeningResult.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.student_id != student.pk or existing.instrument != instrument:
            raise DomainError(_("This form was already used. Please reload the page and answer again."))
        if existing.answers == answers:
            return existing
        # The same page sent again with other answers (the back button): a new submission, never a lost one,
        # so an item-9 answer given the second time still raises its report. Keyed by the answers, so sending
        # the changed page twice still saves it once.
        idempotency_key = uuid.uuid5(_RESUBMIT_NAMESPACE, f"{idempotency_key}:{answers}")
        lock_idempotency_key(idempotency_key)
        existing = ScreeningResult.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if campaign is not None:
        _check_campaign(campaign, student=student, instrument=instrument)
    # The definition decides band, level and positive: for PHQ-9, item 9 > 0 → level 3 (same-day risk
    # assessment) whatever the total; otherwise a total ≥ 10 on PHQ-9/GAD-7 → level 2 (their bands say so).
    outcome = definition.score(answers)
    result = ScreeningResult.objects.create(
        student=student,
        instrument=instrument,
        answers=answers,
        total=outcome.total,
        band=outcome.band,
        factors=outcome.factors,
        positive=outcome.positive,
        definition=row,
        campaign=campaign,
        idempotency_key=idempotency_key,
    )
    level = Level(outcome.level) if outcome.level is not None else None
    if level is not None:
        report = report_raise_from_screening(
            student=student,
            level=level,
            summary=_summary(result, campaign),
            idempotency_key=uuid.uuid5(_REPORT_NAMESPACE, f"{idempotency_key}:{level}"),
        )
        if report is not None:
            result.raised_report = report
            result.save(update_fields=["raised_report"])
    retest_link_result(result=result)  # a follow-up's retest, when one of this questionnaire is due
    audit_log(
        actor=student.user,
        action="screening.submitted",
        obj=result,
        # No answers, score or band here: the audit trail is read more widely than the care file.
        changes={
            "instrument": instrument,
            "campaign": campaign.pk if campaign else None,
            "raised_report": level,
        },
    )
    return result


def _definition_for_submit(instrument: str) -> InstrumentDefinition:
    """The stored current version of the instrument, if it may be taken (DomainError otherwise)."""
    from counseling.services.instruments import instrument_definition_shipped_row

    # A shipped instrument's current version is its file's (stored on first use); a loaded one's, the highest.
    row = instrument_definition_shipped_row(instrument) or instruments.definition_row_current(instrument)
    if row is None or not row.active:
        raise DomainError(_("This questionnaire is not available."))
    return row


# --- Campaigns --------------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    title: str,
    enrolment_year: int,
    opens_on: date,
    closes_on: date,
    instruments_chosen: list[str],
) -> ScreeningCampaign:
    """Open a campaign (the centre; the caller checked access.may_manage_campaigns)."""
    title = title.strip()
    if not title:
        raise DomainError(_("Give the campaign a title."))
    # In the order given (the page lists them in the order offered): the order students answer them in.
    available = {d.code for d in instruments.available_definitions()}
    chosen = list(dict.fromkeys(code for code in instruments_chosen if code in available))
    if not chosen or len(chosen) != len(set(instruments_chosen)):
        raise DomainError(_("Choose at least one questionnaire."))
    if closes_on < opens_on:
        raise DomainError(_("The campaign must close on or after the day it opens."))
    if closes_on < timezone.localdate():
        raise DomainError(_("The campaign would already be over."))
    if not 2000 <= enrolment_year <= 2100:
        raise DomainError(_("Give an enrolment year such as 2025."))
    campaign = ScreeningCampaign.objects.create(
        title=title[:200],
        enrolment_year=enrolment_year,
        opens_on=opens_on,
        closes_on=closes_on,
        instruments=chosen,
        created_by=actor,
    )
    audit_log(
        actor=actor,
        action="screening_campaign.created",
        obj=campaign,
        changes={"enrolment_year": enrolment_year, "instruments": chosen},
    )
    return campaign


def remind_bucket(campaign: ScreeningCampaign, today: date) -> int:
    """Which reminder round `today` falls in: 0 on the first days, 1 after `remind_every_days`, …"""
    every = max(1, int(config.get("screening.remind_every_days")))
    return (today - campaign.opens_on).days // every


def campaign_remind_non_completers(*, today: date | None = None) -> int:
    """Tell each student of an open campaign who has not completed it, once per reminder round.

    The round (today's 3-day bucket since the campaign opened) is part of the dedupe key, so the daily
    beat task sends one reminder every 3 days and running it twice sends nothing more. Returns how many
    reminders were scheduled.
    """
    today = today or timezone.localdate()
    scheduled = 0
    for campaign in ScreeningCampaign.objects.filter(ScreeningCampaign.open_q(today)).order_by("pk"):
        needed = len(set(campaign.instruments))
        if not needed:
            continue
        prefix = f"screening:campaign:{campaign.pk}:remind:{remind_bucket(campaign, today)}:"
        already = {
            key[len(prefix) :].split(":", 1)[0]
            for key in Reminder.objects.filter(dedupe_key__startswith=prefix).values_list("dedupe_key", flat=True)
        }
        pending = (
            campaign_students_with_progress(campaign)
            .filter(instruments_done__lt=needed, user__is_active=True)
            .select_related("user")
            .order_by("pk")
        )
        url = reverse("counseling:screening_mine")
        with override(settings.LANGUAGE_CODE):
            title = _("Please complete the screening “%(title)s” by %(date)s") % {
                "title": campaign.title,
                "date": campaign.closes_on.isoformat(),
            }
            body = _(
                "It takes about five minutes on your phone. Your answers are seen only by you and your counsellors."
            )
        for student in pending.iterator(chunk_size=500):
            if str(student.pk) in already:
                continue
            with transaction.atomic():
                notify(recipient=student.user, title=title, body=body, url=url, dedupe_key=f"{prefix}{student.pk}")
            scheduled += 1
    return scheduled


# --- Interview invitations (邀约) ---------------------------------------------------------------------------


def _invitation_url(invitation: Invitation) -> str:
    return reverse("counseling:invitation_detail", args=[invitation.pk])


@transaction.atomic
def invitation_create(*, actor: User, result: ScreeningResult, message: str = "") -> Invitation:
    """Invite the student of a positive screen to an interview and tell them.

    Caller checked `can(actor, "invite", result)`. Refused when the screen is not positive or the student
    already has an invitation waiting for an answer.
    """
    message = message.strip()
    if len(message) > 500:
        raise DomainError(_("The message is limited to 500 characters."))
    # Lock the student row: two counsellors inviting at once queue up here.
    student = Student.objects.select_for_update().select_related("user").get(pk=result.student_id)
    if not instruments.result_is_positive(result):
        raise DomainError(_("Only positive screens are invited to an interview."))
    if Invitation.objects.filter(student=student, status=Invitation.Status.INVITED).exists():
        raise DomainError(_("This student already has an invitation waiting for an answer."))
    invitation = Invitation.objects.create(result=result, student=student, invited_by=actor, message=message)
    audit_log(actor=actor, action="screening_invitation.created", obj=invitation, changes={"result": result.pk})
    with override(settings.LANGUAGE_CODE):
        title = _("A counsellor invites you to a talk")
        body = _("Choose a time that suits you, or let us know if you would rather not.")
    notify(
        recipient=student.user,
        title=title,
        body=body,
        url=_invitation_url(invitation),
        dedupe_key=f"screening:invitation:{invitation.pk}:invited",
    )
    return invitation


def _locked_open_invitation(actor: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("student").get(pk=invitation.pk)
    if invitation.student.user_id != actor.pk:
        raise DomainError(_("Only the invited student can answer this invitation."))
    if invitation.status != Invitation.Status.INVITED:
        raise DomainError(_("This invitation has already been answered."))
    return invitation


def _tell_inviter(invitation: Invitation, title: str, event: str) -> None:
    notify(
        recipient=invitation.invited_by,
        title=title,
        url=reverse("counseling:care_file", args=[invitation.student_id]),
        dedupe_key=f"screening:invitation:{invitation.pk}:{event}",
    )


@transaction.atomic
def invitation_decline(*, actor: User, invitation: Invitation) -> Invitation:
    """The student says no, thank you. Allowed once, from `invited`."""
    invitation = _locked_open_invitation(actor, invitation)
    invitation.status, invitation.responded_at = Invitation.Status.DECLINED, timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    audit_log(actor=actor, action="screening_invitation.declined", obj=invitation)
    with override(settings.LANGUAGE_CODE):
        title = _("A student declined an interview invitation")
    _tell_inviter(invitation, title, "declined")
    return invitation


@transaction.atomic
def invitation_accept(*, actor: User, invitation: Invitation, slot: Slot, consent: bool) -> Invitation:
    """The student accepts and books one of the open slots through the appointments service.

    Allowed once, from `invited`. A booking refused by the appointments rules (slot gone, another future
    booking, no consent) raises DomainError and leaves the invitation open.
    """
    from counseling.services.appointments import booking_create  # written by the appointments area

    invitation = _locked_open_invitation(actor, invitation)
    student = invitation.student
    first_visit = not Booking.objects.filter(student=student, status=Booking.Status.ATTENDED).exists()
    booking = booking_create(
        actor=actor,
        student=student,
        slot=slot,
        reason="",
        first_visit=first_visit,
        consent=consent,
        source=Booking.Source.INVITATION,
    )
    invitation.status, invitation.responded_at, invitation.booking = (
        Invitation.Status.ACCEPTED,
        timezone.now(),
        booking,
    )
    invitation.save(update_fields=["status", "responded_at", "booking"])
    audit_log(actor=actor, action="screening_invitation.accepted", obj=invitation, changes={"booking": booking.pk})
    with override(settings.LANGUAGE_CODE):
        title = _("A student accepted an interview invitation and booked a time")
    _tell_inviter(invitation, title, "accepted")
    return invitation
