"""Forms of self-service activation and password reset (portal.activation): format checks only.

Every field is normalised first (full-width digits and letters to ASCII, spaces removed), so "２０２４ 0001"
works; anything else odd (Uyghur or Chinese script, SQL, 10,000 characters) gets a message by its field.
"""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.activation import normalise_input
from portal.models import User

LOGIN_MAX = 20
_LOGIN_RE = re.compile(r"^[A-Za-z0-9._@+-]+$")
_ID_TAIL_RE = re.compile(r"^\d{5}[\dX]$")
_CODE_RE = re.compile(r"^\d{6}$")
# Long enough for any passphrase; the password field of the sign-in page takes as much.
PASSWORD_MAX = 128


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class _LoginField(forms.CharField):
    def __init__(self, *, label: str, help_text: str = "") -> None:
        super().__init__(
            label=label,
            help_text=help_text,
            # Checked after normalising (full-width digits count once): a longer raw value still gets a message.
            max_length=200,
            widget=forms.TextInput(
                attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "inputmode": "text"}
            ),
            error_messages={
                "required": _("Enter your student or employee number."),
                "max_length": _("A student or employee number has at most 20 characters."),
            },
        )

    def clean(self, value: object) -> str:
        value = normalise_input(super().clean(value))
        if len(value) > LOGIN_MAX:
            raise ValidationError(_("A student or employee number has at most 20 characters."), code="max_length")
        if not _LOGIN_RE.match(value):
            raise ValidationError(
                _("A student or employee number has only letters, digits and . @ + - _ (as on your card)."),
                code="format",
            )
        return value


class CodeRequestForm(forms.Form):
    """Reset, step 1: the 学号 or 工号 whose phone on record gets a code."""

    login = _LoginField(label=_("Student or employee number"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ActivationRequestForm(forms.Form):
    """Activation, step 1: the 学号 and the last 6 characters of the ID-card number on the roster."""

    login = _LoginField(label=_("Student number"))
    id_tail = forms.CharField(
        label=_("Last 6 characters of your ID-card number"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter the last 6 characters of your ID-card number."),
            "max_length": _("Enter exactly the last 6 characters of your ID-card number."),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Student number")
        self.helper = _helper()

    def clean_id_tail(self) -> str:
        value = normalise_input(self.cleaned_data["id_tail"]).upper()
        if not _ID_TAIL_RE.match(value):
            raise ValidationError(
                _("Enter exactly the last 6 characters of your ID-card number: digits, the last may be X."),
                code="format",
            )
        return value


class SetPasswordByCodeForm(forms.Form):
    """Step 2 of activation and of reset: the number again, the code from the SMS, the new password twice."""

    login = _LoginField(label=_("Student or employee number"))
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter the 6-digit code from the SMS."),
            "max_length": _("The code from the SMS has 6 digits."),
        },
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
        error_messages={"required": _("Choose a new password.")},
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the new password again.")},
    )

    def __init__(self, *args: object, login_label: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if login_label:
            self.fields["login"].label = login_label
        self.helper = _helper()

    def clean_code(self) -> str:
        value = normalise_input(self.cleaned_data["code"])
        if not _CODE_RE.match(value):
            raise ValidationError(_("The code from the SMS has 6 digits."), code="format")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ. Type the same password twice."))
        elif first:
            # Without the account (the number may match nobody): similarity to the number typed, length, common,
            # all digits. The service checks again against the account once the code is right.
            try:
                password_validation.validate_password(first, User(username=cleaned.get("login") or ""))
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned
