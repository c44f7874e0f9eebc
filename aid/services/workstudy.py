"""Writes of work-study (勤工助学): posts and their pay rules, applications and placement, the monthly
timesheets with their hour limits, the supervisor's sign-off, and the reminder to enter the month's hours.

Access is checked by the caller through portal.access (aid.access.workstudy); the rules of the domain are
checked here and raise DomainError, which views show as a message, never a 500.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aid.models import AcademicYear, Timesheet, WorkStudyPlacement, WorkStudyPost
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import month_start, shift_month
from portal.kernel.text import clean_text
from portal.kernel.workflow import locked, locked_rows, move
from portal.models import Reminder, Student, User
from portal.services import DomainError, notify, reminder_schedule

__all__ = [
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
    unit = clean_text(unit, limit=100, required=True, empty_message=_("Name the unit."))
    title = clean_text(title, limit=100, required=True, empty_message=_("Name the post."))
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
    existing = next(iter(locked_rows(WorkStudyPlacement.objects.filter(post=post, student=student))), None)
    if existing is not None:
        if existing.status == WorkStudyPlacement.Status.WITHDRAWN:
            existing = move(
                existing,
                WorkStudyPlacement.Status.APPLIED,
                actor=actor,
                values={"applied_at": timezone.now(), "decided_at": None},
            )
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
    return move(placement, WorkStudyPlacement.Status.WITHDRAWN, actor=actor)


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
    placement = locked(placement)
    if decision == "place":
        placed = post.placements.filter(status=WorkStudyPlacement.Status.PLACED).count()
        if placed >= post.openings:
            raise DomainError(_("All %(n)s openings of this post are filled.") % {"n": post.openings})
    decided = {"decided_at": timezone.now()} if decision in ("place", "turn_down") else {}
    placement = move(placement, targets[decision], actor=actor, values=decided)
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


def weeks_of_month(month: date) -> list[date]:
    """The Mondays of the weeks that touch the month (the first may fall in the month before).

    A week that straddles two months may have hours on both months' timesheets; the 8-hour limit is
    checked on the whole week across them.
    """
    first = month_start(month)
    last = shift_month(first, 1) - timedelta(days=1)
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
    placement = locked(placement)
    if placement.status != WorkStudyPlacement.Status.PLACED:
        raise DomainError(_("Hours are entered for a placement you hold."))
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise DomainError(_("Hours are entered once the month has begun."))
    started = timezone.localtime(placement.decided_at or placement.applied_at).date()
    if month < month_start(started):
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
    status = Timesheet.Status.SUBMITTED if submit else Timesheet.Status.DRAFT
    values = {
        "weekly_hours": {w.isoformat(): str(h) for w, h in sorted(hours.items()) if h},
        "total_hours": total,
        "pay": workstudy_pay(total, placement.post.hourly_rate),
    }
    timesheet = next(iter(locked_rows(Timesheet.objects.filter(placement=placement, month=month))), None)
    if timesheet is None:
        timesheet = Timesheet.objects.create(placement=placement, month=month, status=status, **values)
        audit_log(actor=actor, action="workstudy.timesheet_saved", obj=timesheet, changes={"from": "", "to": status})
    else:
        timesheet.placement = placement  # the locked row, for the flow's rule
        timesheet = move(timesheet, status, actor=actor, values=values, action="workstudy.timesheet_saved")
    if submit:
        notify(
            recipient=placement.post.supervisor,
            title=_("Work-study hours to sign off: %(post)s, %(month)s")
            % {"post": placement.post.title, "month": f"{month:%Y-%m}"},
            url=reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={month:%Y-%m}",
            dedupe_key=f"aid:workstudy:timesheet:{timesheet.pk}:submitted:{timezone.now().timestamp()}",
        )
    return timesheet


@transaction.atomic
def timesheet_sign_off(*, actor: User, timesheet: Timesheet) -> Timesheet:
    """submitted → signed off, by the post's supervisor only; the pay is computed again at the post's rate."""
    timesheet = locked(timesheet)
    post = timesheet.placement.post
    if post.supervisor_id != actor.pk:
        raise DomainError(_("Only the post's supervisor signs the hours off."))
    # The map is Timesheet.flow's; the wording is this move's own (the flow's refusal is timesheet_save's).
    if not Timesheet.flow.allows(timesheet.status, Timesheet.Status.SIGNED_OFF):
        raise DomainError(
            _("Hours that are %(status)s cannot be signed off.") % {"status": timesheet.get_status_display()}
        )
    timesheet = move(
        timesheet,
        Timesheet.Status.SIGNED_OFF,
        actor=actor,
        values={
            "pay": workstudy_pay(timesheet.total_hours, post.hourly_rate),
            "signed_by": actor,
            "signed_at": timezone.now(),
        },
        changes={},
    )
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
    reason = clean_text(reason, limit=500, required=True, empty_message=_("Say what should be corrected."))
    timesheet = locked(timesheet)
    if timesheet.placement.post.supervisor_id != actor.pk:
        raise DomainError(_("Only the post's supervisor returns the hours."))
    if not Timesheet.flow.allows(timesheet.status, Timesheet.Status.REJECTED):
        raise DomainError(
            _("Hours that are %(status)s cannot be returned.") % {"status": timesheet.get_status_display()}
        )
    timesheet = move(
        timesheet, Timesheet.Status.REJECTED, actor=actor, action="workstudy.timesheet_returned", changes={}
    )
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
    month = month_start(today)
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
