"""Reads of home-visit recommendations for counsellors.

`active_visit_recommendation` returns the row with its reason and is for the care file page, which
counsellors only open. What other apps may learn (the ids of recommended students, never who recommended,
when or why) is counseling.services.visit_recommendations.students_recommended_for_visit.
"""

from __future__ import annotations

from counseling.models import VisitRecommendation
from portal.models import Student

__all__ = ["active_visit_recommendation"]


def active_visit_recommendation(student: Student) -> VisitRecommendation | None:
    """The student's current recommendation with its reason: for the care file (counsellors) only."""
    return VisitRecommendation.objects.filter(student=student, cleared_at__isnull=True).select_related("set_by").first()
