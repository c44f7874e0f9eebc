"""The fixed wording of SMS and WeCom messages, per kind of message (portal.models.MessageKind).

An SMS or a WeCom card leaves the portal for a phone's lock screen or a chat app, so it never carries a
reminder's subject or body (which may name a student, a level or a case): only the generic sentence below and
a deep link back into the portal, where the reader signs in and sees what they are allowed to see.

SMS texts live at the provider as registered templates (the provider approves them); the portal sends the
template's key, mapped to the provider's code by settings.SMS_TEMPLATE_CODES, and the parameters listed here.
The only parameter any template may take is in PLACEHOLDERS_ALLOWED (a one-time code), checked by a test.
The suggested wording to register for each key is in docs/messaging.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from portal.models import MessageKind

# Parameters an SMS template may carry; nothing else ever leaves for a phone.
PLACEHOLDERS_ALLOWED = frozenset({"code"})
VERIFICATION_CODE = "verification_code"


@dataclass(frozen=True)
class Template:
    sms_key: str
    sms_params: tuple[str, ...]
    card_title: str  # lazily translated
    card_description: str  # lazily translated; also the text the compatibility gateway (SMS_BACKEND) sends


TEMPLATES: dict[str, Template] = {
    MessageKind.CRISIS_ALERT: Template(
        sms_key=MessageKind.CRISIS_ALERT,
        sms_params=(),
        card_title=_("New concern alert"),
        card_description=_("You have a new concern alert. Please sign in to Nuanxin to see it."),
    ),
    MessageKind.APPOINTMENT: Template(
        sms_key=MessageKind.APPOINTMENT,
        sms_params=(),
        card_title=_("Appointment reminder"),
        card_description=_("You have an upcoming appointment. Please sign in to Nuanxin for the details."),
    ),
    MessageKind.TASK: Template(
        sms_key=MessageKind.TASK,
        sms_params=(),
        card_title=_("Work waiting for you"),
        card_description=_("Something is waiting for you in Nuanxin. Please sign in to see it."),
    ),
    MessageKind.NOTICE: Template(
        sms_key=MessageKind.NOTICE,
        sms_params=(),
        card_title=_("New message"),
        card_description=_("You have a new message in Nuanxin. Please sign in to read it."),
    ),
}

# Templates sent directly through portal.channels.sms.send_template, not through the outbox.
SMS_ONLY: dict[str, tuple[tuple[str, ...], str]] = {
    VERIFICATION_CODE: (("code",), _("Your Nuanxin verification code is %(code)s. It is valid for 10 minutes.")),
}

CARD_BUTTON = _("Open")


def template_for(kind: str) -> Template:
    """The wording of a kind of message; an unknown kind (a row from a newer version) reads as a notice."""
    return TEMPLATES.get(kind, TEMPLATES[MessageKind.NOTICE])


def sms_params_for(kind: str) -> tuple[str, dict]:
    """(template key, parameters) of the SMS for a reminder of this kind: no parameters at all."""
    template = template_for(kind)
    return template.sms_key, {}


def sms_text(template: str, params: dict, *, language: str | None = None) -> str:
    """The wording of an SMS template, for the compatibility gateway (SMS_BACKEND) and the log."""
    with override(language or settings.LANGUAGE_CODE):
        if template in SMS_ONLY:
            allowed, text = SMS_ONLY[template]
            return str(text) % {name: str(params.get(name, "")) for name in allowed}
        return str(template_for(template).card_description)


@dataclass(frozen=True)
class Card:
    title: str
    description: str
    url: str
    btntxt: str


def wecom_card(kind: str, path: str, *, language: str | None = None) -> Card:
    """The WeCom text card of a reminder of this kind: fixed wording and a deep link to `path` in the portal."""
    template = template_for(kind)
    with override(language or settings.LANGUAGE_CODE):
        return Card(
            title=str(template.card_title),
            description=str(template.card_description),
            url=f"{settings.SITE_URL}{path or '/'}",
            btntxt=str(CARD_BUTTON),
        )
