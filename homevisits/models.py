"""Home visits (家访): trips, their route and students, visit records made in the field, follow-ups.

What families tell a visiting team is sensitive: the narrative fields of a record are encrypted; the
team sees priority *reasons* for choosing a student, never the clinical or financial detail behind them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from portal.kernel.workflow import Flow
from portal.models import Student, User


class Trip(models.Model):
    class Status(models.TextChoices):
        PLANNING = "planning", _("planning")
        APPROVED = "approved", _("approved")
        TRAVELLING = "travelling", _("travelling")
        REPORTING = "reporting", _("reporting")
        CLOSED = "closed", _("closed")

    # One service per move (homevisits.services.trips); the permissions are portal.access actions
    # (homevisits/access.py): the office approves and closes, the leader (or the office) departs and returns.
    flow = Flow(
        moves={
            Status.PLANNING: {Status.APPROVED},
            Status.APPROVED: {Status.PLANNING, Status.TRAVELLING},
            Status.TRAVELLING: {Status.REPORTING},
            Status.REPORTING: {Status.CLOSED},
            Status.CLOSED: set(),
        },
        permissions={
            Status.APPROVED: "approve",
            Status.PLANNING: "approve",  # sending an approved trip back to planning is the office's call
            Status.TRAVELLING: "depart",
            Status.REPORTING: "return",
            Status.CLOSED: "close",
        },
        refused=_("A trip that is %(status)s cannot be moved to %(to)s."),
        audit="homevisits.trip_transition",
    )

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    regions = models.CharField(_("regions"), max_length=300, help_text=_("e.g. 新疆 喀什、阿图什、乌鲁木齐"))
    leader = models.ForeignKey(User, on_delete=models.PROTECT, related_name="led_trips", verbose_name=_("leader"))
    members = models.ManyToManyField(User, related_name="visit_trips", blank=True, verbose_name=_("members"))
    starts_on = models.DateField(_("departs"))
    ends_on = models.DateField(_("returns"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=10, decimal_places=2)
    briefing = models.TextField(_("pre-trip briefing"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNING)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    report = EncryptedTextField(_("trip report"), blank=True)  # what the team found in families' homes
    report_submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["year", "status"], name="trip_year_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="trip_returns_after_departure"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="trip_budget_nonnegative"),
        ]
        verbose_name = _("home-visit trip")
        verbose_name_plural = _("home-visit trips")

    def __str__(self) -> str:
        return self.title


class TripStop(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveSmallIntegerField(_("order"))
    province = models.CharField(_("province"), max_length=30)
    prefecture = models.CharField(_("prefecture"), max_length=50, blank=True)
    county = models.CharField(_("county"), max_length=50, blank=True)
    planned_on = models.DateField(_("planned date"))

    class Meta:
        ordering = ["trip_id", "position"]
        constraints = [models.UniqueConstraint(fields=["trip", "position"], name="tripstop_unique_position")]
        verbose_name = _("stop")
        verbose_name_plural = _("stops")

    def __str__(self) -> str:
        return " ".join(p for p in (self.province, self.prefecture, self.county) if p)


class TripStudent(models.Model):
    """A student planned at a stop. `reasons` holds priority reason codes only (no detail behind them)."""

    stop = models.ForeignKey(TripStop, on_delete=models.CASCADE, related_name="students")
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="planned_students")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("priority reasons"), default=list, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stop__position", "id"]
        constraints = [models.UniqueConstraint(fields=["trip", "student"], name="tripstudent_once_per_trip")]
        verbose_name = _("planned student")
        verbose_name_plural = _("planned students")

    def __str__(self) -> str:
        return f"{self.student} @ {self.stop}"


class Expense(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="expenses")
    spent_on = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=50)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    receipt = models.FileField(_("receipt"), upload_to="homevisits/receipts/%Y/", blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["spent_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")

    def __str__(self) -> str:
        return f"{self.category} {self.amount}"


class VisitRecord(models.Model):
    class Form(models.TextChoices):
        HOME = "home", _("home visit")
        SCHOOL = "school", _("at school")
        PHONE = "phone", _("phone")
        VIDEO = "video", _("video call")

    class Outcome(models.TextChoices):
        VISITED = "visited", _("visited")
        NOT_REACHED = "not_reached", _("not reached")

    class Need(models.TextChoices):
        """The needs a visit finds (stored as codes in `needs`)."""

        FINANCIAL = "financial", _("financial")
        HEALTH = "health", _("health")
        STUDY = "study", _("study")
        EMPLOYMENT = "employment", _("employment")
        PSYCHOLOGICAL = "psychological", _("psychological")
        FAMILY = "family", _("family")
        HOUSING = "housing", _("housing")
        OTHER = "other", _("other")

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="records")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.VISITED)
    not_reached_reason = EncryptedTextField(_("why not reached"), blank=True)
    visited_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.HOME)
    people_present = EncryptedTextField(_("people present"), blank=True)
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    family_members = EncryptedTextField(_("family members"), blank=True)
    income_and_spending = EncryptedTextField(_("income and spending"), blank=True)
    hardship_causes = EncryptedTextField(_("causes of hardship"), blank=True)
    housing = EncryptedTextField(_("housing"), blank=True)
    role_at_home = EncryptedTextField(_("the student's role at home"), blank=True)
    policies_explained = models.TextField(_("policies explained"), blank=True)
    aid_received = EncryptedTextField(_("aid already received"), blank=True)
    parents_views = EncryptedTextField(_("parents' views and questions"), blank=True)
    gift_amount = models.DecimalField(_("money or gifts given (yuan)"), max_digits=8, decimal_places=2, default=0)
    gift_note = EncryptedTextField(_("what was given"), blank=True)
    needs = models.JSONField(_("needs found"), default=list, blank=True)
    summary = EncryptedTextField(_("summary"), blank=True)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visited_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trip", "student"], name="visitrecord_one_per_trip_student"),
            models.CheckConstraint(condition=Q(gift_amount__gte=0), name="visitrecord_gift_nonnegative"),
        ]
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")

    def __str__(self) -> str:
        return f"{self.student} {self.visited_on}"


class VisitDraft(models.Model):
    """What a member typed for a visit record, saved while typing (the browser keeps a copy too)."""

    trip_student = models.ForeignKey(TripStudent, on_delete=models.CASCADE, related_name="drafts")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    data = EncryptedTextField()  # JSON of the form fields
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trip_student", "author"], name="visitdraft_one_per_author")]
        verbose_name = _("visit draft")
        verbose_name_plural = _("visit drafts")

    def __str__(self) -> str:
        return f"draft {self.trip_student_id}"


class VisitPhoto(models.Model):
    """JPEG/PNG checked by content, EXIF and GPS stripped on upload, with the family's consent recorded."""

    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="homevisits/photos/%Y/")
    consent_recorded = models.BooleanField(_("the family agreed to the photo"))
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(consent_recorded=True), name="visitphoto_consent_required")]
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return self.image.name


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        IDENTIFICATION_REVIEW = "identification", _("identification review (aid)")
        TEMPORARY_HARDSHIP = "temporary_hardship", _("temporary hardship application (aid)")
        COUNSELLING_REFERRAL = "referral", _("referral to counselling")
        TASK = "task", _("task")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    record = models.ForeignKey(VisitRecord, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("what"), max_length=200)
    note = EncryptedTextField(_("note"), blank=True)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="visit_follow_ups")
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    linked = models.CharField(max_length=60, blank=True, help_text=_("The item it opened in aid or counselling."))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="followup_owner_due")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return self.title


class GuardianContact(models.Model):
    """Home–school link: one contact with a student's family."""

    class Kind(models.TextChoices):
        CALL = "call", _("phone call")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("visit")
        LETTER = "letter", _("letter")

    class Side(models.TextChoices):
        """Which side wrote it. A counsellor's call about a crisis is clinical and an aid officer's call about
        money is family finance: each summary is read only by its own side (homevisits.access)."""

        COUNSELLING = "counselling", _("counselling")
        AID = "aid", _("aid and home visits")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    contacted_on = models.DateField(_("date"))
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = EncryptedTextField(_("summary"))
    side = models.CharField(_("written by"), max_length=12, choices=Side.choices, default=Side.AID)

    class Meta:
        ordering = ["-contacted_on", "-id"]
        verbose_name = _("guardian contact")
        verbose_name_plural = _("guardian contacts")

    def __str__(self) -> str:
        return f"{self.student_id} {self.contacted_on}"
