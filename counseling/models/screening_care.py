"""From screening to care: the interview outcome (约谈结果) of a positive screen, and the retests a follow-up
outcome schedules.

A positive screen in a campaign gets one outcome per student and campaign (no concern, follow-up, care list,
referred to a hospital) with a note (encrypted at rest: it is clinical). "Follow-up" schedules one retest per
questionnaire the student screened positive on, SCREENING_RETEST_WEEKS later; on its day the student is
invited, and the next answer to that questionnaire is linked to the retest.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models.screening import Instrument, Invitation, ScreeningCampaign, ScreeningResult
from portal.crypto import EncryptedTextField
from portal.models import Student, User

OUTCOME_NOTE_MAX = 2000


class InterviewOutcome(models.Model):
    """约谈结果: what the interview after a positive screen concluded."""

    class Kind(models.TextChoices):
        NO_CONCERN = "no_concern", _("no concern")
        FOLLOW_UP = "follow_up", _("follow-up")
        CARE_LIST = "care_list", _("care list")
        REFERRED = "referred", _("referred to a hospital")

    # The positive result the interview answered (for a campaign: the one the invitation refers to).
    result = models.OneToOneField(ScreeningResult, on_delete=models.PROTECT, related_name="interview_outcome")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="interview_outcomes")
    campaign = models.ForeignKey(
        ScreeningCampaign, on_delete=models.PROTECT, null=True, blank=True, related_name="interview_outcomes"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Kind.choices)
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "campaign"],
                condition=Q(campaign__isnull=False),
                name="interview_outcome_one_per_campaign",
            )
        ]
        verbose_name = _("interview outcome")
        verbose_name_plural = _("interview outcomes")

    def __str__(self) -> str:
        return f"{self.student} · {self.get_outcome_display()}"


class Retest(models.Model):
    """A questionnaire to answer again, scheduled by a follow-up outcome; the answer is linked when it comes."""

    outcome = models.ForeignKey(InterviewOutcome, on_delete=models.PROTECT, related_name="retests")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="screening_retests")
    instrument = models.CharField(_("instrument"), max_length=5, choices=Instrument.choices)
    due_on = models.DateField(_("due"))
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    result = models.OneToOneField(
        ScreeningResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="retest"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["outcome", "instrument"], name="retest_one_per_instrument")]
        indexes = [models.Index(fields=["due_on"], name="retest_due", condition=Q(result__isnull=True))]
        verbose_name = _("retest")
        verbose_name_plural = _("retests")

    def __str__(self) -> str:
        return f"{self.student} · {self.get_instrument_display()} · {self.due_on}"

    @property
    def done(self) -> bool:
        return self.result_id is not None
