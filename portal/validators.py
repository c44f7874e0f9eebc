"""Validators for the people we hold: ID-card numbers (GB 11643-1999), phones, names."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_card_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_card(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def validate_id_card(value: str) -> None:
    value = normalise_id_card(value)
    if not _ID_RE.match(value):
        raise ValidationError(_("An ID-card number has 18 characters: 17 digits and a digit or X."), code="format")
    if id_card_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("The ID-card number's check digit is wrong."), code="checksum")


def mask_id_card(value: str) -> str:
    """4201**********1234: enough to tell two people apart, not enough to use."""
    value = normalise_id_card(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def normalise_phone(value: str) -> str:
    value = value.strip().replace(" ", "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_phone(value: str) -> None:
    value = normalise_phone(value)
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise ValidationError(
            _("Enter an 11-digit mobile number (13800138000) or a landline with area code (027-12345678)."),
            code="phone",
        )


def validate_no_control_chars(value: str) -> None:
    """NUL and other control characters break PostgreSQL text and hide content; refuse them."""
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError(_("The text contains control characters; remove them and try again."), code="control")
