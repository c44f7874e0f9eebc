"""Reads of the aid dashboard: identified students by tier and college, awards and amounts by party,
programme and college, and the five-aid coverage, for the user's scope (aid officers: the school; aid
reviewers: their colleges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from aid.access.core import aid_colleges
from aid.models import (
    HARDSHIP_TIERS,
    IDENTIFIED_STATUSES,
    ZERO,
    AcademicYear,
    Aid,
    Application,
    Identification,
    Programme,
)
from aid.selectors.fiveaid import AWARDED_STATUSES, fiveaid_has_aid
from portal.kernel.pagecache import cached
from portal.models import College, User

__all__ = ["ROLLUP_SECONDS", "Dashboard", "aid_dashboard", "aid_dashboard_rollup", "rollup_key"]


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


TIERS = HARDSHIP_TIERS  # the columns of the tier table, in this order


def _share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


# The dashboard page shows a rollup: the numbers of aid_dashboard for one scope (the whole school, or a set of
# colleges), year and language, kept in the cache with the time they were computed. Beat recomputes the whole
# school's for the current year every ROLLUP_REFRESH_SECONDS (aid.dashboard.refresh_rollups); any other scope or
# year is computed on first view and kept ROLLUP_SECONDS. So the page is at most ROLLUP_SECONDS old, and says
# when its numbers were computed. The XLSX exports always count afresh.
ROLLUP_REFRESH_SECONDS = 300
ROLLUP_SECONDS = 600


def rollup_key(scope: set[int] | None, year: AcademicYear | None, language: str | None = None) -> str:
    colleges = "all" if scope is None else ",".join(str(pk) for pk in sorted(scope)) or "none"
    return f"aiddash:v1:{year.pk if year else 'none'}:{colleges}:{language or translation.get_language()}"


def aid_dashboard_rollup(user: User, *, year: AcademicYear | None) -> tuple[Dashboard, datetime]:
    """The dashboard of the user's scope as last computed (at most ROLLUP_SECONDS ago), and when."""
    scope = aid_colleges(user)
    return cached(
        rollup_key(scope, year), lambda: (dashboard_for_scope(scope, year=year), timezone.now()), ROLLUP_SECONDS
    )


def aid_dashboard(user: User, *, year: AcademicYear | None) -> Dashboard:
    """Numbers of the aid dashboard for the user's scope (aid officers: the school; reviewers: their
    colleges). A fixed number of queries: one per table, whatever the number of students."""
    return dashboard_for_scope(aid_colleges(user), year=year)


def dashboard_for_scope(scope: set[int] | None, *, year: AcademicYear | None) -> Dashboard:
    colleges_qs = College.objects.order_by("name")
    if scope is not None:
        colleges_qs = colleges_qs.filter(pk__in=scope)
    colleges = list(colleges_qs)
    names = {c.pk: c.name for c in colleges}

    identified = Identification.objects.filter(year=year, status__in=IDENTIFIED_STATUSES, tier__in=HARDSHIP_TIERS)
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
        aid: fiveaid_has_aid(aid, case_ref="five_aid_case__pk", student_ref="student_id", year_ref="year_id")
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
