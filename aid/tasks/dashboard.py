"""Beat task of the aid dashboard: recomputes the whole school's rollup (see aid.selectors.dashboard)."""

from celery import shared_task
from django.db import OperationalError

from aid.services import dashboard as services

__all__ = ["aid_refresh_dashboard_rollups"]


@shared_task(name="aid.dashboard.refresh_rollups", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def aid_refresh_dashboard_rollups() -> int:
    """Every 5 minutes: the numbers aid officers see on the dashboard, so the page reads them instead of counting."""
    return services.dashboard_rollups_refresh()
