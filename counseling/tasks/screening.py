"""Thin beat task for screening campaigns: calls one service scan, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from counseling.services import screening as services

__all__ = ["remind_screening_non_completers"]


@shared_task(
    name="counseling.screening.remind_non_completers",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_screening_non_completers() -> int:
    """Daily: students of open campaigns who have not completed them, reminded once per 3-day round."""
    return services.campaign_remind_non_completers()
