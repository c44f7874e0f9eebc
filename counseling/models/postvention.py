"""Postvention (危机事件后干预): after a level-4 case or a critical incident, the people around the student are
checked on.

The centre records a *critical incident* (an attempt, a death, violence, a disaster) or starts from a level-4
case, and opens a *plan*. The plan lists *contacts* — roommates, classmates, the class committee member and
dorm liaison, anyone staff add by name — and each contact gets one or more *check-ins*, assigned to a dorm
liaison, a class committee member or a counsellor, with a due date and an outcome.

The index student (the one the incident or case is about) lives on the plan only. A check-in's assignee sees
the contact and a generic script (counseling.access.postvention says who sees what); nothing on a contact or a
check-in names the index student.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from portal.kernel.workflow import Flow
from portal.models import College, Student, User

CONTACT_NAME_MAX = 100
CHECKIN_NOTE_MAX = 500
INCIDENT_NARRATIVE_MAX = 10_000


class CriticalIncident(models.Model):
    """A critical incident the centre records (not every incident has a case, or a student on the roster)."""

    class Kind(models.TextChoices):
        ATTEMPT = "attempt", _("suicide attempt")
        DEATH = "death", _("death")
        VIOLENCE = "violence", _("violence")
        DISASTER = "disaster", _("disaster or accident")

    kind = models.CharField(_("kind of incident"), max_length=10, choices=Kind.choices)
    occurred_on = models.DateField(_("date of the incident"))
    # The index student, when the incident is about one student on the roster.
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("student")
    )
    case = models.ForeignKey(
        "counseling.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    # Whose station follows it: the student's (or the case's) college; null means the centre alone.
    college = models.ForeignKey(
        College, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("college")
    )
    narrative = EncryptedTextField(_("what happened"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("critical incident")
        verbose_name_plural = _("critical incidents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class PostventionPlan(models.Model):
    """One plan per level-4 case or per incident while it is open."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    flow = Flow(
        moves={Status.OPEN: {Status.CLOSED}, Status.CLOSED: set()},
        refused=_("A plan that is %(status)s cannot become %(to)s."),
        audit="postvention.plan_{to}",
    )

    case = models.ForeignKey(
        "counseling.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postvention_plans",
        verbose_name=_("case"),
    )
    incident = models.ForeignKey(
        CriticalIncident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("critical incident"),
    )
    # Copied from the case or the incident when the plan opens: the index student and the college whose
    # station follows the plan (null: the centre alone).
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("student")
    )
    college = models.ForeignKey(
        College, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("college")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["college", "status", "opened_at"], name="postvention_plan_college")]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(incident__isnull=False), name="postvention_plan_has_origin"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open", case__isnull=False), name="postvention_plan_one_per_case"
            ),
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(status="open", incident__isnull=False),
                name="postvention_plan_one_per_incident",
            ),
        ]
        verbose_name = _("postvention plan")
        verbose_name_plural = _("postvention plans")

    def __str__(self) -> str:
        return f"postvention plan #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class PostventionContact(models.Model):
    """Someone around the index student: a student on the roster, or a name staff typed (not on the roster)."""

    class Relation(models.TextChoices):
        ROOMMATE = "roommate", _("roommate")
        CLASSMATE = "classmate", _("classmate")
        COMMITTEE = "committee", _("class committee member")
        LIAISON = "liaison", _("dorm liaison")
        OTHER = "other", _("other")

    plan = models.ForeignKey(PostventionPlan, on_delete=models.PROTECT, related_name="contacts")
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("student")
    )
    # Only for someone not on the roster. Encrypted: a list of names beside a plan says who was close to whom.
    name_given = EncryptedTextField(_("name"), blank=True)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["relation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "student"], condition=Q(student__isnull=False), name="postvention_contact_once"
            ),
            models.CheckConstraint(
                condition=Q(student__isnull=False) | ~Q(name_given=""), name="postvention_contact_has_person"
            ),
        ]
        verbose_name = _("postvention contact")
        verbose_name_plural = _("postvention contacts")

    def __str__(self) -> str:
        return f"contact #{self.pk}"

    @property
    def display_name(self) -> str:
        return self.student.name if self.student_id else self.name_given


class CheckIn(models.Model):
    """One check-in on a contact, by its assignee, due on a date; done once, with an outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        DONE = "done", _("done")

    class Outcome(models.TextChoices):
        FINE = "fine", _("doing fine")
        WORRIED = "worried", _("worried: a report was raised")
        REFERRED = "referred", _("referred to counselling")

    flow = Flow(
        moves={Status.PENDING: {Status.DONE}, Status.DONE: set()},
        refused=_("This check-in is already recorded."),
        audit="postvention.checkin_{to}",
    )

    contact = models.ForeignKey(PostventionContact, on_delete=models.PROTECT, related_name="checkins")
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="postvention_checkins", verbose_name=_("assigned to")
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    report = models.ForeignKey(
        "counseling.Report", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Claimed by a conditional UPDATE in the reminder scan: the overdue reminder goes out once per due date.
    overdue_reminded_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="checkin_assignee_due"),
            models.Index(fields=["status", "due_on"], name="checkin_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", outcome="") | Q(status="done") & ~Q(outcome=""),
                name="checkin_outcome_when_done",
            )
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"check-in #{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.PENDING and self.due_on < timezone.localdate()
