"""Reads of the support area, scoped through portal.access: five-aid cases, work-study, the aid dashboard.

Each list is one query with the joins and annotations its page needs, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from aid.access.core import aid_colleges
from aid.models import (
    AcademicYear,
    Aid,
    Application,
    FiveAidCase,
    FiveAidEntry,
    Identification,
    Payment,
    Programme,
    Tier,
    Timesheet,
    WorkStudyPlacement,
    WorkStudyPost,
)
from aid.services.support import FIVEAID_IDENTIFIED_STATUSES, FIVEAID_IDENTIFIED_TIERS
from portal import access
from portal.models import College, Student, User

__all__ = [
    "AWARDED_STATUSES",
    "aid_dashboard",
    "fiveaid_case_detail",
    "fiveaid_case_sections",
    "fiveaid_cases",
    "fiveaid_current_year",
    "fiveaid_my_summary",
    "graduating_cohort",
    "workstudy_my_placements",
    "workstudy_post_placements",
    "workstudy_posts",
    "workstudy_timesheets_to_sign",
]

AWARDED_STATUSES = (
    Application.Status.APPROVED,
    Application.Status.COMMITTED,
    Application.Status.PAYING,
    Application.Status.PAID,
    Application.Status.CLOSED,
)
SELF_HELP_STATUSES = (WorkStudyPlacement.Status.PLACED, WorkStudyPlacement.Status.ENDED)
ZERO = Decimal("0.00")


def fiveaid_current_year() -> AcademicYear | None:
    return AcademicYear.objects.filter(is_current=True).first() or AcademicYear.objects.order_by("-starts_on").first()


# --- Five-aid -----------------------------------------------------------------------------------------


def _aid_exists(aid: str, *, case_ref: str, student_ref: str, year_ref: str) -> Q:
    """Whether the student has help of this aid: an entry, or the activity the aid is derived from."""
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
            f"has_{aid}": _aid_exists(aid, case_ref="pk", student_ref="student_id", year_ref="identification__year_id")
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


# --- Work-study ---------------------------------------------------------------------------------------


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


# --- The aid dashboard --------------------------------------------------------------------------------


@dataclass
class Dashboard:
    year: AcademicYear | None
    colleges: list[College]
    tiers: list[dict]  # per college: {"college", "counts": [special, difficult, general], "total"}
    tier_totals: list[int]
    by_party: list[dict]  # {"key", "label", "awards", "amount"}
    by_programme: list[dict]
    by_college: list[dict]
    coverage: list[dict]  # per college: {"college", "identified", "covered": {aid: n}, "share": {aid: float}}
    coverage_total: dict


TIERS = (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL)


def _share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def aid_dashboard(user: User, *, year: AcademicYear | None) -> Dashboard:
    """Numbers of the aid dashboard for the user's scope (aid officers: the school; reviewers: their
    colleges). A fixed number of queries: one per table, whatever the number of students."""
    scope = aid_colleges(user)
    colleges_qs = College.objects.order_by("name")
    if scope is not None:
        colleges_qs = colleges_qs.filter(pk__in=scope)
    colleges = list(colleges_qs)
    names = {c.pk: c.name for c in colleges}

    identified = Identification.objects.filter(
        year=year, status__in=FIVEAID_IDENTIFIED_STATUSES, tier__in=FIVEAID_IDENTIFIED_TIERS
    )
    awards = Application.objects.filter(year=year, status__in=AWARDED_STATUSES)
    if scope is not None:
        identified = identified.filter(student__college_id__in=scope)
        awards = awards.filter(student__college_id__in=scope)

    # Identified students by tier and college.
    counts: dict[int, dict[str, int]] = {}
    for row in identified.values("student__college_id", "tier").annotate(n=Count("student_id", distinct=True)):
        counts.setdefault(row["student__college_id"], {})[row["tier"]] = row["n"]
    tiers = [
        {
            "college": names[c.pk],
            "counts": [counts.get(c.pk, {}).get(t, 0) for t in TIERS],
            "total": sum(counts.get(c.pk, {}).values()),
        }
        for c in colleges
    ]
    tier_totals = [sum(row["counts"][i] for row in tiers) for i in range(len(TIERS))]

    # Awards and amounts by party, programme and college.
    amount = Coalesce(Sum("amount"), Value(ZERO))
    party_labels = dict(Programme._meta.get_field("party").choices)
    by_party = [
        {"key": r["programme__party"], "label": str(party_labels.get(r["programme__party"], "")), **_award(r)}
        for r in awards.values("programme__party")
        .annotate(awards=Count("pk"), total=amount)
        .order_by("programme__party")
    ]
    by_programme = [
        {"key": r["programme__code"], "label": r["programme__name"], **_award(r)}
        for r in awards.values("programme__code", "programme__name")
        .annotate(awards=Count("pk"), total=amount)
        .order_by("programme__name")
    ]
    college_awards = {
        r["student__college_id"]: r
        for r in awards.values("student__college_id").annotate(awards=Count("pk"), total=amount)
    }
    by_college = [
        {"key": c.code, "label": c.name, **_award(college_awards.get(c.pk, {"awards": 0, "total": ZERO}))}
        for c in colleges
    ]

    # Five-aid coverage: identified students with at least one entry or derived activity per aid.
    has = {
        aid: _aid_exists(aid, case_ref="five_aid_case__pk", student_ref="student_id", year_ref="year_id")
        for aid in Aid.values
    }
    # Without a case there are no entries and no referral: those flags need the case to exist.
    annotated = identified.annotate(**{f"has_{aid}": q for aid, q in has.items()})
    aggregates = {aid: Count("pk", filter=Q(**{f"has_{aid}": True})) for aid in Aid.values}
    cov_rows = {
        r["student__college_id"]: r
        for r in annotated.values("student__college_id").annotate(identified=Count("pk"), **aggregates)
    }
    coverage = []
    for c in colleges:
        row = cov_rows.get(c.pk, {})
        n = row.get("identified", 0)
        covered = {aid: row.get(aid, 0) for aid in Aid.values}
        coverage.append(
            {
                "college": c.name,
                "identified": n,
                "covered": covered,
                "share": {aid: _share(v, n) for aid, v in covered.items()},
                "cells": [(covered[aid], _share(covered[aid], n)) for aid in Aid.values],
            }
        )
    total_n = sum(r["identified"] for r in coverage)
    total_cov = {aid: sum(r["covered"][aid] for r in coverage) for aid in Aid.values}
    coverage_total = {
        "identified": total_n,
        "covered": total_cov,
        "share": {aid: _share(v, total_n) for aid, v in total_cov.items()},
        "cells": [(total_cov[aid], _share(total_cov[aid], total_n)) for aid in Aid.values],
    }
    return Dashboard(
        year=year,
        colleges=colleges,
        tiers=tiers,
        tier_totals=tier_totals,
        by_party=by_party,
        by_programme=by_programme,
        by_college=by_college,
        coverage=coverage,
        coverage_total=coverage_total,
    )


def _award(row: dict) -> dict:
    return {"awards": row["awards"], "amount": row["total"] or ZERO}


def graduating_cohort(year: AcademicYear | None, programme_years: int = 3) -> int | None:
    """The enrolment year of the final-year cohort of a 3-year programme in this academic year."""
    if year is None:
        return None
    return year.starts_on.year - programme_years + 1


# --- For home visits ---------------------------------------------------------------------------------------
__all__ += ["students_with_active_fiveaid"]


def students_with_active_fiveaid(student_ids: list[int] | set[int]) -> set[int]:
    """Of these students, those with a five-aid case of the current academic year (one query)."""
    return set(
        FiveAidCase.objects.filter(student_id__in=student_ids, identification__year__is_current=True).values_list(
            "student_id", flat=True
        )
    )
