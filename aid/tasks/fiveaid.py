"""Thin beat task of five-aid cases: one service scan, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from aid.services import fiveaid as services

__all__ = ["fiveaid_sync_referral_statuses"]


@shared_task(
    name="aid.fiveaid.sync_referral_statuses", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def fiveaid_sync_referral_statuses() -> int:
    """Hourly: refresh referred / engaged / declined on the five-aid cases (lists and the dashboard read it)."""
    return services.fiveaid_psych_statuses_sync()
