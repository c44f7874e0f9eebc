"""Five-aid cases (五助帮扶档案), work-study (勤工助学) and hidden aid (隐形资助)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models.funds import Fund, Payment
from aid.models.identification import AcademicYear, Identification
from portal.crypto import EncryptedTextField
from portal.models import Gender, Student, User

# --- Five-aid case ------------------------------------------------------------------------------------


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


# --- Work-study ------------------------------------------------------------------------------------------


class WorkStudyPost(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", _("fixed post")
        TEMPORARY = "temporary", _("temporary post")

    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(_("unit"), max_length=100)
    title = models.CharField(_("post"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    hourly_rate = models.DecimalField(_("pay per hour (yuan)"), max_digits=6, decimal_places=2)
    hours_per_month = models.PositiveSmallIntegerField(_("hours per month"))
    openings = models.PositiveSmallIntegerField(_("openings"), default=1)
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervised_posts")
    active = models.BooleanField(_("open for applications"), default=True)

    class Meta:
        ordering = ["unit", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gt=0), name="workstudypost_rate_positive"),
            models.CheckConstraint(condition=Q(hours_per_month__lte=40), name="workstudypost_max_40h"),
        ]
        verbose_name = _("work-study post")
        verbose_name_plural = _("work-study posts")

    def __str__(self) -> str:
        return f"{self.unit} · {self.title}"


class WorkStudyPlacement(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        PLACED = "placed", _("placed")
        REJECTED = "rejected", _("not placed")
        WITHDRAWN = "withdrawn", _("withdrawn")
        ENDED = "ended", _("ended")

    TRANSITIONS: dict[str, set[str]] = {
        Status.APPLIED: {Status.PLACED, Status.REJECTED, Status.WITHDRAWN},
        Status.PLACED: {Status.ENDED},
        Status.WITHDRAWN: {Status.APPLIED},  # applies again
        Status.REJECTED: set(),
        Status.ENDED: set(),
    }

    post = models.ForeignKey(WorkStudyPost, on_delete=models.PROTECT, related_name="placements")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="work_study")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    applied_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at"]
        constraints = [models.UniqueConstraint(fields=["post", "student"], name="placement_one_per_post")]
        verbose_name = _("work-study placement")
        verbose_name_plural = _("work-study placements")

    def __str__(self) -> str:
        return f"{self.student} @ {self.post}"


class Timesheet(models.Model):
    """A month of hours, entered by the student per week and signed off by the supervisor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        SIGNED_OFF = "signed_off", _("signed off")
        REJECTED = "rejected", _("returned")

    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.DRAFT, Status.SUBMITTED},
        Status.REJECTED: {Status.DRAFT, Status.SUBMITTED},
        Status.SUBMITTED: {Status.SIGNED_OFF, Status.REJECTED},
        Status.SIGNED_OFF: set(),
    }
    EDITABLE = (Status.DRAFT, Status.REJECTED)

    placement = models.ForeignKey(WorkStudyPlacement, on_delete=models.PROTECT, related_name="timesheets")
    month = models.DateField(_("month"))
    weekly_hours = models.JSONField(_("hours per week"), default=dict)  # {"2026-11-02": "6.5", ...} Monday → hours
    total_hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, default=0)
    pay = models.DecimalField(_("pay (yuan)"), max_digits=8, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "month"], name="timesheet_one_per_month"),
            models.CheckConstraint(condition=Q(total_hours__lte=40), name="timesheet_max_40h"),
        ]
        verbose_name = _("timesheet")
        verbose_name_plural = _("timesheets")

    def __str__(self) -> str:
        return f"{self.placement} {self.month:%Y-%m}"


# --- Hidden aid ----------------------------------------------------------------------------------------------


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

    TRANSITIONS: dict[str, set[str]] = {Status.DRAFT: {Status.APPROVED}, Status.APPROVED: {Status.PAID}}

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

    TRANSITIONS: dict[str, set[str]] = {
        Status.PROPOSED: {Status.PAID, Status.DECLINED},
        Status.PAID: {Status.RETURNED},
    }

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
