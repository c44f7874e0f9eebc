"""Writes of the support area: five-aid cases (五助帮扶档案), work-study (勤工助学) and hidden aid.

Access is checked by the caller through portal.access (aid.access.support); the rules of the domain
are checked here and raise DomainError, which views show as a message, never a 500.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aid.models import (
    AcademicYear,
    Aid,
    FiveAidCase,
    FiveAidEntry,
    Identification,
    TermReview,
    Tier,
    Timesheet,
    WorkStudyPlacement,
    WorkStudyPost,
)
from counseling.services.crisis import referral_from_aid, referral_status
from portal import config
from portal.audit import audit_log
from portal.models import Reminder, Student, User
from portal.services import DomainError, notify, reminder_schedule

__all__ = [
    "FIVEAID_IDENTIFIED_STATUSES",
    "FIVEAID_IDENTIFIED_TIERS",
    "fiveaid_employment_set",
    "fiveaid_entry_add",
    "fiveaid_open_for",
    "fiveaid_open_for_year",
    "fiveaid_plan_set",
    "fiveaid_psych_status_sync",
    "fiveaid_psych_statuses_sync",
    "fiveaid_refer",
    "fiveaid_review_record",
    "fiveaid_terms",
    "month_first_day",
    "timesheet_return",
    "timesheet_save",
    "timesheet_sign_off",
    "weeks_of_month",
    "workstudy_apply",
    "workstudy_decide",
    "workstudy_minimum_rate",
    "workstudy_pay",
    "workstudy_post_save",
    "workstudy_remind_hours_due",
    "workstudy_withdraw",
]

# --- Five-aid -----------------------------------------------------------------------------------------

FIVEAID_IDENTIFIED_STATUSES = (Identification.Status.APPROVED, Identification.Status.ADJUSTED)
FIVEAID_IDENTIFIED_TIERS = (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL)
FIVEAID_PLAN_MAX = 500
FIVEAID_TITLE_MAX = 200
FIVEAID_NOTE_MAX = 2000
FIVEAID_REVIEW_MAX = 4000
XINJIANG = "新疆"


def _fiveaid_locked(case: FiveAidCase) -> FiveAidCase:
    return FiveAidCase.objects.select_for_update().select_related("student", "identification__year").get(pk=case.pk)


def _fiveaid_text(value: str, *, limit: int, required: bool, empty_message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(empty_message or _("This text is required."))
    if len(value) > limit:
        raise DomainError(_("The text is limited to %(max)s characters.") % {"max": limit})
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise DomainError(_("The text contains control characters; remove them and try again."))
    return value


def _fiveaid_identified(identification: Identification) -> bool:
    return identification.status in FIVEAID_IDENTIFIED_STATUSES and identification.tier in FIVEAID_IDENTIFIED_TIERS


@transaction.atomic
def fiveaid_open_for(identification: Identification, *, actor: User | None = None) -> FiveAidCase:
    """The five-aid case of an identified student (approved or adjusted, with a hardship tier).

    Idempotent: a second call returns the case the first opened. Called by the identification services
    on approval, inside their transaction; the identification row is locked so two calls at once open
    one case. Raises DomainError when the identification does not identify the student.
    """
    existing = FiveAidCase.objects.filter(identification_id=identification.pk).first()
    if existing is not None:
        return existing
    identification = (
        Identification.objects.select_for_update(of=("self",)).select_related("student").get(pk=identification.pk)
    )
    existing = FiveAidCase.objects.filter(identification_id=identification.pk).first()
    if existing is not None:
        return existing
    if not _fiveaid_identified(identification):
        raise DomainError(_("A support plan is opened only for an approved identification."))
    case = FiveAidCase.objects.create(
        student=identification.student,
        identification=identification,
        xinjiang_programme=identification.student.hometown_province.startswith(XINJIANG),
    )
    audit_log(actor=actor, action="fiveaid.opened", obj=case, changes={"identification": identification.pk})
    return case


@transaction.atomic
def fiveaid_open_for_year(*, actor: User, year: AcademicYear) -> int:
    """Open the missing cases of every identified student of the year; returns how many were opened.

    Caller checked `may_open_fiveaid_cases`. Safe to run twice and alongside `fiveaid_open_for`: the
    one-to-one on the identification settles races (conflicts are skipped).
    """
    missing = (
        Identification.objects.filter(
            year=year,
            status__in=FIVEAID_IDENTIFIED_STATUSES,
            tier__in=FIVEAID_IDENTIFIED_TIERS,
        )
        .filter(~Exists(FiveAidCase.objects.filter(identification_id=OuterRef("pk"))))
        .values_list("pk", "student_id", "student__hometown_province")
    )
    rows = [
        FiveAidCase(
            identification_id=pk, student_id=student_id, xinjiang_programme=(province or "").startswith(XINJIANG)
        )
        for pk, student_id, province in missing
    ]
    before = FiveAidCase.objects.filter(identification__year=year).count()
    FiveAidCase.objects.bulk_create(rows, ignore_conflicts=True)
    opened = FiveAidCase.objects.filter(identification__year=year).count() - before
    audit_log(actor=actor, action="fiveaid.opened_for_year", obj=year, changes={"opened": opened})
    return opened


def fiveaid_terms(year: AcademicYear) -> list[tuple[str, str]]:
    """The terms a review may be recorded for: (code, label) of the case's academic year."""
    return [
        (f"{year.name}-1", _("%(year)s, first term") % {"year": year.name}),
        (f"{year.name}-2", _("%(year)s, second term") % {"year": year.name}),
    ]


