"""The beat task of postvention: overdue check-ins, reminded once per due date (safe to run twice)."""

from celery import shared_task
from django.db import OperationalError

from counseling import services

__all__ = ["remind_overdue_checkins"]


@shared_task(
    name="counseling.postvention.remind_overdue_checkins",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_overdue_checkins() -> int:
    return services.remind_postvention_checkins()
