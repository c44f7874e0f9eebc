"""A trip's candidates with their priority reasons: the one place homevisits asks aid and counselling.

Priority reasons are codes (homevisits.selectors.PRIORITY_REASONS) computed set-based, a fixed number of
queries for any candidate list, and shown as labels only: the tier "especially difficult", never a case level
or an income. Other apps are reached only through their services: aid.services.students (tier, five-aid case,
sudden change, the first-year cohort) and counseling.services.visit_recommendations (that the centre
recommends a visit, ids only). Whether a student is on the care list, or has a case, never reaches home-visit
or aid staff (issue 13, finding 2). This is a read; it lives among the services because selectors import no
services.
"""

from __future__ import annotations

from aid.services.students import (
    first_year_enrolment_year,
    students_with_active_fiveaid,
    students_with_sudden_change,
    students_with_tier,
)
from counseling.services.visit_recommendations import students_recommended_for_visit
from homevisits.models import Trip
from homevisits.selectors.trips import Candidate, conflicts_for, planned_student_ids, route_students
from portal.models import Student

__all__ = ["candidates_for", "priority_reasons_for"]


def priority_reasons_for(student_ids: list[int], *, first_year: int | None) -> dict[int, list[str]]:
    """Reason codes per student, for any number of students in five queries (six without `first_year`)."""
    ids = list(student_ids)
    if not ids:
        return {}
    year = first_year if first_year is not None else first_year_enrolment_year()
    minority = set(
        Student.objects.filter(pk__in=ids, enrolment_year=year)
        .exclude(ethnicity__in=("", "汉族"))
        .values_list("pk", flat=True)
    )
    sets = {
        "special_tier": students_with_tier(ids),
        "fiveaid": students_with_active_fiveaid(ids),
        "counselling_recommended": students_recommended_for_visit(ids),
        "sudden_change": students_with_sudden_change(ids),
        "minority_first_year": minority,
    }
    return {sid: [code for code, members in sets.items() if sid in members] for sid in ids}


def candidates_for(
    trip: Trip,
    *,
    college_id: int | None = None,
    enrolment_year: int | None = None,
    ethnicity: str = "",
    priority_only: bool = False,
) -> list[Candidate]:
    """The students on the trip's route (homevisits.selectors.route_students) with priority reasons and
    conflicts; prioritised first. The caller checked access.may_see_candidates."""
    students = route_students(trip, college_id=college_id, enrolment_year=enrolment_year, ethnicity=ethnicity)
    ids = [s.pk for s in students]
    reasons = priority_reasons_for(ids, first_year=None)
    conflicts = conflicts_for(trip, ids)
    planned = planned_student_ids(trip)
    rows = [
        Candidate(s, reasons.get(s.pk, []), conflicts.get(s.pk, []), on_this_trip=s.pk in planned) for s in students
    ]
    if priority_only:
        rows = [r for r in rows if r.reasons]
    rows.sort(key=lambda r: -len(r.reasons))
    return rows
