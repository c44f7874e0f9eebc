"""Flood protection for anonymous reports: a burst is held as one item for the centre to confirm or dismiss.

An anonymous report needs no account, so a script can send hundreds. Past a per-address or school-wide
rate (counseling.services.holds), further anonymous reports are not routed as cases: they are kept here,
whole and encrypted like any report, inside one ReportHold per burst. The centre sees one item with its
count (and how many say "in danger"), opens it, confirms the reports that are real (each then becomes an
ordinary Report, routed and alerted as usual) and dismisses the rest (audited; nothing is deleted).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models.crisis import Relation, Report
from portal.crypto import EncryptedJSONField, EncryptedTextField
from portal.models import Student, User


class ReportHold(models.Model):
    """One burst of anonymous reports: from one address, or a school-wide surge."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("many reports from one network address")
        SURGE = "surge", _("a school-wide surge of anonymous reports")

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for review")
        RESOLVED = "resolved", _("reviewed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A keyed hash of the address for ADDRESS holds (never the address); cleared when the hold is resolved.
    source_key = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("first report"), default=timezone.now)
    last_at = models.DateTimeField(_("last report"), default=timezone.now)
    alerted_in_danger = models.BooleanField(default=False, editable=False)
    resolved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Why the rest was dismissed: staff words that may name a student, so encrypted (the audit has the count).
    dismiss_reason = EncryptedTextField(_("reason for dismissal"), blank=True)

    class Meta:
        ordering = ["-last_at"]
        constraints = [
            # One open hold per source, so a burst collects into one item whatever the concurrency.
            models.UniqueConstraint(
                fields=["kind", "source_key"], condition=Q(status="open"), name="reporthold_one_open_per_source"
            )
        ]
        verbose_name = _("held burst of anonymous reports")
        verbose_name_plural = _("held bursts of anonymous reports")

    def __str__(self) -> str:
        return f"hold #{self.pk} ({self.kind})"


class HeldReport(models.Model):
    """An anonymous report kept in a hold; the same fields as a Report, as sensitive as one."""

    class Decision(models.TextChoices):
        HELD = "held", _("waiting")
        CONFIRMED = "confirmed", _("confirmed: routed as a report")
        DISMISSED = "dismissed", _("dismissed")

    hold = models.ForeignKey(ReportHold, on_delete=models.PROTECT, related_name="reports")
    idempotency_key = models.UUIDField(unique=True, editable=False)
    receipt_hash = models.CharField(max_length=64, unique=True, editable=False)
    student = models.ForeignKey(Student, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    relation = models.CharField(_("relation to the student"), max_length=10, choices=Relation.choices)
    subject_given = EncryptedTextField(_("student as given"), blank=True)
    signs = EncryptedJSONField(_("observed signs"))
    narrative = EncryptedTextField(_("what happened"))
    when_where = EncryptedTextField(_("when and where"), blank=True)
    in_danger = models.BooleanField(_("in danger right now"), default=False)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.HELD)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, null=True, blank=True, related_name="held_as")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], name="heldreport_created")]
        verbose_name = _("held anonymous report")
        verbose_name_plural = _("held anonymous reports")

    # A held report is always anonymous: it has no reporter, like the Report it may become.
    anonymous = True
    reporter_id = None

    def __str__(self) -> str:
        return f"held report #{self.pk}"

    def sign_labels(self) -> list[str]:
        from counseling.models.crisis import Sign

        labels = dict(Sign.choices)
        return [str(labels.get(s, s)) for s in self.signs]

    def reporter_status(self) -> str:
        """What the anonymous reporter sees: received while held, closed once dismissed."""
        return "closed" if self.decision == self.Decision.DISMISSED else "received"
