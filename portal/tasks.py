"""Thin Celery tasks of the portal core: ids in, a service call, nothing else. Names: see portal/celery.py."""

from celery import shared_task
from django.db import OperationalError

from portal.services import DISPATCH_TASK, reminders_dispatch_due

DISPATCH_BATCH = 1000


@shared_task(name=DISPATCH_TASK, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def dispatch_due_reminders() -> int:
    """Beat runs this every minute and a commit kicks it at once. A full batch means a backlog (e.g. after Redis
    or SMTP came back): queue the next batch now rather than a minute later; SKIP LOCKED lets the worker's
    processes share it."""
    sent = reminders_dispatch_due(limit=DISPATCH_BATCH)
    if sent >= DISPATCH_BATCH:
        dispatch_due_reminders.delay()
    return sent


@shared_task(name="portal.retention.apply", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def apply_retention() -> dict[str, int]:
    """Daily (beat): archive old closed cases, delete expired drafts (portal.retention). Idempotent."""
    from portal.retention import apply_retention as run

    return run()


@shared_task(name="portal.health.ping")
def ping() -> str:
    """Used by the health check's worker round-trip test."""
    return "pong"
