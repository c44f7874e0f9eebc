"""Thin beat tasks for screening: each calls one service scan and is safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from counseling.services import screening as services
from counseling.services import screening_care as care_services

__all__ = [
    "invite_due_screening_retests",
    "remind_missing_screening_outcomes",
    "remind_screening_non_completers",
]


@shared_task(
    name="counseling.screening.remind_non_completers",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_screening_non_completers() -> int:
    """Daily: students of open campaigns who have not completed them, reminded once per 3-day round."""
    return services.campaign_remind_non_completers()


@shared_task(
    name="counseling.screening.remind_missing_outcomes",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_missing_screening_outcomes() -> int:
    """Daily: positive campaign screens with no interview outcome → the station, later the centre (once each)."""
    return care_services.outcomes_remind_missing()


@shared_task(
    name="counseling.screening.invite_due_retests",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def invite_due_screening_retests() -> int:
    """Daily: students whose follow-up retest is due are invited (claimed once per retest)."""
    return care_services.retests_invite_due()