@transaction.atomic
def fiveaid_plan_set(*, actor: User, case: FiveAidCase, aid: str, text: str) -> FiveAidCase:
    """Set the short plan of one aid (empty text clears it). Caller checked `can(actor, "edit", case)`."""
    if aid not in Aid.values:
        raise DomainError(_("Choose one of the five aids."))
    text = _fiveaid_text(text, limit=FIVEAID_PLAN_MAX, required=False)
    case = _fiveaid_locked(case)
    plan = dict(case.plan or {})
    if text:
        plan[aid] = text
    else:
        plan.pop(aid, None)
    if plan != case.plan:
        case.plan = plan
        case.save(update_fields=["plan"])
        audit_log(actor=actor, action="fiveaid.plan_set", obj=case, changes={"aid": aid})
    return case


@transaction.atomic
def fiveaid_entry_add(
    *, actor: User, case: FiveAidCase, aid: str, kind: str, title: str, on: date, note: str = ""
) -> FiveAidEntry:
    """Record employment help (coaching, a job referral, an offer) or growth help (a mentor, a training,
    an activity attended). Money and self-help are derived; psychological aid is a referral."""
    kinds = FiveAidEntry.KINDS_BY_AID.get(aid)
    if kinds is None:
        raise DomainError(_("Entries are recorded for employment help and growth help only."))
    if kind not in kinds:
        raise DomainError(_("Choose a kind that belongs to this aid."))
    title = _fiveaid_text(title, limit=FIVEAID_TITLE_MAX, required=True, empty_message=_("Say what was done."))
    note = _fiveaid_text(note, limit=FIVEAID_NOTE_MAX, required=False)
    if on > timezone.localdate():
        raise DomainError(_("Record what has happened: the date cannot be in the future."))
    case = _fiveaid_locked(case)
    entry = FiveAidEntry.objects.create(case=case, aid=aid, kind=kind, title=title, on=on, note=note, created_by=actor)
    audit_log(actor=actor, action="fiveaid.entry_added", obj=case, changes={"aid": aid, "kind": kind})
    return entry


