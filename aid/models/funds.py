"""The four parties' funds, programmes with their rules, applications, payments and the fund ledger.

No award may overdraw a fund or exceed a quota: committing an award locks the fund row (and the quota
row) and checks the ledger's balance in the same transaction. Money is Decimal and always positive.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models.identification import AcademicYear
from portal.crypto import EncryptedTextField
from portal.kernel.workflow import Flow, StatusEvent
from portal.models import College, Student, User


class Party(models.TextChoices):
    STATE = "state", _("state")
    SCHOOL = "school", _("school")
    SOCIETY = "society", _("society")
    SELF_HELP = "self_help", _("self-help")


class Fund(models.Model):
    name = models.CharField(_("name"), max_length=200)
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    donor = models.CharField(_("donor"), max_length=200, blank=True)
    restrictions = models.TextField(_("restrictions"), blank=True)
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="funds")
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["year", "party", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="fund_budget_positive"),
            models.UniqueConstraint(fields=["name", "year"], name="fund_unique_name_year"),
        ]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class Programme(models.Model):
    class Kind(models.TextChoices):
        SCHOLARSHIP = "scholarship", _("scholarship")
        GRANT = "grant", _("grant")
        LOAN = "loan", _("student loan")
        WAIVER = "waiver", _("tuition waiver")
        GREEN_CHANNEL = "green_channel", _("green channel")
        TEMPORARY = "temporary", _("temporary hardship grant")
        HIDDEN = "hidden", _("hidden aid")

    class AmountMode(models.TextChoices):
        FIXED = "fixed", _("fixed amount")
        BY_TIER = "by_tier", _("by tier")
        UP_TO = "up_to", _("up to a maximum")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    amount_mode = models.CharField(_("amount"), max_length=10, choices=AmountMode.choices)
    amount = models.DecimalField(_("amount or maximum (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    tier_amounts = models.JSONField(
        _("amounts by tier"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"special": "4500", "difficult": "3700", "general": "2500"}'),
    )
    yearly_cap = models.DecimalField(
        _("maximum per student per year (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    required_tier = models.CharField(_("identification required (minimum tier)"), max_length=10, blank=True)
    min_study_year = models.PositiveSmallIntegerField(_("from study year"), default=1)
    excludes = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("cannot be combined with"))
    installments = models.PositiveSmallIntegerField(_("installments"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["party", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(amount__isnull=True), name="programme_amount_positive")
        ]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Quota(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="quotas")
    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "college", "year"], name="quota_unique")]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")

    def __str__(self) -> str:
        return f"{self.programme} {self.college}: {self.places}"


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        COLLEGE_REVIEWED = "college_reviewed", _("college reviewed")
        NOTICE = "notice", _("on notice")
        APPROVED = "approved", _("approved by the school")
        COMMITTED = "committed", _("charged to a fund")
        PAYING = "paying", _("being paid")
        PAID = "paid", _("paid")
        CLOSED = "closed", _("closed")
        RETURNED = "returned", _("returned for changes")
        REJECTED = "rejected", _("not approved")
        WITHDRAWN = "withdrawn", _("withdrawn")
        APPEALED = "appealed", _("appealed")
        CLAWBACK = "clawback", _("being reclaimed")

    # One service per move (aid.services.funds); the permissions are portal.access actions (aid/access/funds.py):
    # "withdraw"/"appeal" by the student, "review" by the college's reviewer, "decide" by aid officers.
    flow = Flow(
        moves={
            Status.DRAFT: {Status.SUBMITTED, Status.WITHDRAWN},
            Status.SUBMITTED: {Status.COLLEGE_REVIEWED, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN},
            Status.RETURNED: {Status.SUBMITTED, Status.WITHDRAWN},
            Status.COLLEGE_REVIEWED: {Status.NOTICE, Status.REJECTED},
            Status.NOTICE: {Status.APPROVED, Status.REJECTED},
            Status.APPROVED: {Status.COMMITTED, Status.REJECTED},
            Status.COMMITTED: {Status.PAYING, Status.CLAWBACK},
            Status.PAYING: {Status.PAID, Status.CLAWBACK},
            Status.PAID: {Status.CLOSED, Status.CLAWBACK},
            Status.REJECTED: {Status.APPEALED},
            Status.APPEALED: {Status.COLLEGE_REVIEWED, Status.REJECTED},
            Status.CLAWBACK: {Status.CLOSED},
        },
        permissions={
            # (Re)submitting has no rule here: the student's own pages check it ("resubmit", programme_apply).
            Status.WITHDRAWN: "withdraw",
            Status.APPEALED: "appeal",
            Status.COLLEGE_REVIEWED: "review",
            Status.RETURNED: "review",
            Status.NOTICE: "review",
            # Rejecting before the notice is part of the college's review; after it, the school decides.
            (Status.SUBMITTED, Status.REJECTED): "review",
            (Status.APPEALED, Status.REJECTED): "review",
            (Status.COLLEGE_REVIEWED, Status.REJECTED): "review",
            Status.REJECTED: "decide",
            Status.APPROVED: "decide",
            Status.COMMITTED: "decide",
            Status.PAYING: "decide",
            Status.PAID: "decide",
            Status.CLAWBACK: "decide",
            Status.CLOSED: "decide",
        },
        refused=_("This application is “%(status)s”, so that step is not possible now."),
        timeline="aid.ApplicationEvent",
        audit="application.{to}",
        lock_related=("student", "programme", "year"),
        lock_of=("self",),
    )

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="aid_applications")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    statement = EncryptedTextField(_("why you are applying"), blank=True)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="applications")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["year", "programme", "status"], name="application_year_prog_status"),
            # The officers' list: filter by status (and programme), newest first; unfiltered, newest first.
            models.Index(fields=["status", "programme", "-created_at"], name="application_status_prog"),
            models.Index(fields=["-created_at", "-id"], name="application_newest"),
            # The college review queue: waiting statuses, oldest submission first.
            models.Index(fields=["status", "submitted_at"], name="application_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["student", "programme", "year"], name="application_one_per_programme_year"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount__isnull=True), name="application_amount_positive"
            ),
        ]
        verbose_name = _("aid application")
        verbose_name_plural = _("aid applications")

    def __str__(self) -> str:
        return f"{self.student} · {self.programme}"


class ApplicationEvent(StatusEvent):
    """The timeline of an application: every move of Application.flow, with who and why (append-only)."""

    subject_field = "application"
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("application event")
        verbose_name_plural = _("application events")


class PaymentBatch(models.Model):
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    exported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")

    def __str__(self) -> str:
        return self.name


class Payment(models.Model):
    """One installment of an award (or a hidden-aid top-up)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        RETURNED = "returned", _("returned by the student")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="aid_payments")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    batch = models.ForeignKey(PaymentBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="payment_status_due")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.student} {self.amount}"


class LedgerEntry(models.Model):
    """The fund's ledger: commitments reserve money, payments spend it, releases return it.
    Balance = budget − commitments + releases (payments draw on commitments)."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("commitment")
        PAYMENT = "payment", _("payment")
        RELEASE = "release", _("release")

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["fund", "kind"], name="ledger_fund_kind"),
            # A fund's ledger page: newest first.
            models.Index(fields=["fund", "-created_at", "-id"], name="ledger_fund_newest"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive")]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class BankAccount(models.Model):
    """Where awards are paid. The card number is encrypted and masked everywhere but the finance export."""

    student = models.OneToOneField(Student, on_delete=models.CASCADE, related_name="bank_account")
    bank = models.CharField(_("bank"), max_length=100)
    card_number = EncryptedTextField(_("card number"))
    card_masked = models.CharField(max_length=30, editable=False)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.bank} {self.card_masked}"

    def save(self, *args, **kwargs) -> None:
        digits = "".join(ch for ch in self.card_number if ch.isdigit())
        self.card_masked = f"{'*' * max(len(digits) - 4, 0)}{digits[-4:]}"
        super().save(*args, **kwargs)


ZERO = Decimal("0.00")
