"""Thin beat task of work-study: one service scan, safe to run twice (dedupe keys)."""

from celery import shared_task
from django.db import OperationalError

from aid.services import workstudy as services

__all__ = ["workstudy_remind_hours_due"]


@shared_task(
    name="aid.workstudy.remind_hours_due", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def workstudy_remind_hours_due() -> int:
    """Daily: remind placed students who have not submitted this month's hours (from the configured day on;
    one reminder per placement and month, by dedupe key, however often it runs)."""
    return services.workstudy_remind_hours_due()
