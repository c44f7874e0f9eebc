"""The aid dashboard's rollups (aid.selectors.dashboard): recomputed by beat, so the page never counts."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from aid.selectors import dashboard as selectors
from aid.selectors.fiveaid import fiveaid_current_year


def dashboard_rollups_refresh() -> int:
    """The whole school's numbers for the current year, in each language: what aid officers open. Returns how
    many rollups were written."""
    year = fiveaid_current_year()
    written = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            data = selectors.dashboard_for_scope(None, year=year)
            cache.set(selectors.rollup_key(None, year, language), (data, timezone.now()), selectors.ROLLUP_SECONDS)
        written += 1
    return written
