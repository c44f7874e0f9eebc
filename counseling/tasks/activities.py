"""Thin beat tasks of activities: each calls one service, safe to run twice (dedupe keys)."""

from celery import shared_task
from django.db import OperationalError

from counseling import services

__all__ = ["remind_upcoming_events"]


@shared_task(
    name="counseling.activities.remind_upcoming_events",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_upcoming_events() -> int:
    return services.events_remind_upcoming()
