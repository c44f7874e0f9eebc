"""Celery tasks of the support area: thin, idempotent, each calls one service scan."""


# --- Hidden aid (隐形资助) -------------------------------------------------------------------------------
# Beat (portal/settings.py CELERY_BEAT_SCHEDULE, to be added by the lead):
#     "hiddenaid-pay-due-batches": {"task": "aid.tasks.hiddenaid_pay_due_batches",
#                                   "schedule": crontab(minute=30, hour=6)},

from celery import shared_task as _shared_task
from django.db import OperationalError as _OperationalError


@_shared_task(
    name="aid.tasks.hiddenaid_pay_due_batches",
    autoretry_for=(_OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def hiddenaid_pay_due_batches() -> list[tuple[int, str]]:
    """Pay the approved hidden-aid batches whose decline window has ended. Idempotent: each batch is
    locked and its status checked, so a second run (or a run beside an officer's "pay now") pays nothing twice."""
    from aid.services.hiddenaid import hiddenaid_pay_due_batches as pay_due

    return pay_due()


# --- Five-aid and work-study ------------------------------------------------------------------------------
# Beat (portal/settings.py CELERY_BEAT_SCHEDULE, to be added by the lead):
#     "workstudy-remind-hours-due": {"task": "aid.tasks.workstudy_remind_hours_due",
#                                    "schedule": crontab(minute=0, hour=9)},   # daily; acts from day 25
#     "fiveaid-sync-referral-statuses": {"task": "aid.tasks.fiveaid_sync_referral_statuses",
#                                        "schedule": crontab(minute=15)},     # hourly

from celery import shared_task  # noqa: E402
from django.db import OperationalError  # noqa: E402


@shared_task(
    name="aid.tasks.workstudy_remind_hours_due",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def workstudy_remind_hours_due() -> int:
    """Remind placed students who have not submitted this month's hours (from the configured day on;
    one reminder per placement and month, by dedupe key, however often it runs)."""
    from aid.services.support import workstudy_remind_hours_due as remind

    return remind()


@shared_task(
    name="aid.tasks.fiveaid_sync_referral_statuses",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def fiveaid_sync_referral_statuses() -> int:
    """Refresh referred / engaged / declined on the five-aid cases (lists and the dashboard read it)."""
    from aid.services.support import fiveaid_psych_statuses_sync

    return fiveaid_psych_statuses_sync()
