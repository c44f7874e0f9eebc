"""Forms from screening to care: an interview outcome, a campaign's new closing day. Parse and validate only."""

from __future__ import annotations

from datetime import timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import OUTCOME_NOTE_MAX, InterviewOutcome
from portal.validators import validate_no_control_chars


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Interview outcome"),
        choices=[("", _("Choose…")), *InterviewOutcome.Kind.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"required": _("Choose an outcome."), "invalid_choice": _("Choose one of the outcomes.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=OUTCOME_NOTE_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
        help_text=_("Seen only by the centre and the student's college station."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReopenForm(forms.Form):
    closes_on = forms.DateField(
        label=_("Open until"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
        error_messages={"required": _("Choose a closing day."), "invalid": _("Enter a valid date.")},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closes_on"].initial = timezone.localdate() + timedelta(days=7)
        self.helper = FormHelper()
        self.helper.form_tag = False
