"""Reads of five-aid cases (五助帮扶档案), scoped through portal.access: the staff list with each case's
coverage of the five aids, the case page's sections, the student's own plan.

Each list is one query with the joins and annotations its page needs, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from aid.models import (
    ZERO,
    AcademicYear,
    Aid,
    Application,
    FiveAidCase,
    FiveAidEntry,
    Payment,
    Timesheet,
    WorkStudyPlacement,
)
from portal import access
from portal.models import Student, User

__all__ = [
    "AWARDED_STATUSES",
    "fiveaid_case_detail",
    "fiveaid_case_sections",
    "fiveaid_cases",
    "fiveaid_current_year",
    "fiveaid_has_aid",
    "fiveaid_my_summary",
    "graduating_cohort",
]

AWARDED_STATUSES = (
    Application.Status.APPROVED,
    Application.Status.COMMITTED,
    Application.Status.PAYING,
    Application.Status.PAID,
    Application.Status.CLOSED,
)
SELF_HELP_STATUSES = (WorkStudyPlacement.Status.PLACED, WorkStudyPlacement.Status.ENDED)


def fiveaid_current_year() -> AcademicYear | None:
    return AcademicYear.objects.filter(is_current=True).first() or AcademicYear.objects.order_by("-starts_on").first()


def fiveaid_has_aid(aid: str, *, case_ref: str, student_ref: str, year_ref: str) -> Q:
    """Whether the student has help of this aid: an entry, or the activity the aid is derived from.

    The refs name, in the outer query, the case, the student and the academic year (the list and the dashboard
    annotate different models)."""
    entry = Exists(FiveAidEntry.objects.filter(case_id=OuterRef(case_ref), aid=aid))
    if aid == Aid.MONEY:
        awarded = Application.objects.filter(
            student_id=OuterRef(student_ref), year_id=OuterRef(year_ref), status__in=AWARDED_STATUSES
        )
        return entry | Exists(awarded)
    if aid == Aid.SELF_HELP:
        placed = WorkStudyPlacement.objects.filter(
            student_id=OuterRef(student_ref), post__year_id=OuterRef(year_ref), status__in=SELF_HELP_STATUSES
        )
        return entry | Exists(placed)
    if aid == Aid.PSYCHOLOGICAL:
        referred = FiveAidCase.objects.filter(pk=OuterRef(case_ref), psych_referral_report_id__isnull=False)
        return entry | Exists(referred)
    return entry


def _with_coverage(qs: QuerySet[FiveAidCase]) -> QuerySet[FiveAidCase]:
    return qs.annotate(
        **{
            f"has_{aid}": fiveaid_has_aid(
                aid, case_ref="pk", student_ref="student_id", year_ref="identification__year_id"
            )
            for aid in Aid.values
        }
    )


def fiveaid_cases(
    user: User,
    *,
    year: AcademicYear | None,
    college_id: int | None = None,
    missing_aid: str = "",
    graduates_unplaced: bool = False,
    xinjiang: bool = False,
    query: str = "",
    graduating_from: int | None = None,
) -> QuerySet[FiveAidCase]:
    """The cases the user may see, with the five coverage flags (has_money, …) for the list.

    graduates_unplaced: graduated students, or students enrolled in or before `graduating_from` (the
    final-year cohort), whose case is not marked placed.
    """
    qs = access.visible(user, FiveAidCase).select_related(
        "student", "student__college", "student__class_group", "identification__year"
    )
    if year is not None:
        qs = qs.filter(identification__year=year)
    if college_id:
        qs = qs.filter(student__college_id=college_id)
    if xinjiang:
        qs = qs.filter(xinjiang_programme=True)
    if graduates_unplaced:
        graduating = Q(student__status=Student.Status.GRADUATED)
        if graduating_from is not None:
            graduating |= Q(student__enrolment_year__lte=graduating_from)
        qs = qs.filter(graduating, placed=False)
    if query:
        query = query.strip()
        qs = qs.filter(Q(student__student_no__startswith=query) | Q(student__name__icontains=query))
    qs = _with_coverage(qs)
    if missing_aid in Aid.values:
        qs = qs.filter(**{f"has_{missing_aid}": False})
    return qs.order_by("student__college__name", "student__student_no", "pk")


def fiveaid_case_detail(user: User, pk: int) -> FiveAidCase:
    """The case for its staff page: 404 outside the user's scope; opening it is audited."""
    qs = FiveAidCase.objects.select_related(
        "student", "student__college", "student__class_group", "identification__year"
    )
    return access.get_for_user(user, qs, pk=pk)


@dataclass
class CaseSections:
    """What a case page shows, section by section. Money and self-help are derived, read-only."""

    applications: list[Application] = field(default_factory=list)
    payments_total: Decimal = ZERO
    entries: dict[str, list[FiveAidEntry]] = field(default_factory=dict)
    placements: list[WorkStudyPlacement] = field(default_factory=list)
    pay_total: Decimal = ZERO
    reviews: list = field(default_factory=list)


def fiveaid_case_sections(case: FiveAidCase, *, with_reviews: bool = True) -> CaseSections:
    """Awards with their payments (payments without an application, i.e. hidden aid, are never shown
    here: no page lists hidden-aid recipients but the officers'), entries by aid, work-study with pay."""
    year_id = case.identification.year_id
    sections = CaseSections()
    sections.applications = list(
        Application.objects.filter(student_id=case.student_id, year_id=year_id, status__in=AWARDED_STATUSES)
        .select_related("programme")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.exclude(status=Payment.Status.CANCELLED)))
        .order_by("programme__name")
    )
    sections.payments_total = sum(
        (p.amount for a in sections.applications for p in a.payments.all() if p.status == Payment.Status.PAID), ZERO
    )
    entries: dict[str, list[FiveAidEntry]] = {aid: [] for aid in Aid.values}
    for entry in case.entries.select_related("created_by").order_by("-on", "-pk"):
        entries[entry.aid].append(entry)
    sections.entries = entries
    sections.placements = list(
        WorkStudyPlacement.objects.filter(student_id=case.student_id, post__year_id=year_id)
        .select_related("post")
        .prefetch_related(Prefetch("timesheets", queryset=Timesheet.objects.order_by("-month")))
        .order_by("-applied_at")
    )
    sections.pay_total = sum(
        (t.pay for p in sections.placements for t in p.timesheets.all() if t.status == Timesheet.Status.SIGNED_OFF),
        ZERO,
    )
    if with_reviews:
        sections.reviews = list(case.reviews.select_related("reviewed_by").order_by("term"))
    return sections


def fiveaid_my_summary(user: User) -> FiveAidCase | None:
    """The student's own most recent case, for "your support plan" (the "summary" action)."""
    return (
        access.visible(user, FiveAidCase, "summary")
        .filter(student__user_id=user.pk)
        .select_related("student", "identification__year")
        .order_by("-identification__year__starts_on")
        .first()
    )


def graduating_cohort(year: AcademicYear | None, programme_years: int = 3) -> int | None:
    """The enrolment year of the final-year cohort of a 3-year programme in this academic year."""
    if year is None:
        return None
    return year.starts_on.year - programme_years + 1
