"""Academic years and the identification of financially difficult students (家庭经济困难认定, 教财〔2018〕16号).

Family finances are sensitive: the statement is encrypted; incomes are visible only to aid staff in
scope and to the student; class evaluation members see applications of their class without documents,
ID numbers or the statement; public notices show name, class and tier only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedJSONField, EncryptedTextField
from portal.kernel.workflow import Flow, StatusEvent
from portal.models import ClassGroup, College, Student, User


class AcademicYear(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True, help_text=_("e.g. 2026-2027"))
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    window_opens_on = models.DateField(_("identification window opens"))
    window_closes_on = models.DateField(_("identification window closes"))
    is_current = models.BooleanField(_("current year"), default=False)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="academicyear_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="academicyear_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(window_closes_on__gte=models.F("window_opens_on")), name="academicyear_window_order"
            ),
        ]
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")

    def __str__(self) -> str:
        return self.name


class Tier(models.TextChoices):
    SPECIAL = "special", _("especially difficult")  # 特别困难
    DIFFICULT = "difficult", _("difficult")  # 困难
    GENERAL = "general", _("generally difficult")  # 一般困难
    NONE = "none", _("not identified")  # 不认定


TIER_RANK = {Tier.SPECIAL: 3, Tier.DIFFICULT: 2, Tier.GENERAL: 1, Tier.NONE: 0}
HARDSHIP_TIERS = (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL)  # every tier but "not identified"


class SpecialStatus(models.TextChoices):
    REGISTERED_POOR = "registered_poor", _("registered poor household (建档立卡)")
    DIBAO = "dibao", _("minimum living allowance (低保)")
    TEKUN = "tekun", _("destitute support (特困供养)")
    ORPHAN = "orphan", _("orphan")
    DISABILITY = "disability", _("disability")
    MARTYR = "martyr", _("martyr's family")
    DISASTER = "disaster", _("natural disaster")
    ILLNESS = "illness", _("serious illness in the family")


class Identification(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        CLASS_REVIEWED = "class_reviewed", _("class evaluation done")
        COLLEGE_REVIEWED = "college_reviewed", _("college reviewed")
        COLLEGE_NOTICE = "college_notice", _("college notice")
        SCHOOL_REVIEWED = "school_reviewed", _("school reviewed")
        SCHOOL_NOTICE = "school_notice", _("school notice")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("not identified")
        RETURNED = "returned", _("returned for information")
        OBJECTION = "objection", _("objection under review")
        APPEAL = "appeal", _("appeal")
        ADJUSTED = "adjusted", _("adjusted mid-year")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired at year end")

    # One service per move (aid.services.identification); their callers check access (aid/access), so the
    # flow declares no permissions.
    flow = Flow(
        moves={
            Status.DRAFT: {Status.SUBMITTED},
            Status.SUBMITTED: {Status.CLASS_REVIEWED, Status.RETURNED},
            Status.RETURNED: {Status.SUBMITTED},
            Status.CLASS_REVIEWED: {Status.COLLEGE_REVIEWED, Status.RETURNED},
            Status.COLLEGE_REVIEWED: {Status.COLLEGE_NOTICE, Status.RETURNED},
            Status.COLLEGE_NOTICE: {Status.SCHOOL_REVIEWED, Status.OBJECTION},
            Status.SCHOOL_REVIEWED: {Status.SCHOOL_NOTICE, Status.REJECTED},
            Status.SCHOOL_NOTICE: {Status.APPROVED, Status.REJECTED, Status.OBJECTION},
            Status.OBJECTION: {Status.COLLEGE_REVIEWED, Status.SCHOOL_REVIEWED},  # reopens review
            Status.APPROVED: {Status.ADJUSTED, Status.REVOKED, Status.EXPIRED},
            Status.ADJUSTED: {Status.ADJUSTED, Status.REVOKED, Status.EXPIRED},
            Status.REJECTED: {Status.APPEAL, Status.EXPIRED},
            Status.APPEAL: {Status.APPROVED, Status.REJECTED},
        },
        refused=_("This cannot be done now: the identification is %(status)s."),
        timeline="aid.IdentificationEvent",
        audit="identification.{to}",
        audit_fields=True,
        lock_related=("student", "year"),
        lock_of=("self",),
    )

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="identifications")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="identifications")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    mid_year = models.BooleanField(_("mid-year application after a sudden change"), default=False)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    household_income = models.DecimalField(
        _("household income per year (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    household_debt = models.DecimalField(
        _("household debt (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    special_statuses = EncryptedJSONField(_("special statuses"), blank=True)  # 低保, orphan, disability…
    statement = EncryptedTextField(_("family situation in your own words"), blank=True)
    pledge_signed_at = models.DateTimeField(_("pledge signed"), null=True, blank=True)
    class_tier = models.CharField(_("class suggestion"), max_length=10, choices=Tier.choices, blank=True)
    college_tier = models.CharField(_("college decision"), max_length=10, choices=Tier.choices, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    college_notice = models.ForeignKey("Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    school_notice = models.ForeignKey("Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["year", "status"], name="ident_year_status")]
        constraints = [
            models.UniqueConstraint(fields=["student", "year"], name="identification_one_per_student_year"),
            models.CheckConstraint(
                condition=Q(household_income__gte=0) | Q(household_income__isnull=True),
                name="identification_income_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(household_debt__gte=0) | Q(household_debt__isnull=True),
                name="identification_debt_nonnegative",
            ),
        ]
        verbose_name = _("identification")
        verbose_name_plural = _("identifications")

    def __str__(self) -> str:
        return f"{self.student} {self.year}"


# An identification in force: approved, or adjusted mid-year. Its tier is the student's tier for that year.
IDENTIFIED_STATUSES = (Identification.Status.APPROVED, Identification.Status.ADJUSTED)


class FamilyMember(models.Model):
    identification = models.ForeignKey(Identification, on_delete=models.CASCADE, related_name="family_members")
    relation = models.CharField(_("relation"), max_length=20)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    occupation = EncryptedTextField(_("occupation"), blank=True)  # "unemployed", "ill": family finances
    annual_income = models.DecimalField(_("income per year (yuan)"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(annual_income__gte=0), name="familymember_income_nonneg")]
        verbose_name = _("family member")
        verbose_name_plural = _("family members")

    def __str__(self) -> str:
        return self.relation


class IdentificationDocument(models.Model):
    """PDF, JPEG or PNG, checked by content, ≤ 5 MB; private storage, served only through an access check."""

    identification = models.ForeignKey(Identification, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="aid/identification/%Y/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")

    def __str__(self) -> str:
        return self.original_name


class IdentificationEvent(StatusEvent):
    """The timeline of an identification: every state change, with who and why (append-only)."""

    subject_field = "identification"
    identification = models.ForeignKey(Identification, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("identification event")
        verbose_name_plural = _("identification events")


class EvaluationGroup(models.Model):
    """评议小组 of one class for one year: ≥ 10% of the class, ≥ 50% students, no applicants (services check)."""

    class_group = models.ForeignKey(ClassGroup, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(User, related_name="evaluation_groups")
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["class_group", "year"], name="evaluationgroup_one_per_class")]
        verbose_name = _("class evaluation group")
        verbose_name_plural = _("class evaluation groups")

    def __str__(self) -> str:
        return f"{self.class_group} {self.year}"


class ClassEvaluation(models.Model):
    identification = models.ForeignKey(Identification, on_delete=models.CASCADE, related_name="evaluations")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    suggested_tier = models.CharField(_("suggested tier"), max_length=10, choices=Tier.choices)
    reason = EncryptedTextField(_("reason"))  # a classmate's words about a family's hardship
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identification", "member"], name="classevaluation_one_per_member")
        ]
        verbose_name = _("class evaluation")
        verbose_name_plural = _("class evaluations")

    def __str__(self) -> str:
        return f"{self.identification_id}: {self.suggested_tier}"


class Notice(models.Model):
    """A public notice (公示): name, class and tier only, only to the class or college, only while it runs."""

    class Kind(models.TextChoices):
        COLLEGE = "college", _("college notice")
        SCHOOL = "school", _("school notice")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="notices")
    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="notice_period_order")
        ]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """Anyone in a notice's audience may object; their identity is visible to aid staff only."""

    class Status(models.TextChoices):
        OPEN = "open", _("under review")
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")

    identification = models.ForeignKey(Identification, on_delete=models.PROTECT, related_name="objections")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    lodged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("reason"))
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"objection #{self.pk}"


class Appeal(models.Model):
    identification = models.ForeignKey(Identification, on_delete=models.PROTECT, related_name="appeals")
    reason = EncryptedTextField(_("reason"))
    lodged_at = models.DateTimeField(default=timezone.now)
    answer_due_on = models.DateField(_("answer due"))
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-lodged_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"appeal #{self.pk}"
