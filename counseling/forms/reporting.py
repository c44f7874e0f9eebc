"""Forms of the reporting side: the report form, answers to the station's questions, the receipt look-up.

Parse and validate only. Who the subject is gets decided in the view (services.subject_resolve) so
that the form never tells a reporter whether a typed student exists.
"""

from __future__ import annotations

import uuid

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from counseling.models import NARRATIVE_MAX, Relation, Sign
from portal.kernel.form_marks import mark_required
from portal.models import Student
from portal.validators import validate_no_control_chars

ABOUT_ME = "me"
ABOUT_OTHER = "other"


class PickField(forms.ModelChoiceField):
    """A student from the reporter's quick-pick scope. Labels show name and 学号 only."""

    def label_from_instance(self, obj: Student) -> str:
        return f"{obj.name} · {obj.student_no}"


class ReportForm(forms.Form):
    about = forms.ChoiceField(
        label=_("Who is it about?"),
        choices=[(ABOUT_ME, _("Myself")), (ABOUT_OTHER, _("Another student"))],
        initial=ABOUT_OTHER,
        widget=forms.RadioSelect,
    )
    picked = PickField(label=_("Choose the student"), queryset=Student.objects.none(), required=False)
    student_no = forms.CharField(
        label=_("Student number (学号)"), max_length=20, required=False, validators=[validate_no_control_chars]
    )
    subject_name = forms.CharField(
        label=_("Name"), max_length=100, required=False, validators=[validate_no_control_chars]
    )
    subject_class = forms.CharField(
        label=_("Class"),
        max_length=100,
        required=False,
        validators=[validate_no_control_chars],
        help_text=_("If you know it, e.g. 软件2401班."),
    )
    # Needed only when the report is about another student: clean() checks it, the page marks it.
    relation = mark_required(
        forms.ChoiceField(
            label=_("You are their"),
            choices=[("", "—")] + [(v, label) for v, label in Relation.choices if v != Relation.SELF],
            required=False,
        ),
        hint=_("Needed when the report is about another student."),
    )
    signs = forms.MultipleChoiceField(
        label=_("What have you noticed?"),
        choices=Sign.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
    )
    narrative = forms.CharField(
        label=_("What happened?"),
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Describe briefly what you noticed."),
            "max_length": _(
                "The description is limited to %(limit_value)s characters; yours has %(show_value)s. Please shorten it."
            ),
        },
    )
    when_where = forms.CharField(
        label=_("When and where?"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. last night, dorm 3")}),
    )
    in_danger = forms.BooleanField(label=_("Someone is in danger right now"), required=False)
    anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("Your name is not stored. You get a code to check the status later."),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: object,
        pick_queryset: QuerySet[Student] | None = None,
        may_report_about_self: bool = False,
        signed_in: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.may_report_about_self = may_report_about_self
        self.fields["picked"].queryset = pick_queryset if pick_queryset is not None else Student.objects.none()
        if not signed_in:
            # A signed-out visitor can only report anonymously: there is nobody to name.
            self.fields["anonymous"].initial = True
            self.fields["anonymous"].disabled = True
            self.fields["anonymous"].help_text = _(
                "You are not signed in, so this report is anonymous. You get a code to check the status later."
            )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())
        elif not _is_uuid(self.data.get(self.add_prefix("idempotency_key"))):
            # A tampered or truncated form: give it a fresh token so the next send can succeed.
            self.data = self.data.copy()
            self.data[self.add_prefix("idempotency_key")] = str(uuid.uuid4())
            self._key_replaced = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_idempotency_key(self) -> uuid.UUID:
        if getattr(self, "_key_replaced", False):
            raise forms.ValidationError(_("The form was incomplete. Check it and send it again."))
        return self.cleaned_data["idempotency_key"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("about") == ABOUT_ME:
            if not self.may_report_about_self:
                self.add_error(
                    "about",
                    _("Reporting about yourself needs a signed-in student account. Name the student instead."),
                )
            return data
        if data.get("about") == ABOUT_OTHER:
            if not (data.get("picked") or data.get("student_no") or data.get("subject_name")):
                self.add_error(
                    "student_no", _("Tell us who it is: a student number, or a name (and class if you know it).")
                )
            if not data.get("relation"):
                self.add_error("relation", _("Choose how you know the student."))
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write an answer first."),
            "max_length": _("An answer is limited to %(limit_value)s characters; yours has %(show_value)s."),
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReceiptAnswerForm(AnswerForm):
    code = forms.CharField(widget=forms.HiddenInput, max_length=40)


class ReceiptLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        error_messages={"required": _("Enter the code you saved when you reported.")},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return False
    return True
