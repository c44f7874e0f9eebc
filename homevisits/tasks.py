"""Celery tasks of home visits: thin and idempotent, each calls one service scan (beat: portal/settings.py).

Task names are explicit, "homevisits.<area>.<action>" (see portal/celery.py).
"""

from celery import shared_task
from django.db import OperationalError

from homevisits.services import records, trips

__all__ = ["follow_ups_remind_due", "trip_reminders_send"]


# --- Trips ------------------------------------------------------------------------------------------------


@shared_task(
    name="homevisits.trips.send_reminders", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def trip_reminders_send() -> int:
    """Daily: departure in 3 days, visit records due 7 days after return, report due 14 days after return.
    Each message has a dedupe key, so running twice a day sends nothing twice."""
    return trips.trip_reminders_send()


# --- Records ----------------------------------------------------------------------------------------------


@shared_task(
    name="homevisits.records.remind_follow_ups_due",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def follow_ups_remind_due() -> int:
    """Daily: follow-ups due today and overdue, each occasion told once per follow-up (dedupe keys)."""
    return records.follow_ups_remind()
