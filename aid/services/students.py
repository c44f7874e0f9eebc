"""What aid tells other apps about students: the only aid functions homevisits calls for its candidate lists.

Set-based flags, ids only, one query each for any number of students, and nothing beyond them: never an
income, a statement or a case's content (the tier "especially difficult" is shown as a label only). Other apps
never import aid's models or selectors; they call these.
"""

from __future__ import annotations

from django.utils import timezone

from aid.models import IDENTIFIED_STATUSES, AcademicYear, FiveAidCase, Identification, Tier

__all__ = [
    "first_year_enrolment_year",
    "students_with_active_fiveaid",
    "students_with_sudden_change",
    "students_with_tier",
]


def students_with_tier(student_ids: list[int] | set[int], tier: str = Tier.SPECIAL) -> set[int]:
    """Of these students, those identified at `tier` in the current year (one query)."""
    return set(
        Identification.objects.filter(
            student_id__in=student_ids, year__is_current=True, status__in=IDENTIFIED_STATUSES, tier=tier
        ).values_list("student_id", flat=True)
    )


def students_with_sudden_change(student_ids: list[int] | set[int]) -> set[int]:
    """Of these students, those who reported a sudden family change (a mid-year identification this year)."""
    return set(
        Identification.objects.filter(student_id__in=student_ids, year__is_current=True, mid_year=True)
        .exclude(status=Identification.Status.DRAFT)
        .values_list("student_id", flat=True)
    )


def students_with_active_fiveaid(student_ids: list[int] | set[int]) -> set[int]:
    """Of these students, those with a five-aid case of the current academic year (one query)."""
    return set(
        FiveAidCase.objects.filter(student_id__in=student_ids, identification__year__is_current=True).values_list(
            "student_id", flat=True
        )
    )


def first_year_enrolment_year() -> int:
    """The enrolment year of this academic year's first-year students: the year the current academic year
    (aid's AcademicYear) started in, or this calendar year when none is current."""
    current = AcademicYear.objects.filter(is_current=True).values_list("starts_on", flat=True).first()
    return current.year if current else timezone.localdate().year
