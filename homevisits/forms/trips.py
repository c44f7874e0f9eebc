"""Forms of trips: they parse and validate; the services decide and write.

Free text refuses control characters (NUL breaks PostgreSQL text) and is capped, so bad input comes back
as a form error, never a 500.
"""

from __future__ import annotations

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from homevisits.models import GuardianContact
from homevisits.services.trips import BRIEFING_MAX, GUARDIAN_SUMMARY_MAX, REPORT_MAX
from portal.models import User
from portal.validators import validate_no_control_chars

NC = [validate_no_control_chars]


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _helper(submit: str | None = None, *, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit:
        helper.add_input(Submit("", submit, css_class="btn-primary"))
    return helper


class TripForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200, validators=NC)
    regions = forms.CharField(label=_("Regions"), max_length=300, validators=NC)
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none())
    members = forms.ModelMultipleChoiceField(label=_("Team members"), queryset=User.objects.none(), required=False)
    starts_on = _date(_("Departs"))
    ends_on = _date(_("Returns"))
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), max_digits=10, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1e7")
    )
    briefing = forms.CharField(
        label=_("Pre-trip briefing"), required=False, max_length=BRIEFING_MAX, validators=NC, widget=forms.Textarea
    )

    def __init__(self, *args: object, team: forms.Field | None = None, office: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from portal.models import Role, RoleAssignment

        team_ids = (
            RoleAssignment.objects.current().filter(role__in=(Role.VISIT_TEAM, Role.AID_OFFICER)).values("user_id")
        )
        staff = User.objects.filter(pk__in=team_ids, is_active=True).order_by("username")
        self.fields["leader"].queryset = staff
        self.fields["members"].queryset = staff
        if not office:
            del self.fields["leader"]  # a team member creating a trip leads it
        self.fields["year"].initial = timezone.localdate().year
        self.helper = _helper(str(_("Save")))

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The return date must not be before the departure date."))
        return data


class StopForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=30, validators=NC)
    prefecture = forms.CharField(label=_("Prefecture"), max_length=50, required=False, validators=NC)
    county = forms.CharField(label=_("County"), max_length=50, required=False, validators=NC)
    planned_on = _date(_("Planned date"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Add stop")))


class CandidateFilterForm(forms.Form):
    college = forms.TypedChoiceField(label=_("College"), required=False, coerce=int, empty_value=None)
    enrolment_year = forms.IntegerField(label=_("Enrolment year"), required=False, min_value=1990, max_value=2100)
    ethnicity = forms.CharField(label=_("Ethnicity"), required=False, max_length=20, validators=NC)
    priority_only = forms.BooleanField(label=_("Only students with a priority reason"), required=False)

    def __init__(self, *args: object, colleges: list = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = [("", _("All colleges")), *((c.pk, c.name) for c in colleges)]
        self.helper = _helper(str(_("Filter")))
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-3"


class AddStudentForm(forms.Form):
    student = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    stop = forms.TypedChoiceField(label=_("Stop on the route"), coerce=int)

    def __init__(self, *args: object, stops: list = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stop"].choices = [(s.pk, f"{s.position}. {s} ({s.planned_on})") for s in stops]


class ExpenseForm(forms.Form):
    spent_on = _date(_("Date"))
    category = forms.CharField(label=_("Category"), max_length=50, validators=NC)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("1e7")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False, validators=NC)
    receipt = forms.FileField(label=_("Receipt (PDF, JPEG or PNG, at most 5 MB)"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Add expense")))
        self.helper.form_enctype = "multipart/form-data"

    def clean_receipt(self):
        from portal.kernel.files import check_document

        upload = self.cleaned_data.get("receipt")
        if upload:
            check_document(upload)  # raises ValidationError with the user's message
        return upload


class ReportForm(forms.Form):
    report = forms.CharField(label=_("Trip report"), max_length=REPORT_MAX, validators=NC, widget=forms.Textarea)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Submit report")))


class GuardianContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("How"), choices=GuardianContact.Kind.choices)
    contacted_on = _date(_("Date"))
    summary = forms.CharField(
        label=_("Summary"), max_length=GUARDIAN_SUMMARY_MAX, validators=NC, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacted_on"].initial = timezone.localdate()
        self.helper = _helper(str(_("Add contact")))

    def clean_contacted_on(self):
        day = self.cleaned_data["contacted_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day
