"""Forms of postvention: they parse and validate; counseling.services.postvention decides and writes.

Choice lists (assignees, suggested contacts) are given by the view from the plan, so an id outside them is a
form error; the services check again.
"""

from __future__ import annotations

from collections.abc import Iterable

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.models import CHECKIN_NOTE_MAX, CONTACT_NAME_MAX, INCIDENT_NARRATIVE_MAX, CheckIn, CriticalIncident
from counseling.models import PostventionContact as Contact
from portal.models import User
from portal.validators import validate_no_control_chars

STUDENT_NO_MAX = 20


class _PostventionForm(forms.Form):
    """The page writes the <form> tag itself (its action and htmx attributes); crispy renders the fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def _student_no(required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=_("Student number (学号)"),
        required=required,
        max_length=STUDENT_NO_MAX,
        validators=[validate_no_control_chars],
    )


class IncidentForm(_PostventionForm):
    kind = forms.ChoiceField(label=_("Kind of incident"), choices=[("", "—"), *CriticalIncident.Kind.choices])
    occurred_on = forms.DateField(label=_("Date of the incident"), widget=forms.DateInput(attrs={"type": "date"}))
    student_no = _student_no()
    case_number = forms.IntegerField(
        label=_("Case number"), required=False, min_value=1, max_value=2_147_483_647, help_text=_("Optional.")
    )
    narrative = forms.CharField(
        label=_("What happened"),
        max_length=INCIDENT_NARRATIVE_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen by the centre and the student's college station only."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student_no"].help_text = _("Optional: the student the incident is about.")


class PlanOpenForm(_PostventionForm):
    case_number = forms.IntegerField(label=_("Case number"), min_value=1, max_value=2_147_483_647)


class ContactForm(_PostventionForm):
    student_no = _student_no()
    name = forms.CharField(
        label=_("Or a name (someone not on the roster)"),
        required=False,
        max_length=CONTACT_NAME_MAX,
        validators=[validate_no_control_chars],
    )
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", "—"), *Contact.Relation.choices])

    def clean(self) -> dict:
        data = super().clean()
        student_no = (data.get("student_no") or "").strip()
        name = (data.get("name") or "").strip()
        if bool(student_no) == bool(name):
            raise forms.ValidationError(_("Give a student number or a name, not both."))
        data["student_no"], data["name"] = student_no, name
        return data


class SuggestedContactsForm(_PostventionForm):
    students = forms.TypedMultipleChoiceField(
        label=_("People around the student"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, suggestions: Iterable = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = {s.student.pk: s for s in suggestions}
        relations = dict(Contact.Relation.choices)
        self.fields["students"].choices = [
            (pk, f"{s.student.name} {s.student.student_no} · {relations[s.relation]}")
            for pk, s in self.suggestions.items()
        ]


class CheckInAssignForm(_PostventionForm):
    assignee = forms.TypedChoiceField(label=_("Who checks in"), coerce=int)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, candidates: Iterable[User] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        self.fields["assignee"].choices = [("", "—"), *((pk, u.display_name) for pk, u in self.candidates.items())]

    def clean_assignee(self) -> User:
        return self.candidates[self.cleaned_data["assignee"]]


class CheckInOutcomeForm(_PostventionForm):
    outcome = forms.ChoiceField(
        label=_("How is the person?"),
        choices=[
            (CheckIn.Outcome.FINE, _("Doing fine")),
            (CheckIn.Outcome.WORRIED, _("I am worried: send a report to the counsellors")),
            (CheckIn.Outcome.REFERRED, _("Referred to counselling (they agreed to see a counsellor)")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("A short note"),
        required=False,
        max_length=CHECKIN_NOTE_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. If you are worried, it goes with the report to the counsellors."),
    )
