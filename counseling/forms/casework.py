"""Forms of the staff casework: they parse and validate; the services decide and write.

Every free-text field refuses control characters (NUL breaks PostgreSQL text) and is capped at the
length the service accepts, so bad input comes back as a form error, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.models import NARRATIVE_MAX, Assessment, Case, InterventionAction, Level
from portal.models import User
from portal.validators import validate_no_control_chars

REASON_MAX = 2000
QUESTION_MAX = 2000

LEVEL_CHOICES = [(str(value), label) for value, label in Level.choices]
OPTIONAL_LEVEL_CHOICES = [("", _("not rated")), *LEVEL_CHOICES]
STATUS_FILTER_ALL = "all"


def _text(label: str, *, max_length: int, required: bool = True, rows: int = 3, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _user_label(user: User) -> str:
    return user.display_name


class _CaseworkForm(forms.Form):
    """The page writes the <form> tag itself (its action and htmx attributes); crispy renders the fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


# --- Triage queue filter -----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )
    level = forms.TypedChoiceField(
        label=_("Level"), required=False, coerce=int, empty_value=None, choices=[("", _("All levels")), *LEVEL_CHOICES]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open cases")), *Case.Status.choices, (STATUS_FILTER_ALL, _("All, including closed"))],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-3"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-primary"))


class CareListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )
    everyone = forms.BooleanField(label=_("Include students not on the care list"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-3"
        self.helper.add_input(Submit("", _("Search"), css_class="btn-primary"))


# --- Case actions ------------------------------------------------------------------------------------


class AcknowledgeForm(_CaseworkForm):
    """No fields: acknowledging is one click; the timeline records who and when."""


class LevelForm(_CaseworkForm):
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, choices=LEVEL_CHOICES)
    self_harm_level = forms.TypedChoiceField(
        label=_("Risk of self-harm"), required=False, coerce=int, empty_value=None, choices=OPTIONAL_LEVEL_CHOICES
    )
    others_harm_level = forms.TypedChoiceField(
        label=_("Risk of harm to others"), required=False, coerce=int, empty_value=None, choices=OPTIONAL_LEVEL_CHOICES
    )
    reason = _text(_("Reason"), max_length=REASON_MAX, rows=2)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for the level."))
        return reason


class OwnerForm(_CaseworkForm):
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args: object, candidates: Iterable[User] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        self.fields["owner"].choices = [("", "—"), *((pk, _user_label(u)) for pk, u in self.candidates.items())]

    def clean_owner(self) -> User:
        return self.candidates[self.cleaned_data["owner"]]


class TouchpointForm(_CaseworkForm):
    on = forms.DateField(label=_("Next touchpoint"), widget=forms.DateInput(attrs={"type": "date"}))
    note = _text(_("Note"), max_length=REASON_MAX, required=False, rows=2)


class StatusForm(_CaseworkForm):
    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.ChoiceField(
        label=_("Reason for closing"), required=False, choices=[("", "—"), *Case.CloseReason.choices]
    )
    note = _text(_("Note"), max_length=REASON_MAX, required=False, rows=2)

    def __init__(self, *args: object, choices: Iterable[tuple[str, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = list(choices)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("to_status") == Case.Status.CLOSED and not data.get("reason"):
            self.add_error("reason", _("Choose why the case is closed."))
        return data


class NoteForm(_CaseworkForm):
    note = _text(_("Note"), max_length=NARRATIVE_MAX, rows=3)

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("The note is empty."))
        return note


class AssessorsForm(_CaseworkForm):
    assessors = forms.TypedMultipleChoiceField(
        label=_("Crisis assessment group"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, candidates: Iterable[User] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        self.fields["assessors"].choices = [(pk, _user_label(u)) for pk, u in self.candidates.items()]

    def clean_assessors(self) -> list[User]:
        return [self.candidates[pk] for pk in self.cleaned_data["assessors"]]


class AssessmentForm(_CaseworkForm):
    risk_factors = _text(_("Risk factors"), max_length=NARRATIVE_MAX)
    protective_factors = _text(_("Protective factors"), max_length=NARRATIVE_MAX)
    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[("", "—"), *Assessment.Conclusion.choices],
        help_text=_('Use "screening positive" or "at risk": counsellors do not diagnose.'),
    )
    conclusion_note = _text(_("Notes"), max_length=NARRATIVE_MAX, required=False)


class ActionForm(_CaseworkForm):
    kind = forms.ChoiceField(label=_("Action"), choices=[("", "—"), *InterventionAction.Kind.choices])
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    hospital = forms.CharField(
        label=_("Hospital"),
        required=False,
        max_length=100,
        validators=[validate_no_control_chars],
        help_text=_("For a hospital referral."),
    )
    referral_date = forms.DateField(
        label=_("Referral date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = _text(_("Notes"), max_length=NARRATIVE_MAX, required=False, rows=2)

    def __init__(self, *args: object, candidates: Iterable[User] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        self.fields["owner"].choices = [("", "—"), *((pk, _user_label(u)) for pk, u in self.candidates.items())]

    def clean_owner(self) -> User:
        return self.candidates[self.cleaned_data["owner"]]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == InterventionAction.Kind.HOSPITAL:
            if not (data.get("hospital") or "").strip():
                self.add_error("hospital", _("Name the hospital for a hospital referral."))
            if not data.get("referral_date"):
                self.add_error("referral_date", _("Give the referral date."))
        return data


class ActionDoneForm(_CaseworkForm):
    outcome = _text(_("Outcome"), max_length=NARRATIVE_MAX, required=False, rows=2)


class QuestionForm(_CaseworkForm):
    question = _text(
        _("Question to the reporter"),
        max_length=QUESTION_MAX,
        rows=2,
        help_text=_("The reporter sees only your question, never the case."),
    )

    def clean_question(self) -> str:
        question = self.cleaned_data["question"].strip()
        if not question:
            raise forms.ValidationError(_("The question is empty."))
        return question


class MatchForm(_CaseworkForm):
    student_no = forms.CharField(
        label=_("Student number (学号)"), max_length=20, validators=[validate_no_control_chars]
    )


# --- Care file ---------------------------------------------------------------------------------------

OVERRIDE_NONE = "none"  # not on the care list
OVERRIDE_CLEAR = "clear"  # back to the level derived from open cases


class CareLevelOverrideForm(_CaseworkForm):
    level = forms.ChoiceField(
        label=_("Care level"),
        choices=[
            ("", "—"),
            *LEVEL_CHOICES,
            (OVERRIDE_NONE, _("not on the care list")),
            (OVERRIDE_CLEAR, _("no manual level: follow the open cases")),
        ],
    )
    reason = _text(
        _("Reason"),
        max_length=REASON_MAX,
        required=False,
        rows=2,
        help_text=_("Required, except when going back to the level from the open cases."),
    )

    def clean(self) -> dict:
        data = super().clean()
        choice = data.get("level")
        if choice and choice != OVERRIDE_CLEAR and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for changing the level by hand."))
        return data

    def level_value(self) -> int | None:
        choice = self.cleaned_data["level"]
        return None if choice in (OVERRIDE_NONE, OVERRIDE_CLEAR) else int(choice)
