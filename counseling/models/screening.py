"""Self-screening (PHQ-9, GAD-7), freshman screening campaigns (心理普查) and interview invitations (邀约).

Results are the student's and their counsellors' only: never read by aid or any other decision.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models.appointments import Booking
from counseling.models.crisis import Report
from portal.models import Student, User


class Instrument(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class InstrumentDefinition(models.Model):
    """One version of a screening instrument's definition file (docs/instruments.md), as loaded.

    Never changed once loaded: a new version is a new row, so a result keeps the definition it was scored
    with. PHQ-9 and GAD-7 ship as files in counseling/instrument_definitions/ and are stored here on first
    use; a college loads others it is licensed to use (manage.py instrument_load, or the admin).
    """

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=40)
    source = models.TextField(_("definition file"))  # the TOML text exactly as loaded
    checksum = models.CharField(_("checksum"), max_length=64)
    shipped = models.BooleanField(_("shipped with Nuanxin"), default=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive instruments cannot be chosen for new campaigns or taken.")
    )
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)
    loaded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version_unique")]
        verbose_name = _("screening instrument")
        verbose_name_plural = _("screening instruments")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def parsed(self):  # -> counseling.instrument_format.Definition
        from counseling.instrument_format import parse_cached

        return parse_cached(self.source)


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
    # The instrument's code (phq9, gad7 or a loaded one); its definition version is `definition`.
    instrument = models.CharField(_("instrument"), max_length=40)
    answers = models.JSONField(_("answers"))  # the option score chosen per item, in item order (raw, unreversed)
    total = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=20)
    campaign = models.ForeignKey(
        ScreeningCampaign, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    completed_at = models.DateTimeField(default=timezone.now)
    # The concern report this result raised through the crisis service (item 9 > 0, or a score ≥ 10).
    raised_report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    idempotency_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    # The definition version it was scored with; empty for results saved before definitions were data
    # (those are PHQ-9/GAD-7 version 1, whose scoring has not changed).
    definition = models.ForeignKey(
        InstrumentDefinition, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    # Positive by the definition's rules, stored so lists can filter on it; empty for results saved before
    # (selectors.positive_results_q applies today's PHQ-9/GAD-7 rule to those).
    positive = models.BooleanField(null=True, blank=True, editable=False)
    # {factor code: sum or mean}; a database default too, for rows COPYed in by counseling/scale.py.
    factors = models.JSONField(
        _("factor scores"), default=dict, db_default=Value({}, output_field=models.JSONField()), blank=True
    )

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

    def get_instrument_display(self) -> str:
        """The instrument's short name (PHQ-9), from the definition it was scored with."""
        if self.instrument in Instrument.values:
            return Instrument(self.instrument).label
        if self.definition_id is not None:
            return self.definition.name
        return self.instrument


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