@transaction.atomic
def fiveaid_employment_set(*, actor: User, case: FiveAidCase, placed: bool, xinjiang_programme: bool) -> FiveAidCase:
    """Employment follow-up: graduates are followed until placed; the Xinjiang graduates' programme."""
    case = _fiveaid_locked(case)
    changed = [
        name
        for name, value in (("placed", placed), ("xinjiang_programme", xinjiang_programme))
        if getattr(case, name) != value
    ]
    if changed:
        case.placed, case.xinjiang_programme = placed, xinjiang_programme
        case.save(update_fields=changed)
        audit_log(actor=actor, action="fiveaid.employment_set", obj=case, changes={"fields": changed})
    return case


@transaction.atomic
def fiveaid_review_record(*, actor: User, case: FiveAidCase, term: str, summary: str) -> TermReview:
    """The term review of a case: one per term; recording it again replaces the summary."""
    case = _fiveaid_locked(case)
    if term not in dict(fiveaid_terms(case.identification.year)):
        raise DomainError(_("Choose a term of the case's academic year."))
    summary = _fiveaid_text(
        summary, limit=FIVEAID_REVIEW_MAX, required=True, empty_message=_("Write a short summary of the term.")
    )
    review, created = TermReview.objects.update_or_create(
        case=case, term=term, defaults={"summary": summary, "reviewed_by": actor, "reviewed_at": timezone.now()}
    )
    audit_log(actor=actor, action="fiveaid.review_recorded", obj=case, changes={"term": term, "new": created})
    return review


@transaction.atomic
def fiveaid_refer(*, actor: User, case: FiveAidCase, note: str, idempotency_key: uuid.UUID) -> tuple[FiveAidCase, bool]:
    """Psychological aid: refer the student to their counselling station (counseling.services).

    Returns (case, referred now). The note goes to counselling only; the aid side keeps the report id
    and learns referred / engaged / declined. A student already referred (and not declined) is not
    referred twice: the second request (a double click, a colleague) returns False.
    Caller checked `can(actor, "refer", case)`.
    """
    case = _fiveaid_locked(case)
    if case.psych_referral_report_id is not None:
        status = referral_status(case.psych_referral_report_id)
        if status != "declined":
            _fiveaid_store_status(case, status)
            return case, False
    report = referral_from_aid(actor=actor, student=case.student, note=note, idempotency_key=idempotency_key)
    case.psych_referral_report_id = report.pk
    case.psych_status = referral_status(report.pk)
    case.save(update_fields=["psych_referral_report_id", "psych_status"])
    audit_log(actor=actor, action="fiveaid.referred", obj=case)  # never the note: it is counselling's
    return case, True


def _fiveaid_store_status(case: FiveAidCase, status: str) -> None:
    if case.psych_status != status:
        FiveAidCase.objects.filter(pk=case.pk).update(psych_status=status)
        case.psych_status = status


def fiveaid_psych_status_sync(*, case: FiveAidCase) -> str:
    """Ask counselling where the referral stands and keep the answer on the case (for lists and the
    dashboard). One conditional UPDATE, safe to run from a page view and from the beat task."""
    if case.psych_referral_report_id is None:
        return ""
    status = referral_status(case.psych_referral_report_id)
    _fiveaid_store_status(case, status)
    return status


def fiveaid_psych_statuses_sync() -> int:
    """Beat: refresh the referral status of every referred case not yet settled; returns changes."""
    changed = 0
    for case in FiveAidCase.objects.filter(psych_referral_report_id__isnull=False).exclude(psych_status="declined"):
        before = case.psych_status
        if fiveaid_psych_status_sync(case=case) != before:
            changed += 1
    return changed


# --- Work-study ---------------------------------------------------------------------------------------

