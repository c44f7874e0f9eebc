"""Thin beat task for supervised session notes: one service call, safe to run twice (dedupe keys)."""

from celery import shared_task
from django.db import OperationalError

from counseling.services import session_notes as services

__all__ = ["session_notes_remind_overdue_cosign"]


@shared_task(
    name="counseling.session_notes.remind_overdue_cosign",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def session_notes_remind_overdue_cosign() -> int:
    """Hourly: supervisors are reminded, once per note, of trainees' notes waiting over 72 h to be co-signed."""
    return services.session_notes_remind_overdue_cosign()
