"""Thin beat tasks of the identification area: each calls one service scan and is safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from aid.services import identification as services

__all__ = [
    "identification_expire_ended_years",
    "identification_remind_notice_ending",
    "identification_remind_overdue_reviews",
    "identification_remind_window",
]


@shared_task(
    name="aid.identification.expire_ended_years", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def identification_expire_ended_years() -> int:
    return services.identifications_expire()


@shared_task(
    name="aid.identification.remind_window", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def identification_remind_window() -> int:
    return services.remind_window()


@shared_task(
    name="aid.identification.remind_overdue_reviews",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def identification_remind_overdue_reviews() -> int:
    return services.remind_overdue_reviews()


@shared_task(
    name="aid.identification.remind_notice_ending", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def identification_remind_notice_ending() -> int:
    return services.notice_remind_ending()