config.declare(
    "aid.workstudy_min_hourly_temporary",
    "12.00",
    gettext_lazy("Lowest pay per hour of a temporary work-study post, in yuan (national rule: 12)."),
)
config.declare(
    "aid.local_minimum_wage_monthly",
    "2210.00",
    gettext_lazy(
        "Local monthly minimum wage in yuan (Wuhan: 2,210). A fixed work-study post must pay at least this for "
        "40 hours a month, i.e. its hourly rate × 40 ≥ this amount. A school that follows the rule's other reading "
        "(the local minimum living allowance, 低保) sets that amount here instead."
    ),
)
config.declare(
    "aid.workstudy_hours_due_day",
    25,
    gettext_lazy("Day of the month from which placed students who have not submitted the month's hours are reminded."),
)

WEEK_MAX_HOURS = Decimal(8)
MONTH_MAX_HOURS = Decimal(40)
CENT = Decimal("0.01")
ZERO = Decimal(0)


def _decimal_setting(key: str) -> Decimal:
    try:
        return Decimal(str(config.get(key))).quantize(CENT)
    except (InvalidOperation, ValueError) as exc:  # an admin typo must not break every post
        raise DomainError(_("The setting %(key)s is not an amount; ask an administrator.") % {"key": key}) from exc


def workstudy_minimum_rate(kind: str) -> Decimal:
    """The lowest hourly rate a post of this kind may pay.

    Temporary posts: the configured hourly minimum (12.00). Fixed posts are paid by the month, and the
    rule is "at least the local minimum wage for 40 h" (教育部《高等学校勤工助学管理办法》2018: 以每月40个
    工时的酬金原则上不低于当地…最低工资标准), read literally: rate × 40 ≥ the monthly minimum wage,
    so the lowest rate is the monthly minimum ÷ 40, rounded up to the cent (2,210 → 55.25), and never
    below the temporary minimum. The test is on the 40-hour basis whatever hours the post offers.
    """
    temporary = _decimal_setting("aid.workstudy_min_hourly_temporary")
    if kind == WorkStudyPost.Kind.FIXED:
        monthly = _decimal_setting("aid.local_minimum_wage_monthly")
        return max(temporary, (monthly / MONTH_MAX_HOURS).quantize(CENT, rounding=ROUND_CEILING))
    return temporary


