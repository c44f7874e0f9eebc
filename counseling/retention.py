"""Counselling's retention step (portal.retention): archive closed crisis cases after N years.

Archiving sets `Case.archived_at`; the access rules (counseling.access.crisis) and the care file then leave
the case out for everyone but admins. Reports, timeline and the audit trail are kept unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from counseling.models import Case
from portal import config
from portal.audit import audit_log
from portal.retention import register_step, setting

YEARS_KEY = "counseling.closed_case_retention_years"
config.declare(YEARS_KEY, 5, "Years after closing until a crisis case is archived (out of every list).")


def years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year without one
        return now.replace(year=now.year - years, day=28)


def archive_closed_cases(*, now: datetime, dry_run: bool, overrides: dict[str, Any] | None = None) -> int:
    """Closed cases whose `closed_at` is older than the retention period get `archived_at`; one audit event each.

    Runs in the caller's transaction; rows are claimed with a conditional UPDATE (still closed, not yet
    archived), so a case reopened meanwhile, or archived by a concurrent run, is left alone.
    """
    cutoff = years_before(now, int(setting(YEARS_KEY, overrides)))
    due = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=cutoff, archived_at__isnull=True)
    if dry_run:
        return due.count()
    archived = 0
    for pk in list(due.values_list("pk", flat=True)):
        claimed = Case.objects.filter(
            pk=pk, status=Case.Status.CLOSED, closed_at__lt=cutoff, archived_at__isnull=True
        ).update(archived_at=now)
        if claimed:
            archived += 1
            audit_log(actor=None, action="case.archive", object_type="counseling.case", object_id=pk)
    return archived


register_step("counseling.archive_closed_cases", _("Archive closed crisis cases"), archive_closed_cases)
