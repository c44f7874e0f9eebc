"""Thin beat task of hidden aid: one service scan, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from aid.services import hiddenaid as services

__all__ = ["hiddenaid_pay_due_batches"]


@shared_task(name="aid.hiddenaid.pay_due_batches", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def hiddenaid_pay_due_batches() -> list[tuple[int, str]]:
    """Daily: pay the approved hidden-aid batches whose decline window has ended. Idempotent: each batch is
    locked and its status checked, so a second run (or a run beside an officer's "pay now") pays nothing twice."""
    return services.hiddenaid_pay_due_batches()
