"""Self-screening (PHQ-9, GAD-7), freshman screening campaigns (心理普查) and interview invitations (邀约).

Results are the student's and their counsellors' only: never read by aid or any other decision.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models.appointments import Booking
from counseling.models.crisis import Report
from portal.models import Student, User


class Instrument(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class ScreeningCampaign(models.Model):
    title = models.CharField(_("title"), max_length=200)
    enrolment_year = models.PositiveSmallIntegerField(_("enrolment year"))
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    instruments = models.JSONField(_("instruments"), default=list, help_text=_('e.g. ["phq9", "gad7"]'))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The lifecycle (counseling.services.screening_care): the centre may end a campaign before closes_on,
    # and reopen an ended or closed one until a new closing day. Ended early means closed, whatever the dates.
    ended_early_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    ended_early_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopened_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="campaign_closes_after_opening"
            )
        ]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")

    def __str__(self) -> str:
        return self.title

    def is_open(self, on=None) -> bool:
        today = on or timezone.localdate()
        return self.ended_early_at is None and self.opens_on <= today <= self.closes_on

    @staticmethod
    def open_q(today) -> Q:
        """The campaigns open on `today`: within their window and not ended early."""
        return Q(opens_on__lte=today, closes_on__gte=today, ended_early_at__isnull=True)


class ScreeningResult(models.Model):
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="screening_results")
    instrument = models.CharField(_("instrument"), max_length=5, choices=Instrument.choices)
    answers = models.JSONField(_("answers"))  # list of 0–3 per item, in item order
    total = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=20)
    campaign = models.ForeignKey(
        ScreeningCampaign, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    completed_at = models.DateTimeField(default=timezone.now)
    # The concern report this result raised through the crisis service (item 9 > 0, or a score ≥ 10).
    raised_report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    idempotency_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(fields=["student", "completed_at"], name="screening_student"),
            models.Index(fields=["campaign", "student"], name="screening_campaign"),
        ]
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.total}"


class Invitation(models.Model):
    """邀约: a counsellor invites a student with a positive screen to an interview; accepting books it."""

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    result = models.ForeignKey(ScreeningResult, on_delete=models.PROTECT, related_name="invitations")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="screening_invitations")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(_("message"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    responded_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-invited_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"], condition=Q(status="invited"), name="invitation_one_open_per_result"
            )
        ]
        verbose_name = _("interview invitation")
        verbose_name_plural = _("interview invitations")

    def __str__(self) -> str:
        return f"{self.student} ({self.get_status_display()})"
