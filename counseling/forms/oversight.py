"""Forms of the oversight pages: the monthly zero report and the month picker. Parse and validate only."""

from __future__ import annotations

import re
from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import ClassGroup
from portal.validators import validate_no_control_chars

ZERO_NOTE_MAX = 2000  # the service's limit, checked here first so the message names the field
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class ZeroReportForm(forms.Form):
    NOTHING = "nothing"
    CONCERN = "concern"

    class_group = forms.TypedChoiceField(label=_("Class"), coerce=int)
    outcome = forms.ChoiceField(
        label=_("This month"),
        choices=[(NOTHING, _("Nothing to report")), (CONCERN, _("I want to note a concern"))],
        widget=forms.RadioSelect,
        initial=NOTHING,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=ZERO_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[validate_no_control_chars],
        help_text=_(
            "About the class as a whole, in a few sentences. Worried about one student? Use the concern report "
            "form instead, so the station can act on it at once."
        ),
    )

    def __init__(self, *args: object, classes: list[ClassGroup], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["class_group"].choices = [(c.pk, c.name) for c in classes]
        if len(classes) == 1:
            self.initial.setdefault("class_group", classes[0].pk)
            self.fields["class_group"].widget = forms.HiddenInput()
        self.helper = FormHelper()
        self.helper.add_input(Submit("file", _("File this month's report"), css_class="btn-primary"))

    def clean(self) -> dict:
        data = super().clean()
        if isinstance(self.fields["class_group"].widget, forms.HiddenInput) and self.has_error("class_group"):
            # An error on a hidden field is not shown next to anything: say it where it is seen.
            self.add_error(None, _("The form was incomplete. Check it and send it again."))
        if data.get("outcome") == self.CONCERN and not (data.get("note") or "").strip():
            self.add_error("note", _("Describe what you want to report, or choose 'nothing to report'."))
        return data

    @property
    def nothing_to_report(self) -> bool:
        return self.cleaned_data["outcome"] == self.NOTHING


def parse_month(value: str) -> date | None:
    """'2025-03' → date(2025, 3, 1); anything else (or a month before 2000) → None."""
    match = MONTH_RE.match(value.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 9999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class MonthForm(forms.Form):
    """?month=YYYY-MM on the zero-report overview; the view falls back to this month on bad input."""

    month = forms.CharField(
        label=_("Month"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.add_input(Submit("", _("Show")))

    def clean_month(self) -> date | None:
        value = self.cleaned_data["month"]
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Choose a month as YYYY-MM."), code="month")
        return month
