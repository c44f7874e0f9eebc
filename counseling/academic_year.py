"""The academic year of the activity coverage report: a rule, not a write, so that selectors and services
both use it (selectors import no services). The month it starts in is a setting an admin may change."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from portal import config

__all__ = ["academic_year_bounds", "academic_year_of"]

config.declare(
    "counseling.academic_year_start_month",
    9,
    "Month (1–12) in which the academic year starts, for the activity coverage report.",
)


def academic_year_of(day: date) -> int:
    """The calendar year in which the academic year containing `day` started."""
    month = int(config.get("counseling.academic_year_start_month"))
    return day.year if day.month >= month else day.year - 1


def academic_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of the academic year starting in `year`, aware in the project's time zone."""
    month = int(config.get("counseling.academic_year_start_month"))
    tz = timezone.get_current_timezone()
    return datetime(year, month, 1, tzinfo=tz), datetime(year + 1, month, 1, tzinfo=tz)
