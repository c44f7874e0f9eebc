"""Crisis and concern reports, cases with their timeline, assessments, interventions, zero reports.

A *report* is what someone saw (narrative, signs, in danger?). A *case* is the counselling work on
one student: reports about a student with an open case join that case. Status and level live on the
case; every change to it is a CaseEvent in an append-only timeline.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedJSONField, EncryptedTextField
from portal.kernel.workflow import Flow, Transition
from portal.models import ClassGroup, College, Student, User

NARRATIVE_MAX = 10_000


class Level(models.IntegerChoices):
    """关注等级. Acknowledgement limits are settings (counseling.access: ACK_LIMIT_KEYS)."""

    GENERAL = 1, _("1 · general concern")
    KEY = 2, _("2 · key concern")
    HIGH = 3, _("3 · high-risk alert")
    CRISIS = 4, _("4 · crisis")


class Sign(models.TextChoices):
    SUICIDE_TALK = "suicide_talk", _("talk of self-harm or suicide")
    SELF_HARM = "self_harm", _("self-harm or an attempt")
    MOOD = "mood", _("severe mood change")
    WITHDRAWAL = "withdrawal", _("withdrawal")
    CONFLICT = "conflict", _("conflict or violence")
    SUBSTANCE = "substance", _("substance use")
    ACADEMIC = "academic", _("academic collapse")
    FAMILY = "family", _("family crisis")
    OTHER = "other", _("other")


class Relation(models.TextChoices):
    SELF = "self", _("it is about me")
    ROOMMATE = "roommate", _("roommate")
    CLASSMATE = "classmate", _("classmate")
    FRIEND = "friend", _("friend")
    STAFF = "staff", _("teacher or staff")
    FAMILY = "family", _("family member")
    OTHER = "other", _("other")


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("new")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ASSESSING = "assessing", _("assessing")
        INTERVENING = "intervening", _("intervening")
        MONITORING = "monitoring", _("monitoring")
        CLOSED = "closed", _("closed")

    # Who may move a case where is one rule for every move, counseling.access.crisis.may_transition
    # (registered with @Case.flow.rule); the service is counseling.services.crisis.case_transition.
    flow = Flow(
        moves={
            Status.NEW: {Status.ACKNOWLEDGED},
            Status.ACKNOWLEDGED: {Status.ASSESSING, Status.MONITORING, Status.CLOSED},
            Status.ASSESSING: {Status.INTERVENING, Status.MONITORING, Status.CLOSED},
            Status.INTERVENING: {Status.MONITORING, Status.CLOSED},
            Status.MONITORING: {Status.INTERVENING, Status.CLOSED},
            Status.CLOSED: {Status.ACKNOWLEDGED},  # reopen
        },
        needs_rule=True,
        refused=_("A case that is %(status)s cannot become %(to)s."),
        forbidden=_("Your role may not make this change; a centre counsellor can."),
        timeline="counseling.CaseEvent",
        audit="case.status_changed",
    )
    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.ASSESSING, Status.INTERVENING, Status.MONITORING)

    class CloseReason(models.TextChoices):
        RESOLVED = "resolved", _("concern resolved")
        NO_CONCERN = "no_concern", _("no concern found")
        REFERRED_OUT = "referred_out", _("referred to outside care")
        LEFT_SCHOOL = "left_school", _("student left school")
        DUPLICATE = "duplicate", _("duplicate of another case")
        DECLINED = "declined", _("student declined support")
        OTHER = "other", _("other")

    # Null until the centre matches an unmatched report (the subject as typed is on the report).
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("student")
    )
    # The queue it sits in: the student's college station; null means the centre's own queue.
    college = models.ForeignKey(
        College, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("college")
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.NEW)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    self_harm_level = models.PositiveSmallIntegerField(_("risk of self-harm"), choices=Level.choices, null=True)
    others_harm_level = models.PositiveSmallIntegerField(_("risk of harm to others"), choices=Level.choices, null=True)
    owner = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_cases", verbose_name=_("owner")
    )
    assessors = models.ManyToManyField(User, blank=True, related_name="assessed_cases", verbose_name=_("assessors"))
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    ack_due_at = models.DateTimeField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    next_touchpoint = models.DateField(_("next touchpoint"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Claimed by conditional UPDATEs in the escalation scan so each alert goes out exactly once.
    escalation_stage = models.PositiveSmallIntegerField(default=0, editable=False)
    touchpoint_reminded_for = models.DateField(null=True, blank=True, editable=False)
    touchpoint_escalated_for = models.DateField(null=True, blank=True, editable=False)
    close_reason = models.CharField(_("close reason"), max_length=20, choices=CloseReason.choices, blank=True)
    # Set by the retention job (counseling.retention) years after closing: the case leaves every list and page;
    # its timeline and the audit trail stay.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-level", "created_at"]
        indexes = [
            models.Index(fields=["college", "status", "level", "created_at"], name="case_queue"),
            # The centre's queue (every college): status filter, then most serious and oldest first.
            models.Index(fields=["status", "level", "created_at"], name="case_status_level"),
            models.Index(fields=["status", "ack_due_at"], name="case_ack_due"),
            models.Index(fields=["status", "next_touchpoint"], name="case_touchpoint"),
            models.Index(fields=["student", "status"], name="case_student"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="case_level_range"),
            # One open case per student: a new report joins it (enforced here against races).
            models.UniqueConstraint(
                fields=["student"],
                condition=~Q(status="closed") & Q(student__isnull=False),
                name="case_one_open_per_student",
            ),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_level_display()} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    @property
    def ack_overdue(self) -> bool:
        return self.status == self.Status.NEW and self.ack_due_at < timezone.now()

    @property
    def ack_time_left(self) -> timedelta | None:
        if self.status != self.Status.NEW:
            return None
        return self.ack_due_at - timezone.now()

    @property
    def touchpoint_overdue(self) -> bool:
        return self.is_open and self.next_touchpoint is not None and self.next_touchpoint < timezone.localdate()


class Report(models.Model):
    """One report of a worry. Narrative and place are encrypted; lists never show them."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports", verbose_name=_("case"))
    reporter = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crisis_reports",
        verbose_name=_("reporter"),
    )

    class Source(models.TextChoices):
        PERSON = "person", _("a person")
        SCREENING = "screening", _("a screening result")
        AID_REFERRAL = "aid_referral", _("a referral from the aid office")
        HOME_VISIT = "home_visit", _("a referral from a home visit")

    source = models.CharField(_("source"), max_length=15, choices=Source.choices, default=Source.PERSON)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # sha256 of the receipt code: the code itself is shown once and never stored.
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    relation = models.CharField(_("relation to the student"), max_length=10, choices=Relation.choices)
    # Encrypted: "name 学号" beside the signs would tell a database dump who was reported for what.
    subject_given = EncryptedTextField(
        _("student as given"), blank=True, help_text=_("What the reporter typed, for matching.")
    )
    signs = EncryptedJSONField(_("observed signs"))
    narrative = EncryptedTextField(_("what happened"))
    when_where = EncryptedTextField(_("when and where"), blank=True)
    in_danger = models.BooleanField(_("in danger right now"), default=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    # The report's own loop, the only thing its reporter sees (reporter_status): set when a counsellor
    # first reads or acts on the case after this report joined it, and when the case closes after that.
    # Never derived from the case, which may have been open (or closed) for reasons the reporter must
    # not learn.
    seen_at = models.DateTimeField(_("seen by a counsellor"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    close_reason = models.CharField(max_length=20, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["reporter", "created_at"], name="report_reporter")]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"report #{self.pk}"

    def sign_labels(self) -> list[str]:
        labels = dict(Sign.choices)
        return [str(labels.get(s, s)) for s in self.signs]

    def reporter_status(self) -> str:
        """What the reporter may know: received → seen → closed, of this report alone. Never more."""
        if self.closed_at is not None:
            return "closed"
        if self.seen_at is not None:
            return "seen"
        return "received"


class CaseEvent(models.Model):
    """The append-only timeline of a case. PostgreSQL refuses UPDATE and DELETE (migration)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("case opened")
        REPORT = "report", _("new report joined")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        LEVEL = "level", _("level set")
        STATUS = "status", _("status changed")
        OWNER = "owner", _("owner assigned")
        ASSESSORS = "assessors", _("assessment group assigned")
        TOUCHPOINT = "touchpoint", _("next touchpoint set")
        NOTE = "note", _("note")
        QUESTION = "question", _("question to the reporter")
        ANSWER = "answer", _("reporter answered")
        ASSESSMENT = "assessment", _("assessment recorded")
        ACTION = "action", _("intervention action")
        ESCALATION = "escalation", _("escalated")
        MATCHED = "matched", _("student matched")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    note = EncryptedTextField(blank=True)
    data = models.JSONField(default=dict, blank=True)  # non-sensitive facts: from/to, level, dates

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case")]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("the case timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the case timeline is append-only")

    @classmethod
    def record_move(cls, t: Transition) -> CaseEvent:
        """A move of Case.flow: "acknowledged" out of new, "status changed" otherwise; from/to (and the close
        reason the service passes as data) in `data`."""
        kind = cls.Kind.ACKNOWLEDGED if t.from_status == Case.Status.NEW else cls.Kind.STATUS
        return cls.objects.create(
            case=t.obj, kind=kind, actor=t.actor, note=t.note, data={"from": t.from_status, "to": t.to_status, **t.data}
        )


class ReporterQuestion(models.Model):
    """A follow-up question from the station to the reporter (named or anonymous), and the answer."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    question = EncryptedTextField(_("question"))
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]
        verbose_name = _("question to the reporter")
        verbose_name_plural = _("questions to reporters")

    def __str__(self) -> str:
        return f"question #{self.pk}"


class Assessment(models.Model):
    """The crisis assessment group's judgement: words like "at risk", never a diagnosis."""

    class Conclusion(models.TextChoices):
        AT_RISK_HIGH = "at_risk_high", _("at high risk: intervention needed now")
        AT_RISK = "at_risk", _("at risk: intervention and close follow-up")
        SCREENING_POSITIVE = "screening_positive", _("screening positive: follow-up needed")
        LOW_RISK = "low_risk", _("low risk at present: monitoring")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    risk_factors = EncryptedTextField(_("risk factors"))
    protective_factors = EncryptedTextField(_("protective factors"))
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=Conclusion.choices)
    conclusion_note = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"assessment #{self.pk}"


