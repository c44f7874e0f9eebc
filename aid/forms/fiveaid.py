"""Forms of the five-aid cases: they parse and validate; the services decide and write.

Free text refuses control characters (NUL breaks PostgreSQL text) and is capped at the service's limit,
so bad input comes back as a form error, never a 500.
"""

from __future__ import annotations

import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models import Aid, FiveAidEntry
from aid.services.fiveaid import FIVEAID_NOTE_MAX, FIVEAID_PLAN_MAX, FIVEAID_REVIEW_MAX, FIVEAID_TITLE_MAX
from portal.validators import validate_no_control_chars

ENTRY_AIDS = [(aid, label) for aid, label in Aid.choices if aid in FiveAidEntry.KINDS_BY_AID]


def _text(label: str, *, max_length: int, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _PanelForm(forms.Form):
    """The page writes the <form> tag (its action); crispy renders the fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        # One page shows several panels, two of them with a `note`: ids carry the form's name, so each label
        # points at its own field.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )
    college = forms.TypedChoiceField(label=_("College"), required=False, coerce=int, empty_value=None)
    missing = forms.ChoiceField(label=_("Without help yet"), required=False, choices=[("", _("Any")), *Aid.choices])
    graduates = forms.BooleanField(label=_("Graduates not yet placed"), required=False)
    xinjiang = forms.BooleanField(label=_("Xinjiang graduates' programme"), required=False)

    def __init__(self, *args: object, colleges: list = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = [("", _("All colleges")), *((c.pk, c.name) for c in colleges)]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-2"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-primary"))


class PlanForm(_PanelForm):
    aid = forms.ChoiceField(label=_("Aid"), choices=Aid.choices)
    text = _text(_("Plan"), max_length=FIVEAID_PLAN_MAX, required=False, rows=2)


class EntryForm(_PanelForm):
    aid = forms.ChoiceField(label=_("Aid"), choices=ENTRY_AIDS)
    kind = forms.ChoiceField(label=_("Kind"), choices=FiveAidEntry.Kind.choices)
    title = forms.CharField(label=_("What"), max_length=FIVEAID_TITLE_MAX, validators=[validate_no_control_chars])
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = _text(_("Note"), max_length=FIVEAID_NOTE_MAX, required=False, rows=2)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def clean(self) -> dict:
        data = super().clean()
        aid, kind = data.get("aid"), data.get("kind")
        if aid and kind and kind not in FiveAidEntry.KINDS_BY_AID[aid]:
            self.add_error("kind", _("Choose a kind that belongs to this aid."))
        return data


class ReviewForm(_PanelForm):
    term = forms.ChoiceField(label=_("Term"))
    summary = _text(_("Summary of the term"), max_length=FIVEAID_REVIEW_MAX, rows=4)

    def __init__(self, *args: object, terms: list[tuple[str, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = list(terms)


class EmploymentForm(_PanelForm):
    placed = forms.BooleanField(label=_("Placed in work"), required=False)
    xinjiang_programme = forms.BooleanField(label=_("Xinjiang graduates' programme"), required=False)


class ReferralForm(_PanelForm):
    note = _text(_("Why you refer the student (only the counselling station reads this)"), max_length=2000)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].initial = uuid.uuid4()
