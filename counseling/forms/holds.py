"""The centre's form for a held burst of anonymous reports: dismiss what is left, with a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.services.holds import DISMISS_REASON_MAX
from portal.validators import validate_no_control_chars


class HoldDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are the reports still waiting dismissed?"),
        max_length=DISMISS_REASON_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail. Dismissed reports are not deleted."),
    )
