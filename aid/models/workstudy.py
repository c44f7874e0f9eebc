"""Work-study (勤工助学): posts, the students placed on them, and their monthly timesheets."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models.funds import Payment
from aid.models.identification import AcademicYear
from portal import access
from portal.kernel.workflow import Flow
from portal.models import Student, User


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

    flow = Flow(
        moves={
            Status.APPLIED: {Status.PLACED, Status.REJECTED, Status.WITHDRAWN},
            Status.PLACED: {Status.ENDED},
            Status.WITHDRAWN: {Status.APPLIED},  # applies again (the caller checked "apply" on the post)
            Status.REJECTED: set(),
            Status.ENDED: set(),
        },
        permissions={
            Status.WITHDRAWN: "withdraw",
            Status.PLACED: "decide",
            Status.REJECTED: "decide",
            Status.ENDED: "decide",
        },
        refused=_("An application that is %(status)s cannot become %(to)s."),
        audit="workstudy.placement",
        lock_related=("post", "student__user"),
        lock_of=("self",),
    )

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


def _enters_hours(user: User, timesheet: Timesheet) -> bool:
    """The placement's "enter_hours" permission (aid.access.workstudy: the student), as the timesheet page checks."""
    return access.can(user, "enter_hours", timesheet.placement)


def _signs_off(user: User, timesheet: Timesheet) -> bool:
    """Only the post's supervisor, as aid.access.workstudy.may_sign_off_timesheet (not a permission rule: admins
    would pass it)."""
    return user.is_authenticated and timesheet.placement.post.supervisor_id == user.pk


class Timesheet(models.Model):
    """A month of hours, entered by the student per week and signed off by the supervisor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        SIGNED_OFF = "signed_off", _("signed off")
        REJECTED = "rejected", _("returned")

    # One service per move (aid.services.workstudy): timesheet_save (draft or returned → draft or submitted, by
    # the student), timesheet_sign_off and timesheet_return (submitted → signed off / returned, by the post's
    # supervisor only). Audit actions: workstudy.timesheet_signed_off from `audit`; timesheet_save and
    # timesheet_return name theirs (workstudy.timesheet_saved, workstudy.timesheet_returned).
    flow = Flow(
        moves={
            Status.DRAFT: {Status.DRAFT, Status.SUBMITTED},
            Status.REJECTED: {Status.DRAFT, Status.SUBMITTED},
            Status.SUBMITTED: {Status.SIGNED_OFF, Status.REJECTED},
            Status.SIGNED_OFF: set(),
        },
        permissions={
            Status.DRAFT: _enters_hours,
            Status.SUBMITTED: _enters_hours,
            Status.SIGNED_OFF: _signs_off,
            Status.REJECTED: _signs_off,
        },
        refused=_("This month's hours are %(status)s and can no longer be changed."),
        audit="workstudy.timesheet_{to}",
        lock_related=("placement__post", "placement__student__user"),
        lock_of=("self",),
    )

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
