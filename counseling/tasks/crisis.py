"""Thin beat tasks for the crisis network: each calls one service scan, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from counseling import services

__all__ = ["escalate_overdue_acknowledgements", "remind_missing_zero_reports", "remind_overdue_touchpoints"]


@shared_task(
    name="counseling.crisis.escalate_overdue_acknowledgements",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def escalate_overdue_acknowledgements() -> int:
    return services.escalate_overdue_acknowledgements()


@shared_task(
    name="counseling.crisis.remind_overdue_touchpoints",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_overdue_touchpoints() -> int:
    return services.remind_overdue_touchpoints()


@shared_task(
    name="counseling.crisis.remind_missing_zero_reports",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_missing_zero_reports() -> int:
    return services.remind_missing_zero_reports()
