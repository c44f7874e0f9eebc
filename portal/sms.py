"""SMS hooks. A college's gateway is a callable (phone, text) named by settings.SMS_BACKEND."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def log_only(phone: str, text: str) -> None:
    # Only the fact, never the text: reminders may name a student or a case.
    logger.info("SMS backend not configured; an SMS to …%s was not sent", phone[-4:])


def send_sms(phone: str, text: str) -> None:
    import_string(settings.SMS_BACKEND)(phone, text)
