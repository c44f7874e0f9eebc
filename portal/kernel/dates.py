"""Calendar arithmetic, written once: months, and working days with the school's holiday table.

Months are represented by their first day (`month_start`), as the models store them (a zero report's month, a
timesheet's month, a canteen month). A working day is a Monday to Friday that is not a portal.Holiday; the
holiday table is read once per call, never once per day.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from portal.models import Holiday

__all__ = [
    "add_months",
    "add_working_days",
    "holidays_between",
    "is_holiday",
    "is_working_day",
    "month_start",
    "shift_month",
    "working_days_between",
]


# --- Months --------------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    """The first day of the month of `day`."""
    return day.replace(day=1)


def shift_month(month: date, months: int) -> date:
    """The first day of the month `months` after (negative: before) the month of `month`."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (negative: earlier); the 31st becomes the last day of a shorter month."""
    first = shift_month(day, months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


# --- Working days --------------------------------------------------------------------------------------------


def holidays_between(start: date, end: date) -> set[date]:
    """The school holidays (portal.Holiday) from start to end, both included: one query."""
    return set(Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True))


def is_holiday(day: date) -> bool:
    return Holiday.objects.filter(date=day).exists()


def is_working_day(day: date, holidays: set[date] | None = None) -> bool:
    """Monday to Friday and not a holiday. Pass `holidays` (holidays_between) when checking many days."""
    if day.weekday() >= 5:
        return False
    return day not in holidays if holidays is not None else not is_holiday(day)


def working_days_between(start: date, end: date) -> int:
    """Working days from start to end, both included: weekends and portal.Holiday days do not count."""
    if end < start:
        return 0
    holidays = holidays_between(start, end)
    return sum(1 for n in range((end - start).days + 1) if is_working_day(start + timedelta(days=n), holidays))


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    holidays = holidays_between(start, start + timedelta(days=days * 3 + 30))
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day
