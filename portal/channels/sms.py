"""SMS through a gateway: pre-registered templates with parameters, a daily limit per phone.

Interface used by the rest of the portal (kept stable):
    send_template(phone, template, params, *, out_id="") -> None
        raises SmsUnavailable (transient: retry later) or SmsRejected (permanent: bad number, limit reached).
`template` is a key of portal.channels.templates ("verification_code", or a MessageKind); `params` are that
template's parameters (only a one-time code ever is). The text itself is registered at the provider.

Gateways (settings.SMS_GATEWAY):
- "log" (the default): logs that a message would go out (the template key and the last four digits of the
  number, never a parameter). With it the outbox does not schedule SMS reminders at all
  (portal.channels.preferences.sms_enabled).
- "locmem" (tests): appends to `outbox`.
- "aliyun": Aliyun dysms SendSms through the official SDK (alibabacloud_dysmsapi20170525), endpoint
  settings.SMS_ALIYUN_ENDPOINT, template codes from settings.SMS_TEMPLATE_CODES.
- Compatibility: with "log" and settings.SMS_BACKEND naming a callable other than portal.sms.log_only (the
  setting before this module), that callable gets (phone, text) with the template's fixed wording.

The daily limit (settings.SMS_DAILY_LIMIT_PER_PHONE, per number and Shanghai calendar day) is counted in Redis
(the Django cache) by the gateways that really send (aliyun, the SMS_BACKEND callable). Crisis alerts are
counted but never refused, and are sent when Redis cannot be asked; any other message is refused beyond the
limit (SmsRejected) and put off (SmsUnavailable, the outbox retries) while Redis is down.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.channels import ChannelRejected, ChannelUnavailable
from portal.channels.templates import sms_text
from portal.models import MessageKind

logger = logging.getLogger(__name__)

LEGACY_SMS_BACKEND = "portal.sms.log_only"
UNLIMITED = frozenset({MessageKind.CRISIS_ALERT.value})
# Answers of SendSms that mean "not now" rather than "never" (throttling, the account's balance, the
# provider's own trouble). Anything else that is not "OK" is permanent: a bad number, template or signature.
ALIYUN_TRANSIENT = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "SignatureNonceUsed",
        "ServiceUnavailable",
        "InternalError",
    }
)


class SmsError(Exception):
    """Base of the SMS failures."""


class SmsUnavailable(SmsError, ChannelUnavailable):
    """The gateway did not take the message (down, timeout, rate limit): try again later."""


class SmsRejected(SmsError, ChannelRejected):
    """The gateway will never take this message (bad number, unknown template, daily limit reached)."""


@dataclass(frozen=True)
class SentSms:
    phone: str
    template: str
    params: dict


outbox: list[SentSms] = []  # the "locmem" gateway's messages, for tests


def send_template(phone: str, template: str, params: dict, *, out_id: str = "") -> None:
    """Send the registered template `template` (a key of the templates registry) with `params` to `phone`.

    `out_id` is passed to the provider with the message (Aliyun's OutId), so a message sent twice is
    recognisable in the provider's delivery reports: the outbox passes "reminder-<id>".
    """
    if not phone:
        raise SmsRejected("no phone number")
    gateway = getattr(settings, "SMS_GATEWAY", "log")
    legacy = getattr(settings, "SMS_BACKEND", LEGACY_SMS_BACKEND) or LEGACY_SMS_BACKEND
    if gateway == "locmem":
        outbox.append(SentSms(phone, template, dict(params)))
    elif gateway == "aliyun":
        with _daily_quota(phone, template):
            _send_aliyun(phone, template, params, out_id=out_id)
    elif gateway == "log" and legacy != LEGACY_SMS_BACKEND:
        with _daily_quota(phone, template):
            import_string(legacy)(phone, sms_text(template, params))
    elif gateway == "log":
        logger.info("SMS gateway not configured; an SMS (%s) to …%s was not sent", template, phone[-4:])
    else:
        raise SmsRejected(f"unknown SMS gateway {gateway!r}")


# --- the daily limit ----------------------------------------------------------------------------------


def _quota_key(phone: str) -> str:
    digest = hashlib.sha256(phone.encode()).hexdigest()[:24]  # no phone numbers in Redis keys
    return f"sms:daily:{timezone.localdate():%Y%m%d}:{digest}"


class _daily_quota:  # a context manager
    """Take one unit of the phone's daily allowance before sending; give it back if the send did not happen."""

    def __init__(self, phone: str, template: str) -> None:
        self.key = _quota_key(phone)
        self.template = template
        self.taken = False

    def __enter__(self) -> None:
        limit = int(getattr(settings, "SMS_DAILY_LIMIT_PER_PHONE", 10))
        try:
            cache.add(self.key, 0, timeout=2 * 86400)
            count = cache.incr(self.key)
        except Exception as exc:  # Redis down: the limit cannot be checked
            if self.template in UNLIMITED:
                logger.warning("SMS daily limit not checked (cache unavailable); a crisis alert goes out anyway")
                return
            raise SmsUnavailable("the daily SMS limit cannot be checked now") from exc
        self.taken = True
        if count > limit and self.template not in UNLIMITED:
            self._give_back()
            raise SmsRejected(f"daily limit of {limit} SMS to this number reached")

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and issubclass(exc_type, SmsUnavailable) and self.taken:
            self._give_back()  # not sent: it does not count
        return False

    def _give_back(self) -> None:
        try:
            cache.decr(self.key)
        except Exception:
            logger.warning("SMS daily counter could not be corrected")
        self.taken = False


def sent_today(phone: str) -> int:
    """How many SMS the limited gateways sent to `phone` today (for tests and the admin)."""
    return int(cache.get(_quota_key(phone)) or 0)


# --- Aliyun dysms -------------------------------------------------------------------------------------


def _aliyun_client():
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi_models

    endpoint = getattr(settings, "SMS_ALIYUN_ENDPOINT", "") or "https://dysmsapi.aliyuncs.com"
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    config = openapi_models.Config(
        access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
        access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
        endpoint=parts.netloc,
        protocol=parts.scheme or "https",
        connect_timeout=int(getattr(settings, "SMS_TIMEOUT_SECONDS", 5) * 1000),
        read_timeout=int(getattr(settings, "SMS_TIMEOUT_SECONDS", 5) * 1000),
    )
    return Client(config)


def _send_aliyun(phone: str, template: str, params: dict, *, out_id: str) -> None:
    from alibabacloud_dysmsapi20170525 import models as sms_models
    from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
    from darabonba.runtime import RuntimeOptions

    code = dict(getattr(settings, "SMS_TEMPLATE_CODES", {}) or {}).get(template)
    if not code:
        raise SmsRejected(f"no provider template code for {template!r} (SMS_TEMPLATE_CODES)")
    if not (settings.SMS_ALIYUN_ACCESS_KEY_ID and settings.SMS_ALIYUN_ACCESS_KEY_SECRET):
        raise SmsRejected("SMS_ALIYUN_ACCESS_KEY_ID / SMS_ALIYUN_ACCESS_KEY_SECRET are not set")
    request = sms_models.SendSmsRequest(
        phone_numbers=phone,
        sign_name=settings.SMS_SIGN_NAME,
        template_code=code,
        template_param=json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False) if params else None,
        out_id=out_id or None,
    )
    try:
        # No SDK retries: the outbox retries with backoff, and a retry inside one claim would hold the row longer.
        response = _aliyun_client().send_sms_with_options(request, RuntimeOptions(autoretry=False, max_attempts=0))
    except ServerException as exc:
        raise SmsUnavailable(f"Aliyun {exc.code or 'server error'}") from exc
    except ClientException as exc:
        if str(exc.code or "").startswith("Throttling") or exc.code in ALIYUN_TRANSIENT:
            raise SmsUnavailable(f"Aliyun {exc.code}") from exc
        raise SmsRejected(f"Aliyun {exc.code}") from exc
    except Exception as exc:  # timeouts, refused connections (the SDK's UnretryableException)
        raise SmsUnavailable(f"Aliyun not reachable: {type(exc).__name__}") from exc
    body = response.body
    answer = getattr(body, "code", None) or ""
    if answer == "OK":
        logger.info("SMS (%s) to …%s accepted by Aliyun", template, phone[-4:])
        return
    if answer in ALIYUN_TRANSIENT:
        raise SmsUnavailable(f"Aliyun {answer}")
    raise SmsRejected(f"Aliyun {answer or 'no answer code'}")