class InterventionAction(models.Model):
    class Kind(models.TextChoices):
        GUARDIAN = "guardian", _("guardian contacted")
        COMPANION = "companion", _("24-hour companion arranged")
        HOSPITAL = "hospital", _("hospital referral")
        LEAVE = "leave", _("leave of absence")
        RETURN_REVIEW = "return_review", _("return-to-school review")
        INTERVIEW = "interview", _("interview")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", _("to do")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("action"), max_length=15, choices=Kind.choices)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="intervention_actions")
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    hospital = EncryptedTextField(_("hospital"), blank=True)  # a psychiatric hospital's name says enough
    referral_date = models.DateField(_("referral date"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    note = EncryptedTextField(_("notes"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_date"], name="action_owner_due")]
        verbose_name = _("intervention action")
        verbose_name_plural = _("intervention actions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.due_date})"


class CareLevelOverride(models.Model):
    """A counsellor's manual care level for a student, overriding the level derived from open cases."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="care_level_overrides")
    level = models.PositiveSmallIntegerField(
        _("level"), choices=Level.choices, null=True, blank=True, help_text=_("Empty: not on the care list.")
    )
    reason = EncryptedTextField(_("reason"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(cleared_at__isnull=True), name="care_override_one_active"
            )
        ]
        verbose_name = _("care level override")
        verbose_name_plural = _("care level overrides")

    def __str__(self) -> str:
        return f"{self.student_id}: {self.level}"


class ZeroReport(models.Model):
    """零报告: a class committee member's monthly report, even when there is nothing to report."""

    class_group = models.ForeignKey(ClassGroup, on_delete=models.PROTECT, related_name="zero_reports")
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    nothing_to_report = models.BooleanField(_("nothing to report"), default=True)
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["class_group", "month"], name="zeroreport_one_per_month")]
        verbose_name = _("monthly zero report")
        verbose_name_plural = _("monthly zero reports")

    def __str__(self) -> str:
        return f"{self.class_group} {self.month:%Y-%m}"
