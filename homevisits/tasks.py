"""Celery tasks of home visits: thin and idempotent, each calls one service scan.

# --- Trips
# Beat (portal/settings.py CELERY_BEAT_SCHEDULE, to be added by the lead):
#     "homevisits-trip-reminders": {"task": "homevisits.tasks.trip_reminders_send",
#                                   "schedule": crontab(minute=0, hour=8)},   # daily
"""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="homevisits.tasks.trip_reminders_send", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def trip_reminders_send() -> int:
    """Departure in 3 days, visit records due 7 days after return, report due 14 days after return.
    Each message has a dedupe key, so running twice a day sends nothing twice."""
    from homevisits.services.trips import trip_reminders_send as send

    return send()


# --- Follow-ups (the records engineer adds follow-up reminders below) -----------------------------------------


# --- Records ----------------------------------------------------------------------------------------------
# Beat (portal/settings.py CELERY_BEAT_SCHEDULE, to be added by the lead):
#     "homevisits-follow-ups-remind": {"task": "homevisits.tasks.follow_ups_remind_due",
#                                      "schedule": crontab(minute=45, hour=8)},   # daily


@shared_task(
    name="homevisits.tasks.follow_ups_remind_due", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def follow_ups_remind_due() -> int:
    """Follow-ups due today and overdue: each occasion told once per follow-up (dedupe keys)."""
    from homevisits.services.records import follow_ups_remind

    return follow_ups_remind()
