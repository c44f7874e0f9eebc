"""Forms of screening: the questionnaire, a campaign, an invitation and its answer. Parse and validate only."""

from __future__ import annotations

import uuid
from datetime import timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling import instruments
from counseling.models import Instrument, Slot
from portal.validators import validate_no_control_chars

NOTHING_SAVED = _("Nothing was saved: please choose one answer for every question.")


class ScreeningForm(forms.Form):
    """One page, every item required, each answered with one of its options (0–3 for PHQ-9/GAD-7; yes/no,
    1–5 … for a loaded instrument), rendered from the instrument's current definition. The hidden key makes
    a resubmit save once."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self, *args: object, instrument: str, definition: instruments.Definition | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec = definition or instruments.definition(instrument)
        if self.spec is None:
            raise instruments.ScoringError(f"unknown instrument {instrument!r}")
        invalid = (
            _("Choose one of the four answers.")
            if instrument in instruments.INSTRUMENTS
            else _("Choose one of the answers.")
        )
        for item in self.spec.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=item.text.pick(),
                choices=[(str(option.value), option.label.pick()) for option in item.options],
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
                error_messages={"required": _("Choose an answer."), "invalid_choice": invalid},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{n}"] for n in range(1, len(self.spec.items) + 1)]

    def clean(self) -> dict:
        cleaned = super().clean()
        # A crafted request may send a field twice (item_1=0&item_1=3); Django would keep the last one
        # silently. One answer per question, or nothing is saved.
        if hasattr(self.data, "getlist"):
            for name in self.fields:
                if len(self.data.getlist(self.add_prefix(name))) > 1:
                    self.add_error(name, _("Choose one answer only."))
        if self.errors:
            raise forms.ValidationError(NOTHING_SAVED)
        return cleaned

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, len(self.spec.items) + 1)]


class CampaignForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        validators=[validate_no_control_chars],
        help_text=_("e.g. 2025级新生心理普查"),
    )
    enrolment_year = forms.TypedChoiceField(label=_("Enrolment year"), coerce=int, choices=())
    opens_on = forms.DateField(label=_("Opens"), widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label=_("Closes"), widget=forms.DateInput(attrs={"type": "date"}))
    instruments = forms.MultipleChoiceField(
        label=_("Questionnaires"),
        choices=(),
        initial=list(Instrument.values),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Students answer them in the order listed."),
    )

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Every instrument that may be chosen now: PHQ-9, GAD-7 and the active loaded ones.
        self.fields["instruments"].choices = [
            (d.code, f"{d.name} · {d.title.pick()}") for d in instruments.available_definitions()
        ]
        self.fields["enrolment_year"].choices = [(y, str(y)) for y in years]
        if years:
            self.fields["enrolment_year"].initial = years[0]
        today = timezone.localdate()
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + timedelta(days=14)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict:
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("The campaign must close on or after the day it opens."))
        return cleaned


class InvitationForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the student (optional)"),
        max_length=500,
        required=False,
        validators=[validate_no_control_chars],
        widget=forms.TextInput(attrs={"placeholder": _("e.g. I would be glad to meet you this week.")}),
    )


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Slot) -> str:
        start = timezone.localtime(obj.starts_at)
        return f"{start:%m-%d %H:%M} · {obj.get_mode_display()}"


class InvitationAcceptForm(forms.Form):
    slot = SlotChoiceField(
        label=_("Choose a time"),
        queryset=Slot.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose a time."), "invalid_choice": _("That time is no longer available.")},
    )
    consent = forms.BooleanField(
        label=_(
            "I agree to talk with a counsellor. What I say stays confidential, except where my safety or "
            "someone else's is at risk."
        ),
        error_messages={"required": _("Please give your consent to book.")},
    )

    def __init__(self, *args: object, slots: QuerySet[Slot], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.helper = FormHelper()
        self.helper.form_tag = False
