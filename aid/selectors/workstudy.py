"""Reads of work-study (勤工助学), scoped through portal.access: posts, their applications, the student's own
placements and the timesheets a supervisor has to sign."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from aid.models import AcademicYear, Timesheet, WorkStudyPlacement, WorkStudyPost
from portal import access
from portal.models import User

__all__ = [
    "workstudy_my_placements",
    "workstudy_post_placements",
    "workstudy_posts",
    "workstudy_timesheets_to_sign",
]


def workstudy_posts(user: User, *, year: AcademicYear | None) -> QuerySet[WorkStudyPost]:
    """The posts the user may see, with the number placed and (for a student) their own status."""
    placed = Count("placements", filter=Q(placements__status=WorkStudyPlacement.Status.PLACED))
    qs = access.visible(user, WorkStudyPost).select_related("supervisor").annotate(placed_count=placed)
    if year is not None:
        qs = qs.filter(year=year)
    mine = WorkStudyPlacement.objects.filter(post_id=OuterRef("pk"), student__user_id=user.pk).values("status")[:1]
    return qs.annotate(my_status=Coalesce(Subquery(mine), Value(""))).order_by("-active", "unit", "title", "pk")


def workstudy_post_placements(user: User, post: WorkStudyPost) -> QuerySet[WorkStudyPlacement]:
    """The applications of a post that the user may see (a student: their own only)."""
    return (
        access.visible(user, WorkStudyPlacement)
        .filter(post=post)
        .select_related("student", "student__college", "student__class_group")
        .order_by("status", "applied_at", "pk")
    )


def workstudy_my_placements(user: User) -> list[WorkStudyPlacement]:
    return list(
        WorkStudyPlacement.objects.filter(student__user_id=user.pk)
        .select_related("post")
        .prefetch_related(Prefetch("timesheets", queryset=Timesheet.objects.order_by("-month")))
        .order_by("-applied_at")
    )


def workstudy_timesheets_to_sign(user: User) -> QuerySet[Timesheet]:
    return (
        Timesheet.objects.filter(placement__post__supervisor_id=user.pk, status=Timesheet.Status.SUBMITTED)
        .select_related("placement__post", "placement__student")
        .order_by("month", "pk")
    )
