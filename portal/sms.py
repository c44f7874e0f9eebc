"""Compatibility only. SMS now goes through portal.channels.sms (templates, providers, a daily limit).

Before it, settings.SMS_BACKEND named a callable (phone, text); `log_only` was its default. A deployment that
still sets SMS_BACKEND to its own callable keeps working: portal.channels.sms calls it with the fixed wording
of the template (never a reminder's subject or body) while SMS_GATEWAY is "log". See docs/messaging.md.
"""

import logging

logger = logging.getLogger(__name__)


def log_only(phone: str, text: str) -> None:
    # Only the fact, never the text.
    logger.info("SMS backend not configured; an SMS to …%s was not sent", phone[-4:])
