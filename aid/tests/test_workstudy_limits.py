"""Work-study rules: 8 h a week, 40 h a month (across posts), minimum rates, pay = hours × rate."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aid.models import Timesheet, WorkStudyPost
from aid.services import workstudy as services
from aid.tests.factories import current_academic_year, workstudy_placed, workstudy_post
from portal.models import Setting
from portal.services import DomainError

pytestmark = pytest.mark.django_db


def last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def placement(world):
    return workstudy_placed(world.student_a, workstudy_post(supervisor=world["aidofficer"], rate="15.00"))


def inner_weeks(month: date) -> list[date]:
    """Weeks wholly inside the month (the first and last may straddle)."""
    return services.weeks_of_month(month)[1:4]


def save(world, placement, hours: dict, *, month: date | None = None, submit: bool = True) -> Timesheet:
    return services.timesheet_save(
        actor=world.student_a.user, placement=placement, month=month or last_month(), weekly_hours=hours, submit=submit
    )


@pytest.mark.any_day
def test_weeks_of_a_month_start_on_mondays_and_cover_it():
    weeks = services.weeks_of_month(date(2026, 11, 1))
    assert weeks[0] == date(2026, 10, 26) and weeks[-1] == date(2026, 11, 30)
    assert all(w.weekday() == 0 for w in weeks)


def test_eight_hours_in_a_week_pass_and_eight_and_a_half_are_refused(world, placement):
    w1, w2, _w3 = inner_weeks(last_month())
    with pytest.raises(DomainError, match="At most 8 hours in a week"):
        save(world, placement, {w1: "8.5"})
    sheet = save(world, placement, {w1: "8", w2: "7.25"})
    assert sheet.total_hours == Decimal("15.25")
    assert sheet.status == Timesheet.Status.SUBMITTED


@pytest.mark.any_day
def test_a_week_split_between_two_months_counts_whole(world, placement):
    month = last_month()
    straddling = services.weeks_of_month(month)[-1]
    if straddling + timedelta(days=6) < (month.replace(day=28) + timedelta(days=4)).replace(day=1):
        pytest.skip("last month ends on a Sunday: no week straddles it")
    save(world, placement, {straddling: "5"}, month=month)
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(DomainError, match="with your other work-study hours"):
        save(world, placement, {straddling: "4"}, month=this_month, submit=False)
    save(world, placement, {straddling: "3"}, month=this_month, submit=False)


def six_week_month() -> date:
    """A recent past month that touches six weeks (so 41 h fit without 8.5 h in any week)."""
    month = last_month()
    while len(services.weeks_of_month(month)) < 6:
        month = (month - timedelta(days=1)).replace(day=1)
    return month


@pytest.mark.any_day
def test_forty_one_hours_in_a_month_are_refused_and_forty_pass(world):
    placement = workstudy_placed(world.student_a, workstudy_post(supervisor=world["aidofficer"]), days_ago=500)
    month = six_week_month()
    weeks = services.weeks_of_month(month)
    forty = {w: "8" for w in weeks[:5]}
    with pytest.raises(DomainError, match=r"At most 40 hours in a month: .* 41"):
        save(world, placement, {**forty, weeks[5]: "1"}, month=month)
    assert save(world, placement, forty, month=month).total_hours == Decimal(40)


def test_the_month_limit_counts_every_post_of_the_student(world):
    first = workstudy_placed(world.student_a, workstudy_post(supervisor=world["aidofficer"]), days_ago=500)
    second = workstudy_placed(
        world.student_a, workstudy_post(supervisor=world["aidofficer"], title="实验室助理"), days_ago=500
    )
    month = six_week_month()
    weeks = services.weeks_of_month(month)
    save(world, first, {weeks[1]: "8", weeks[2]: "8", weeks[3]: "8"}, month=month)  # 24 h
    with pytest.raises(DomainError, match=r"At most 40 hours in a month: .* 41"):
        save(world, second, {weeks[4]: "8", weeks[5]: "8", weeks[0]: "1"}, month=month)
    assert save(world, second, {weeks[4]: "8", weeks[5]: "8"}, month=month).total_hours == Decimal(16)
    with pytest.raises(DomainError, match="At most 8 hours in a week"):  # same week on the other post
        save(world, second, {weeks[1]: "0.5"}, month=month)


def test_pay_is_hours_times_rate_rounded_half_up_to_the_cent(world):
    assert services.workstudy_pay(Decimal("7.25"), Decimal("15.50")) == Decimal("112.38")  # 112.375
    assert services.workstudy_pay(Decimal("0.01"), Decimal("12.50")) == Decimal("0.13")  # 0.125
    post = workstudy_post(supervisor=world["aidofficer"], rate="13.33")
    placement = workstudy_placed(world.student_a, post)
    w1, w2, _ = inner_weeks(last_month())
    sheet = save(world, placement, {w1: "6.5", w2: "4.25"})
    assert sheet.total_hours == Decimal("10.75")
    assert sheet.pay == Decimal("143.30")  # 10.75 × 13.33 = 143.2975
    sheet = services.timesheet_sign_off(actor=world["aidofficer"], timesheet=sheet)
    assert sheet.status == Timesheet.Status.SIGNED_OFF and sheet.pay == Decimal("143.30")


@pytest.mark.parametrize(("value", "message"), [("-1", "negative"), ("abc", "numbers"), ("1.005", "two decimal")])
def test_the_service_refuses_hours_that_are_not_hours(world, placement, value, message):
    w1 = inner_weeks(last_month())[0]
    with pytest.raises(DomainError, match=message):
        save(world, placement, {w1: value})


@pytest.mark.any_day
def test_future_months_and_foreign_weeks_are_refused(world, placement):
    next_month = (timezone.localdate().replace(day=28) + timedelta(days=4)).replace(day=1)
    with pytest.raises(DomainError, match="once the month has begun"):
        save(world, placement, {}, month=next_month, submit=False)
    with pytest.raises(DomainError, match="weeks of the month"):
        save(world, placement, {date(2001, 1, 1): "1"})


def post_kwargs(world, kind: str, rate: str) -> dict:
    return {
        "actor": world["aidofficer"],
        "post": None,
        "year": current_academic_year(),
        "unit": "图书馆",
        "title": "整理",
        "kind": kind,
        "hourly_rate": Decimal(rate),
        "hours_per_month": 20,
        "openings": 2,
        "supervisor": world["aidofficer"],
    }


def test_a_temporary_post_pays_at_least_twelve_yuan_an_hour(world):
    with pytest.raises(DomainError, match=r"temporary post pays at least 12\.00"):
        services.workstudy_post_save(**post_kwargs(world, "temporary", "11.99"))
    assert services.workstudy_post_save(**post_kwargs(world, "temporary", "12.00")).pk


def test_a_fixed_post_pays_at_least_the_minimum_wage_for_forty_hours(world):
    # 2,210 yuan a month (Wuhan) for 40 h: rate × 40 ≥ 2,210, so at least 55.25 an hour.
    assert services.workstudy_minimum_rate(WorkStudyPost.Kind.FIXED) == Decimal("55.25")
    with pytest.raises(DomainError, match="local minimum wage"):
        services.workstudy_post_save(**post_kwargs(world, "fixed", "55.24"))
    assert services.workstudy_post_save(**post_kwargs(world, "fixed", "55.25")).pk


def test_the_minimums_follow_the_settings(world):
    Setting.objects.create(key="aid.local_minimum_wage_monthly", value="1000")
    Setting.objects.create(key="aid.workstudy_min_hourly_temporary", value="13.50")
    from portal import config

    config.clear_cache()
    assert services.workstudy_minimum_rate("fixed") == Decimal("25.00")
    assert services.workstudy_minimum_rate("temporary") == Decimal("13.50")
    with pytest.raises(DomainError):
        services.workstudy_post_save(**post_kwargs(world, "temporary", "13.49"))


def test_placing_stops_at_the_openings(world):
    from portal.tests.factories import StudentFactory

    post = workstudy_post(supervisor=world["aidofficer"], openings=1)
    first, _ = services.workstudy_apply(actor=world.student_a.user, post=post)
    second_student = StudentFactory(class_group=world.class_a)
    second, _ = services.workstudy_apply(actor=second_student.user, post=post)
    services.workstudy_decide(actor=world["aidofficer"], placement=first, decision="place")
    with pytest.raises(DomainError, match="openings of this post are filled"):
        services.workstudy_decide(actor=world["aidofficer"], placement=second, decision="place")