def workstudy_pay(hours: Decimal, rate: Decimal) -> Decimal:
    """Hours × rate, rounded half up to the cent."""
    return (hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _workstudy_check_rate(kind: str, rate: Decimal) -> None:
    if rate <= ZERO:
        raise DomainError(_("The pay per hour must be more than zero."))
    minimum = workstudy_minimum_rate(kind)
    if kind == WorkStudyPost.Kind.FIXED:
        wage = _decimal_setting("aid.local_minimum_wage_monthly")
        if rate * MONTH_MAX_HOURS < wage or rate < minimum:
            raise DomainError(
                _(
                    "A fixed post must pay at least the local minimum wage (%(wage)s yuan a month) for 40 hours: "
                    "at least %(min)s yuan an hour."
                )
                % {"wage": wage, "min": minimum}
            )
    elif rate < minimum:
        raise DomainError(_("A temporary post pays at least %(min)s yuan an hour.") % {"min": minimum})


@transaction.atomic
def workstudy_post_save(
    *,
    actor: User,
    post: WorkStudyPost | None,
    year: AcademicYear,
    unit: str,
    title: str,
    kind: str,
    hourly_rate: Decimal,
    hours_per_month: int,
    openings: int,
    supervisor: User,
    active: bool = True,
) -> WorkStudyPost:
    """Create (post=None) or change a post. Caller checked `may_manage_workstudy_posts`.

    Refuses rates below the minimum of the kind, more than 40 hours a month, and fewer openings than
    students already placed.
    """
    if kind not in WorkStudyPost.Kind.values:
        raise DomainError(_("Choose fixed or temporary."))
    unit = _fiveaid_text(unit, limit=100, required=True, empty_message=_("Name the unit."))
    title = _fiveaid_text(title, limit=100, required=True, empty_message=_("Name the post."))
    hourly_rate = Decimal(hourly_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    _workstudy_check_rate(kind, hourly_rate)
    if not 1 <= hours_per_month <= MONTH_MAX_HOURS:
        raise DomainError(_("A post offers between 1 and 40 hours a month."))
    if not 1 <= openings <= 1000:
        raise DomainError(_("A post has between 1 and 1,000 openings."))
    if not supervisor.is_active:
        raise DomainError(_("The supervisor's account is not active."))
    if post is None:
        post = WorkStudyPost(year=year)
    else:
        post = WorkStudyPost.objects.select_for_update().get(pk=post.pk)
        placed = post.placements.filter(status=WorkStudyPlacement.Status.PLACED).count()
        if openings < placed:
            raise DomainError(
                _("%(n)s students are placed on this post; it cannot have fewer openings.") % {"n": placed}
            )
    created = post.pk is None
    post.year = year
    post.unit, post.title, post.kind = unit, title, kind
    post.hourly_rate, post.hours_per_month, post.openings = hourly_rate, hours_per_month, openings
    post.supervisor, post.active = supervisor, active
    post.save()
    audit_log(actor=actor, action="workstudy.post_created" if created else "workstudy.post_changed", obj=post)
    return post


def _placement_locked(placement: WorkStudyPlacement) -> WorkStudyPlacement:
    return (
        WorkStudyPlacement.objects.select_for_update(of=("self",))
        .select_related("post", "student__user")
        .get(pk=placement.pk)
    )


def _placement_move(placement: WorkStudyPlacement, to_status: str, *, actor: User) -> None:
    if to_status not in WorkStudyPlacement.TRANSITIONS.get(placement.status, set()):
        raise DomainError(
            _("An application that is %(status)s cannot become %(to)s.")
            % {"status": placement.get_status_display(), "to": WorkStudyPlacement.Status(to_status).label}
        )
    old = placement.status
    placement.status = to_status
    fields = ["status"]
    if to_status in (WorkStudyPlacement.Status.PLACED, WorkStudyPlacement.Status.REJECTED):
        placement.decided_at = timezone.now()
        fields.append("decided_at")
    if to_status == WorkStudyPlacement.Status.APPLIED:
        placement.applied_at, placement.decided_at = timezone.now(), None
        fields += ["applied_at", "decided_at"]
    placement.save(update_fields=fields)
    audit_log(actor=actor, action="workstudy.placement", obj=placement, changes={"from": old, "to": to_status})


def _workstudy_url() -> str:
    return reverse("aid:workstudy_posts")


@transaction.atomic
def workstudy_apply(*, actor: User, post: WorkStudyPost) -> tuple[WorkStudyPlacement, bool]:
    """The student applies for an open post. Returns (placement, created); applying twice is harmless,
    and a withdrawn application may be made again. Caller checked `can(actor, "apply", post)`."""
    student = Student.objects.filter(user_id=actor.pk).first()
    if student is None:
        raise DomainError(_("Only students apply for work-study posts."))
    if student.status != Student.Status.ENROLLED:
        raise DomainError(_("Work-study is for students who are studying this term."))
    post = WorkStudyPost.objects.select_for_update().get(pk=post.pk)
    if not post.active:
        raise DomainError(_("This post is not open for applications."))
    existing = WorkStudyPlacement.objects.select_for_update().filter(post=post, student=student).first()
    if existing is not None:
        if existing.status == WorkStudyPlacement.Status.WITHDRAWN:
            _placement_move(existing, WorkStudyPlacement.Status.APPLIED, actor=actor)
            return existing, True
        return existing, False
    try:
        with transaction.atomic():
            placement = WorkStudyPlacement.objects.create(post=post, student=student)
    except IntegrityError:  # the same form sent twice at once
        return WorkStudyPlacement.objects.get(post=post, student=student), False
    audit_log(actor=actor, action="workstudy.applied", obj=placement)
    return placement, True


@transaction.atomic
def workstudy_withdraw(*, actor: User, placement: WorkStudyPlacement) -> WorkStudyPlacement:
    """applied → withdrawn, by the student. Caller checked `can(actor, "withdraw", placement)`."""
    placement = _placement_locked(placement)
    _placement_move(placement, WorkStudyPlacement.Status.WITHDRAWN, actor=actor)
    return placement


@transaction.atomic
def workstudy_decide(*, actor: User, placement: WorkStudyPlacement, decision: str) -> WorkStudyPlacement:
    """place (applied → placed, within the post's openings), turn_down (applied → not placed) or end
    (placed → ended). The post row is locked first, so two placements at once never exceed openings.
    Caller checked `can(actor, "decide", placement)`."""
    targets = {
        "place": WorkStudyPlacement.Status.PLACED,
        "turn_down": WorkStudyPlacement.Status.REJECTED,
        "end": WorkStudyPlacement.Status.ENDED,
    }
    if decision not in targets:
        raise DomainError(_("Choose what to do with the application."))
    post = WorkStudyPost.objects.select_for_update().get(pk=placement.post_id)
    placement = _placement_locked(placement)
    if decision == "place":
        placed = post.placements.filter(status=WorkStudyPlacement.Status.PLACED).count()
        if placed >= post.openings:
            raise DomainError(_("All %(n)s openings of this post are filled.") % {"n": post.openings})
    _placement_move(placement, targets[decision], actor=actor)
    titles = {
        "place": _("Work-study: you have a place as %(post)s"),
        "turn_down": _("Work-study: your application for %(post)s"),
        "end": _("Work-study: your placement as %(post)s has ended"),
    }
    notify(
        recipient=placement.student.user,
        title=titles[decision] % {"post": post.title},
        url=_workstudy_url(),
        dedupe_key=f"aid:workstudy:placement:{placement.pk}:{placement.status}:{timezone.now().timestamp()}",
    )
    return placement


# --- Timesheets ---------------------------------------------------------------------------------------


def month_first_day(day: date) -> date:
    return day.replace(day=1)


def weeks_of_month(month: date) -> list[date]:
    """The Mondays of the weeks that touch the month (the first may fall in the month before).

    A week that straddles two months may have hours on both months' timesheets; the 8-hour limit is
    checked on the whole week across them.
    """
    first = month_first_day(month)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _hours(value: object) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("Hours are numbers, such as 4 or 2.5.")) from exc
    if not hours.is_finite() or hours < ZERO:
        raise DomainError(_("Hours cannot be negative."))
    if hours != hours.quantize(CENT):
        raise DomainError(_("Enter hours to at most two decimal places."))
    return hours.quantize(CENT)


@transaction.atomic
def timesheet_save(
    *,
    actor: User,
    placement: WorkStudyPlacement,
    month: date,
    weekly_hours: dict[date, object],
    submit: bool,
) -> Timesheet:
    """The student's hours of one month, week by week; saved as a draft or submitted for sign-off.

    Preconditions: `can(actor, "enter_hours", placement)`; the placement is placed; the month has
    begun and is not before the placement; the timesheet (if any) is a draft or was returned.
    Limits, across all of the student's posts: at most 8 h in any week (a week split between two
    months counts whole) and 40 h in a month. The student row is locked so two saves at once cannot
    together pass a limit. Pay = hours × the post's rate, half up to the cent.
    """
    placement = _placement_locked(placement)
    if placement.status != WorkStudyPlacement.Status.PLACED:
        raise DomainError(_("Hours are entered for a placement you hold."))
    month = month_first_day(month)
    if month > month_first_day(timezone.localdate()):
        raise DomainError(_("Hours are entered once the month has begun."))
    started = timezone.localtime(placement.decided_at or placement.applied_at).date()
    if month < month_first_day(started):
        raise DomainError(_("That month is before your placement began."))
    weeks = set(weeks_of_month(month))
    hours = {}
    for week, value in weekly_hours.items():
        if week not in weeks:
            raise DomainError(_("Enter hours for the weeks of the month only."))
        hours[week] = _hours(value)
    Student.objects.select_for_update().filter(pk=placement.student_id).first()
    for week, value in sorted(hours.items()):
        if value > WEEK_MAX_HOURS:
            raise DomainError(
                _("At most 8 hours in a week: the week of %(week)s has %(hours)s hours.")
                % {"week": week.isoformat(), "hours": value.normalize()}
            )
    others = list(
        Timesheet.objects.filter(placement__student_id=placement.student_id)
        .exclude(placement=placement, month=month)
        .filter(month__gte=month - timedelta(days=31), month__lte=month + timedelta(days=31))
        .values_list("month", "weekly_hours", "total_hours")
    )
    for week, value in sorted(hours.items()):
        elsewhere = sum((_hours(wh.get(week.isoformat(), 0)) for _m, wh, _t in others), ZERO)
        if value + elsewhere > WEEK_MAX_HOURS:
            raise DomainError(
                _(
                    "At most 8 hours in a week: with your other work-study hours the week of %(week)s "
                    "would have %(hours)s hours."
                )
                % {"week": week.isoformat(), "hours": (value + elsewhere).normalize()}
            )
    total = sum(hours.values(), ZERO)
    month_total = total + sum((t for m, _wh, t in others if m == month), ZERO)
    if month_total > MONTH_MAX_HOURS:
        raise DomainError(
            _("At most 40 hours in a month: %(month)s would have %(hours)s hours.")
            % {"month": f"{month:%Y-%m}", "hours": month_total.normalize()}
        )
    if submit and total <= ZERO:
        raise DomainError(_("Enter the hours you worked before submitting."))
    timesheet = Timesheet.objects.select_for_update().filter(placement=placement, month=month).first()
    if timesheet is not None and timesheet.status not in Timesheet.EDITABLE:
        raise DomainError(
            _("This month's hours are %(status)s and can no longer be changed.")
            % {"status": timesheet.get_status_display()}
        )
    timesheet = timesheet or Timesheet(placement=placement, month=month)
    old = timesheet.status if timesheet.pk else ""
    timesheet.weekly_hours = {w.isoformat(): str(h) for w, h in sorted(hours.items()) if h}
    timesheet.total_hours = total
    timesheet.pay = workstudy_pay(total, placement.post.hourly_rate)
    timesheet.status = Timesheet.Status.SUBMITTED if submit else Timesheet.Status.DRAFT
    timesheet.save()
    audit_log(
        actor=actor, action="workstudy.timesheet_saved", obj=timesheet, changes={"from": old, "to": timesheet.status}
    )
    if submit:
        notify(
            recipient=placement.post.supervisor,
            title=_("Work-study hours to sign off: %(post)s, %(month)s")
            % {"post": placement.post.title, "month": f"{month:%Y-%m}"},
            url=reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={month:%Y-%m}",
            dedupe_key=f"aid:workstudy:timesheet:{timesheet.pk}:submitted:{timezone.now().timestamp()}",
        )
    return timesheet


def _timesheet_locked(timesheet: Timesheet) -> Timesheet:
    return (
        Timesheet.objects.select_for_update(of=("self",))
        .select_related("placement__post", "placement__student__user")
        .get(pk=timesheet.pk)
    )


@transaction.atomic
def timesheet_sign_off(*, actor: User, timesheet: Timesheet) -> Timesheet:
    """submitted → signed off, by the post's supervisor only; the pay is computed again at the post's rate."""
    timesheet = _timesheet_locked(timesheet)
    post = timesheet.placement.post
    if post.supervisor_id != actor.pk:
        raise DomainError(_("Only the post's supervisor signs the hours off."))
    if timesheet.status != Timesheet.Status.SUBMITTED:
        raise DomainError(
            _("Hours that are %(status)s cannot be signed off.") % {"status": timesheet.get_status_display()}
        )
    timesheet.pay = workstudy_pay(timesheet.total_hours, post.hourly_rate)
    timesheet.status = Timesheet.Status.SIGNED_OFF
    timesheet.signed_by, timesheet.signed_at = actor, timezone.now()
    timesheet.save(update_fields=["pay", "status", "signed_by", "signed_at"])
    audit_log(actor=actor, action="workstudy.timesheet_signed_off", obj=timesheet)
    notify(
        recipient=timesheet.placement.student.user,
        title=_("Your work-study hours for %(month)s are signed off") % {"month": f"{timesheet.month:%Y-%m}"},
        url=_workstudy_url(),
        dedupe_key=f"aid:workstudy:timesheet:{timesheet.pk}:signed_off",
    )
    return timesheet


@transaction.atomic
def timesheet_return(*, actor: User, timesheet: Timesheet, reason: str) -> Timesheet:
    """submitted → returned to the student for a correction, with the reason; supervisor only."""
    reason = _fiveaid_text(reason, limit=500, required=True, empty_message=_("Say what should be corrected."))
    timesheet = _timesheet_locked(timesheet)
    if timesheet.placement.post.supervisor_id != actor.pk:
        raise DomainError(_("Only the post's supervisor returns the hours."))
    if timesheet.status != Timesheet.Status.SUBMITTED:
        raise DomainError(
            _("Hours that are %(status)s cannot be returned.") % {"status": timesheet.get_status_display()}
        )
    timesheet.status = Timesheet.Status.REJECTED
    timesheet.save(update_fields=["status"])
    audit_log(actor=actor, action="workstudy.timesheet_returned", obj=timesheet)
    notify(
        recipient=timesheet.placement.student.user,
        title=_("Please correct your work-study hours for %(month)s") % {"month": f"{timesheet.month:%Y-%m}"},
        body=reason,
        url=reverse("aid:workstudy_timesheet", args=[timesheet.placement_id]) + f"?month={timesheet.month:%Y-%m}",
        dedupe_key=f"aid:workstudy:timesheet:{timesheet.pk}:returned:{timezone.now().timestamp()}",
    )
    return timesheet


def workstudy_remind_hours_due(*, today: date | None = None) -> int:
    """Beat (daily): from the configured day of the month, remind each placed student who has not
    submitted this month's hours, once per placement and month (dedupe key). Returns reminders created."""
    today = today or timezone.localdate()
    if today.day < int(config.get("aid.workstudy_hours_due_day")):
        return 0
    month = month_first_day(today)
    done = Timesheet.objects.filter(
        placement=OuterRef("pk"),
        month=month,
        status__in=(Timesheet.Status.SUBMITTED, Timesheet.Status.SIGNED_OFF),
    )
    placements = list(
        WorkStudyPlacement.objects.filter(status=WorkStudyPlacement.Status.PLACED)
        .filter(~Exists(done))
        .select_related("post", "student__user")
        .order_by("pk")
    )
    keys = {p.pk: f"aid:workstudy:hours_due:{p.pk}:{month:%Y-%m}" for p in placements}
    sent = set(Reminder.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    created = 0
    for placement in placements:
        if keys[placement.pk] in sent:
            continue
        reminder_schedule(
            recipient=placement.student.user,
            channel=Reminder.Channel.IN_APP,
            subject=_("Work-study: enter your hours for %(month)s (%(post)s)")
            % {"month": f"{month:%Y-%m}", "post": placement.post.title},
            url=reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={month:%Y-%m}",
            due_at=timezone.now(),
            dedupe_key=keys[placement.pk],
        )
        created += 1
    return created


def workstudy_hours_of_month(*, student: Student, month: date) -> Decimal:
    """All of the student's hours of a month across posts (for the timesheet page)."""
    total = Timesheet.objects.filter(placement__student=student, month=month_first_day(month)).aggregate(
        total=Sum("total_hours")
    )["total"]
    return total or ZERO
