"""Hidden aid (隐形资助): monthly canteen data, and the batches of students it picks, paid without a list."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models.funds import Fund, Payment
from portal.crypto import EncryptedTextField
from portal.kernel.workflow import Flow
from portal.models import Gender, Student, User


class CanteenImport(models.Model):
    month = models.DateField(_("month"))
    filename = models.CharField(max_length=200)
    rows = models.PositiveIntegerField(default=0)
    # None: imported with `manage.py import_canteen` without --actor.
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("canteen import")
        verbose_name_plural = _("canteen imports")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.rows})"


class CanteenRecord(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    meals = models.PositiveIntegerField(_("meals"))
    total_spend = models.DecimalField(_("total spend (yuan)"), max_digits=10, decimal_places=2)
    source = models.ForeignKey(CanteenImport, on_delete=models.CASCADE, related_name="records")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "month"], name="canteenrecord_one_per_month"),
            models.CheckConstraint(condition=Q(total_spend__gte=0), name="canteenrecord_spend_nonneg"),
        ]
        indexes = [models.Index(fields=["month", "meals", "total_spend"], name="canteen_rule")]
        verbose_name = _("canteen record")
        verbose_name_plural = _("canteen records")

    def __str__(self) -> str:
        return f"{self.student_id} {self.month:%Y-%m}"


class HiddenAidBatch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("under review")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")

    # One service per move (aid.services.hiddenaid): hiddenaid_batch_approve and hiddenaid_batch_pay (by an aid
    # officer, or the daily task). A batch is under review (its candidates may change) while it may be approved.
    flow = Flow(
        moves={Status.DRAFT: {Status.APPROVED}, Status.APPROVED: {Status.PAID}, Status.PAID: set()},
        permissions={Status.APPROVED: "hiddenaid_approve", Status.PAID: "hiddenaid_pay"},
        refused=_("This batch is no longer under review; its candidates cannot change."),
        audit="hiddenaid.batch_{to}",
    )

    month = models.DateField(_("month"))
    rules = models.JSONField(_("rule used"), default=dict)  # snapshot: per sex min meals, threshold, mode
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    # Students may decline until the day before; the daily task pays approved batches on this day.
    pay_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["month"], name="hiddenaidbatch_one_per_month")]
        verbose_name = _("hidden-aid batch")
        verbose_name_plural = _("hidden-aid batches")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class HiddenAidCandidate(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        PAID = "paid", _("paid")
        DECLINED = "declined", _("declined by the student")
        RETURNED = "returned", _("returned by the student")

    # Paid with its batch (hiddenaid_batch_pay, all the batch's proposed candidates at once); declined or returned
    # by the student themself (hiddenaid_candidate_decline / _return check that the subsidy is theirs). The batch
    # row is locked first, as paying does, so a decline and the payment never cross.
    flow = Flow(
        moves={
            Status.PROPOSED: {Status.PAID, Status.DECLINED},
            Status.PAID: {Status.RETURNED},
            Status.DECLINED: set(),
            Status.RETURNED: set(),
        },
        refused=_("This subsidy can no longer be declined; you can return it instead."),
        audit="hiddenaid.{to}",
        lock_first=("batch",),
        lock_related=("batch", "student"),
        lock_of=("self",),
    )

    batch = models.ForeignKey(HiddenAidBatch, on_delete=models.CASCADE, related_name="candidates")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    gender = models.CharField(max_length=1, choices=Gender.choices)
    meals = models.PositiveIntegerField()
    spend = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    included = models.BooleanField(_("included"), default=True)
    by_rule = models.BooleanField(default=True, help_text=_("False: added by hand"))
    change_reason = EncryptedTextField(_("reason for the change"), blank=True)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    responded_at = models.DateTimeField(_("declined or returned at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "student"], name="hiddenaidcandidate_one_per_batch"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="hiddenaidcandidate_amount_nonneg"),
        ]
        verbose_name = _("hidden-aid candidate")
        verbose_name_plural = _("hidden-aid candidates")

    def __str__(self) -> str:
        return f"{self.batch} {self.student_id}"
