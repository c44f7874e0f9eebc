"""The message preferences form: per kind of message, which channels besides the inbox."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.channels import preferences
from portal.models import MessageKind, MessagePreference, User

CHANNEL_FIELDS = (("email", _("E-mail")), ("sms", _("SMS")), ("wecom", _("WeCom")))


def field_name(kind: str, channel: str) -> str:
    return f"{kind}_{channel}"


class MessagePreferencesForm(forms.Form):
    """One checkbox per (kind the user may choose, channel the school has on). Crisis alerts to staff are not
    in it: they always go to every channel."""

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.kinds = preferences.kinds_for(user)
        self.channels = [
            (name, label)
            for name, label in CHANNEL_FIELDS
            if name == "email"
            or (name == "sms" and preferences.sms_enabled())
            or (name == "wecom" and preferences.wecom_enabled())
        ]
        rows = {row.kind: row for row in MessagePreference.objects.filter(user=user, kind__in=self.kinds)}
        for kind in self.kinds:
            current = preferences.choice_for(user, kind, email=True, rows=rows)
            for name, label in self.channels:
                self.fields[field_name(kind, name)] = forms.BooleanField(
                    label=label,
                    required=False,
                    initial=getattr(current, f"by_{name}"),
                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(kind label, its bound checkboxes) for the template's table."""
        return [
            (MessageKind(kind).label, [self[field_name(kind, name)] for name, _label in self.channels])
            for kind in self.kinds
        ]

    def choices(self) -> dict[str, preferences.Choice]:
        """The cleaned data as one Choice per kind (a channel the school has off keeps the saved value)."""
        rows = {row.kind: row for row in MessagePreference.objects.filter(user=self.user, kind__in=self.kinds)}
        result = {}
        for kind in self.kinds:
            current = preferences.choice_for(self.user, kind, email=True, rows=rows)
            values = {
                f"by_{name}": self.cleaned_data.get(field_name(kind, name), getattr(current, f"by_{name}"))
                for name, _label in CHANNEL_FIELDS
            }
            for name, _label in CHANNEL_FIELDS:
                if field_name(kind, name) not in self.fields:
                    values[f"by_{name}"] = getattr(current, f"by_{name}")
            result[kind] = preferences.Choice(**values)
        return result
