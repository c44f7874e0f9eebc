"""Reads of home-visit recommendations.

Two reads with different audiences: `students_recommended_for_visit` is the only one other apps may call
(homevisits' priority reasons): ids only, never who recommended, when or why. `active_visit_recommendation`
returns the row with its reason and is for the care file page, which counsellors only open.
"""

from __future__ import annotations

from collections.abc import Iterable

from counseling.models import VisitRecommendation
from portal.models import Student

__all__ = ["active_visit_recommendation", "students_recommended_for_visit"]


def students_recommended_for_visit(student_ids: Iterable[int]) -> set[int]:
    """Of these students, those the counselling centre currently recommends for a home visit (one query)."""
    ids = list(student_ids)
    if not ids:
        return set()
    return set(
        VisitRecommendation.objects.filter(student_id__in=ids, cleared_at__isnull=True).values_list(
            "student_id", flat=True
        )
    )


def active_visit_recommendation(student: Student) -> VisitRecommendation | None:
    """The student's current recommendation with its reason: for the care file (counsellors) only."""
    return VisitRecommendation.objects.filter(student=student, cleared_at__isnull=True).select_related("set_by").first()
