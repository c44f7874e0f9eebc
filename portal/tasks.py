"""Thin Celery tasks: ids in, a service call, nothing else."""

from celery import shared_task
from django.db import OperationalError

from portal.services import reminders_dispatch_due


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def dispatch_due_reminders() -> int:
    return reminders_dispatch_due()


@shared_task
def ping() -> str:
    """Used by the health check's worker round-trip test."""
    return "pong"
