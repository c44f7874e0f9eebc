"""The `any_day` marker really moves the clock: each run of a marked test sees its own Shanghai day and hour."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from conftest import ANY_DAY_WEEK, _shanghai


def test_the_pinned_week_has_every_weekday_and_crosses_a_month_and_a_year_end():
    moments = [_shanghai(m) for _, m in ANY_DAY_WEEK]
    assert sorted(m.weekday() for m in moments) == list(range(7))
    assert len({m.month for m in moments}) == 2 and len({m.year for m in moments}) == 2
    # An early morning whose UTC date is still the day before, and a minute past midnight.
    assert any(m.date() != m.astimezone(UTC).date() for m in moments)
    assert any(m.hour == 0 for m in moments)


@pytest.mark.any_day
def test_a_marked_test_runs_on_its_pinned_day(_any_day):
    now = timezone.localtime()
    assert abs(now - _shanghai(_any_day)) < timedelta(minutes=5)
    assert timezone.localdate() == _shanghai(_any_day).date()
