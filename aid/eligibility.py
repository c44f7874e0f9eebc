"""Who may apply for which programme: the rules of DOMAIN §3.2, evaluated by code.

`check(student, programme, year)` returns the reasons a student may not apply (empty: eligible). A page that
lists every programme builds one `Context` (a fixed number of queries) and calls `reasons(ctx, programme)`
for each, so the pre-check costs the same for 5 programmes as for 50.

Rules, in the order they are reported:
1. the programme is open (active);
2. one application per programme per year (whatever its outcome, matching the database constraint);
3. identification: a current identification (approved or adjusted, this year) of at least the programme's
   minimum tier;
4. study year: the academic year's start year − enrolment year + 1 ≥ the programme's first study year
   (the encouragement scholarship is for the 2nd year on);
5. exclusivity: no live application this year to a programme this one cannot be combined with
   (the national scholarship and the encouragement scholarship exclude each other; the encouragement
   scholarship and the national grant combine);
6. quota: places left in the student's college (no quota row for the college means no limit);
7. yearly cap: what the student already received this year from programmes of the same kind leaves room
   (temporary hardship: ≤ 2,000 an award, ≤ 4,000 a year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from aid.models import (
    HARDSHIP_TIERS,
    IDENTIFIED_STATUSES,
    TIER_RANK,
    AcademicYear,
    Application,
    Identification,
    Programme,
    Quota,
    Tier,
)
from portal.models import Student

# Applications that take a place in the college's quota: reviewed by the college or further on.
QUOTA_HOLDING = (
    Application.Status.COLLEGE_REVIEWED,
    Application.Status.NOTICE,
    Application.Status.APPROVED,
    Application.Status.COMMITTED,
    Application.Status.PAYING,
    Application.Status.PAID,
    Application.Status.CLOSED,
)
# Applications that block an excluded programme and count towards a yearly cap: everything still alive.
LIVE = (
    Application.Status.DRAFT,
    Application.Status.SUBMITTED,
    Application.Status.RETURNED,
    Application.Status.APPEALED,
    *QUOTA_HOLDING,
)


def study_year(student: Student, year: AcademicYear) -> int:
    """1 in the academic year the student enrolled, 2 the year after, …"""
    return year.starts_on.year - student.enrolment_year + 1


def tier_label(tier: str) -> str:
    return str(Tier(tier).label) if tier in Tier.values else tier


def current_tier(student: Student, year: AcademicYear) -> str | None:
    """The tier of the student's approved (or adjusted) identification for `year`; None when there is none."""
    return identified_tier(student, year=None if year.is_current else year)


def identified_tier(student: Student, *, year: AcademicYear | None = None) -> str | None:
    """The tier of the student's identification in force (approved, or adjusted mid-year) for `year`, or with
    no year for the current academic year, where only a hardship tier counts; None when there is none."""
    which = {"year": year} if year is not None else {"year__is_current": True, "tier__in": HARDSHIP_TIERS}
    rows = Identification.objects.filter(student=student, status__in=IDENTIFIED_STATUSES, **which)
    return rows.values_list("tier", flat=True).first() or None


@dataclass
class Context:
    """What the rules need to know about one student in one year, loaded once."""

    student: Student
    year: AcademicYear
    tier: str | None
    applications: dict[int, str] = field(default_factory=dict)  # programme id → status, this year
    kind_totals: dict[str, Decimal] = field(default_factory=dict)  # kind → amount of live applications
    places_left: dict[int, int] = field(default_factory=dict)  # programme id → places left in the college

    @property
    def live_programmes(self) -> set[int]:
        return {pk for pk, status in self.applications.items() if status in LIVE}


def context_for(student: Student, year: AcademicYear, *, exclude_application: int | None = None) -> Context:
    """Two queries (plus the tier's one): the student's applications (with their totals by kind), the quotas.

    `exclude_application`: leave one application out (re-checking an application that already exists).
    """
    ctx = Context(student=student, year=year, tier=current_tier(student, year))
    mine = Application.objects.filter(student=student, year=year)
    if exclude_application is not None:
        mine = mine.exclude(pk=exclude_application)
    for programme_id, status, kind, amount in mine.values_list("programme_id", "status", "programme__kind", "amount"):
        ctx.applications[programme_id] = status
        if status in LIVE:
            ctx.kind_totals[kind] = ctx.kind_totals.get(kind, Decimal("0")) + (amount or Decimal("0"))
    # A subquery per quota (served by the year/programme/status index), not a join of every application
    # of the programme: the student's aid page stays cheap at 20,000 applications.
    holding = (
        Application.objects.filter(
            programme_id=OuterRef("programme_id"),
            year=year,
            status__in=QUOTA_HOLDING,
            student__college_id=student.college_id,
        )
        .order_by()
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    quotas = (
        Quota.objects.filter(college_id=student.college_id, year=year)
        .annotate(used=Coalesce(Subquery(holding), 0))
        .values_list("programme_id", "places", "used")
    )
    ctx.places_left = {programme_id: places - used for programme_id, places, used in quotas}
    return ctx


def reasons(ctx: Context, programme: Programme) -> list[str]:
    """Why the student of `ctx` may not apply for `programme` (empty: eligible).

    `programme.excludes` should be prefetched when called for many programmes.
    """
    found: list[str] = []
    if not programme.active:
        found.append(_("This programme is not open for applications."))
    # A draft (opened on the student's behalf, e.g. after a home visit) is completed by applying.
    if ctx.applications.get(programme.pk, "draft") != "draft":
        found.append(_("You have already applied for this programme this year."))
    if programme.required_tier:
        needed = TIER_RANK.get(programme.required_tier, 0)
        if ctx.tier is None or TIER_RANK.get(ctx.tier, 0) < max(needed, 1):
            found.append(
                _("It needs a current identification of financial difficulty (%(tier)s or above).")
                % {"tier": tier_label(programme.required_tier)}
            )
    if study_year(ctx.student, ctx.year) < programme.min_study_year:
        found.append(_("It is open from study year %(n)s.") % {"n": programme.min_study_year})
    live = ctx.live_programmes
    for other in programme.excludes.all():
        if other.pk in live and other.pk != programme.pk:
            found.append(
                _("It cannot be combined with %(other)s, which you applied for this year.") % {"other": other.name}
            )
    if programme.pk in ctx.places_left and ctx.places_left[programme.pk] <= 0:
        found.append(_("Your college has no places left for this programme this year."))
    if programme.yearly_cap is not None:
        received = ctx.kind_totals.get(programme.kind, Decimal("0"))
        if received >= programme.yearly_cap:
            found.append(
                _("You have reached this year's maximum of %(cap)s yuan for this kind of aid.")
                % {"cap": f"{programme.yearly_cap:,.2f}"}
            )
    return found


def check(student: Student, programme: Programme, year: AcademicYear) -> list[str]:
    """The reasons `student` may not apply for `programme` in `year`; an empty list means eligible."""
    return reasons(context_for(student, year), programme)


def amount_limit(ctx: Context, programme: Programme) -> Decimal | None:
    """The most this student may be awarded: the fixed or tier amount, or the "up to" maximum less what the
    yearly cap has already used. None when the programme has no amount for the student (no tier amount)."""
    if programme.amount_mode == Programme.AmountMode.BY_TIER:
        value = programme.tier_amounts.get(ctx.tier or "")
        limit = Decimal(str(value)) if value not in (None, "") else None
    else:
        limit = programme.amount
    if limit is not None and programme.yearly_cap is not None:
        room = programme.yearly_cap - ctx.kind_totals.get(programme.kind, Decimal("0"))
        limit = min(limit, room)
    return limit
