"""Thin beat tasks for appointments: each calls services, safe to run twice (idempotent scans)."""

from celery import shared_task
from django.db import OperationalError

from counseling.services import appointments as services

__all__ = ["appointments_generate_slots", "appointments_send_agendas", "appointments_sweep"]


@shared_task(
    name="counseling.appointments.generate_slots", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def appointments_generate_slots() -> int:
    """Daily: slots of the weekly templates for the coming days (skips holidays and blocked days)."""
    return services.slots_generate()


@shared_task(name="counseling.appointments.sweep", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def appointments_sweep() -> dict[str, int]:
    """Every 5 minutes: ended sessions wait for their outcome; expired waitlist offers go to the next in line;
    open slots are offered to waiting students."""
    return {
        "closed": services.bookings_close_ended(),
        "expired": services.waitlist_expire_offers(),
        "offered": services.waitlist_offer_open_slots(),
    }


@shared_task(
    name="counseling.appointments.send_agendas", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def appointments_send_agendas() -> int:
    """Daily at 07:30: each counsellor's agenda for the day, once."""
    return services.counsellor_agendas_schedule()
