"""Five-aid cases (五助帮扶档案): one case per identified student and year, with what is done under each aid."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models.identification import Identification
from portal.crypto import EncryptedTextField
from portal.models import Student, User


class Aid(models.TextChoices):
    MONEY = "money", _("money")
    EMPLOYMENT = "employment", _("employment help")
    PSYCHOLOGICAL = "psychological", _("psychological aid")
    GROWTH = "growth", _("growth help")
    SELF_HELP = "self_help", _("self-help")


class FiveAidCase(models.Model):
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="five_aid_cases")
    identification = models.OneToOneField(Identification, on_delete=models.PROTECT, related_name="five_aid_case")
    opened_at = models.DateTimeField(default=timezone.now)
    plan = models.JSONField(_("plan per aid"), default=dict, blank=True)  # {aid: short plan text}
    # Psychological aid: a referral into counselling; aid staff see only this status, never the content.
    psych_referral_report_id = models.BigIntegerField(null=True, blank=True, editable=False)
    psych_status = models.CharField(
        _("psychological aid"),
        max_length=10,
        blank=True,
        choices=[("referred", _("referred")), ("engaged", _("engaged")), ("declined", _("declined"))],
    )
    # Employment help: graduates are followed until placed.
    placed = models.BooleanField(_("placed in work"), default=False)
    xinjiang_programme = models.BooleanField(_("Xinjiang graduates' programme"), default=False)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("five-aid case")
        verbose_name_plural = _("five-aid cases")

    def __str__(self) -> str:
        return f"{self.student}"


class FiveAidEntry(models.Model):
    """Something done under one of the five aids: coaching, a referral, an offer, a mentor, a training…

    Entries are written for employment help and growth help; money and self-help are derived from
    awards and work-study, and psychological aid is a referral into counselling (status only).
    """

    class Kind(models.TextChoices):
        COACHING = "coaching", _("career coaching")
        JOB_REFERRAL = "job_referral", _("job referral")
        OFFER = "offer", _("job offer")
        MENTOR = "mentor", _("mentor")
        TRAINING = "training", _("training")
        ACTIVITY = "activity", _("activity attended")
        OTHER = "other", _("other")

    KINDS_BY_AID: dict[str, tuple[str, ...]] = {
        Aid.EMPLOYMENT: (Kind.COACHING, Kind.JOB_REFERRAL, Kind.OFFER, Kind.OTHER),
        Aid.GROWTH: (Kind.MENTOR, Kind.TRAINING, Kind.ACTIVITY, Kind.OTHER),
    }

    case = models.ForeignKey(FiveAidCase, on_delete=models.CASCADE, related_name="entries")
    aid = models.CharField(_("aid"), max_length=15, choices=Aid.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("what"), max_length=200)
    on = models.DateField(_("date"), default=timezone.localdate)
    note = EncryptedTextField(_("note"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["aid", "case"], name="fiveaidentry_aid_case")]
        verbose_name = _("five-aid entry")
        verbose_name_plural = _("five-aid entries")

    def __str__(self) -> str:
        return self.title


class TermReview(models.Model):
    case = models.ForeignKey(FiveAidCase, on_delete=models.CASCADE, related_name="reviews")
    term = models.CharField(_("term"), max_length=20)
    summary = EncryptedTextField(_("summary"))
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_at"]
        constraints = [models.UniqueConstraint(fields=["case", "term"], name="termreview_one_per_term")]
        verbose_name = _("term review")
        verbose_name_plural = _("term reviews")

    def __str__(self) -> str:
        return self.term
