"""SMS through a gateway: pre-registered templates with parameters, a daily limit per phone.

Interface used by the rest of the portal (kept stable):
    send_template(phone, template, params) -> None
        raises SmsUnavailable (transient: retry later) or SmsRejected (permanent: bad number, limit reached).
Gateways (settings.SMS_GATEWAY): "log" (development: logs that a message would go out, never its text),
"locmem" (tests: appends to `outbox`), "aliyun" (Aliyun dysms; being written).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """Base of the SMS failures."""


class SmsUnavailable(SmsError):
    """The gateway did not take the message (down, timeout, rate limit): try again later."""


class SmsRejected(SmsError):
    """The gateway will never take this message (bad number, unknown template, daily limit reached)."""


@dataclass(frozen=True)
class SentSms:
    phone: str
    template: str
    params: dict


outbox: list[SentSms] = []  # the "locmem" gateway's messages, for tests


def send_template(phone: str, template: str, params: dict) -> None:
    """Send the registered template `template` (a key of the templates registry) with `params` to `phone`."""
    gateway = getattr(settings, "SMS_GATEWAY", "log")
    if gateway == "locmem":
        outbox.append(SentSms(phone, template, dict(params)))
    else:
        logger.info("SMS gateway not configured; an SMS (%s) to …%s was not sent", template, phone[-4:])
