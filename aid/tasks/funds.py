"""Thin beat tasks of the funds area: each calls one service scan, safe to run twice (dedupe keys)."""

from celery import shared_task
from django.db import OperationalError

from aid.services import funds as services

__all__ = ["aid_remind_overdue_reviews", "aid_remind_unbatched_payments"]


@shared_task(
    name="aid.funds.remind_overdue_reviews", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def aid_remind_overdue_reviews() -> int:
    """Daily: each college's aid reviewers hear how many applications wait too long for review."""
    return services.application_remind_overdue_reviews()


@shared_task(
    name="aid.funds.remind_unbatched_payments", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def aid_remind_unbatched_payments() -> int:
    """Daily: aid officers hear of scheduled payments due soon that are in no batch."""
    return services.payment_remind_unbatched()
