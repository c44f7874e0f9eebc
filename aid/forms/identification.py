"""Forms of the identification area: they parse and validate; the services decide and write.

Every text field refuses control characters (NUL breaks PostgreSQL text) and is capped at the length the
service accepts; money is Decimal ≥ 0 with at most 12 digits, so bad input is a form error, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from aid.models import Notice, SpecialStatus, Tier
from portal.kernel.files import check_document
from portal.kernel.form_marks import mark_required
from portal.models import College, User
from portal.validators import validate_no_control_chars

STATEMENT_MAX = 5000
REASON_MAX = 2000
EVALUATION_REASON_MAX = 300

PLEDGE_TEXT = _(
    "I pledge that the information I have given about my family and its finances is true and complete. "
    "I understand that the school may verify it, including by a home visit, and that false information "
    "leads to the identification being revoked, aid being reclaimed and disciplinary measures."
)

HARDSHIP_TIER_CHOICES = [(t.value, t.label) for t in (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL)]


def _text(label, *, max_length: int, required: bool = True, rows: int = 3, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=True,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _money(label, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


class _NoTagForm(forms.Form):
    """The page writes the <form> tag (one page holds several forms); crispy renders the fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


# --- The student's application -----------------------------------------------------------------------


class ApplicationForm(_NoTagForm):
    mid_year = forms.BooleanField(
        label=_("This is a mid-year application after a sudden change in my family"), required=False
    )
    household_size = forms.IntegerField(label=_("Household size"), min_value=1, max_value=30, required=False)
    household_income = _money(_("Household income per year (yuan)"))
    household_debt = _money(_("Household debt (yuan)"))
    special_statuses = forms.MultipleChoiceField(
        label=_("Special statuses"),
        required=False,
        choices=SpecialStatus.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    statement = _text(
        _("Your family's situation in your own words"),
        max_length=STATEMENT_MAX,
        required=False,
        rows=6,
        help_text=_("Seen only by you and the aid staff reviewing your application."),
    )
    # Not needed to save a draft, so the submit view checks it; the page marks it and says when it is needed.
    pledge = mark_required(
        forms.BooleanField(label=_("I accept the pledge above"), required=False),
        hint=_("Needed to submit. Saving a draft does not need it. No stamped certificates are needed."),
    )


class FamilyMemberForm(forms.Form):
    relation = forms.CharField(
        label=_("Relation"), max_length=20, required=False, validators=[validate_no_control_chars]
    )
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    occupation = forms.CharField(
        label=_("Occupation"), max_length=50, required=False, validators=[validate_no_control_chars]
    )
    annual_income = _money(_("Income per year (yuan)"))

    def clean(self) -> dict:
        data = super().clean()
        filled = any(data.get(f) not in (None, "") for f in ("age", "occupation", "annual_income"))
        if filled and not data.get("relation"):
            self.add_error("relation", _("Give the relation to you."))
        return data


class _BaseFamilyFormSet(forms.BaseFormSet):
    def members(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data.get("relation")]


FamilyMemberFormSet = forms.formset_factory(
    FamilyMemberForm, formset=_BaseFamilyFormSet, extra=2, max_num=15, validate_max=True, absolute_max=15
)


class DocumentForm(_NoTagForm):
    file = forms.FileField(
        label=_("File to upload"),
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_document(upload)  # raises ValidationError with the user's message
        return upload


# --- Review actions ------------------------------------------------------------------------------------


class ConfirmForm(_NoTagForm):
    """No fields: the button is the decision; the timeline records who and when."""


class ReasonForm(_NoTagForm):
    reason = _text(_("Reason"), max_length=REASON_MAX)


class TierForm(_NoTagForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    note = _text(_("Note (optional)"), max_length=REASON_MAX, required=False, rows=2)


class SchoolTierForm(_NoTagForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)


class ApproveForm(_NoTagForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=HARDSHIP_TIER_CHOICES)


class AdjustForm(_NoTagForm):
    tier = forms.ChoiceField(label=_("New tier"), choices=HARDSHIP_TIER_CHOICES)
    reason = _text(_("Reason"), max_length=REASON_MAX)


class AppealForm(_NoTagForm):
    reason = _text(_("Why the decision should be reconsidered"), max_length=REASON_MAX, rows=4)


class AppealAnswerForm(_NoTagForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Identify")), ("reject", _("Keep: not identified"))]
    )
    tier = forms.ChoiceField(
        label=_("Tier (when identifying)"), choices=[("", "—"), *HARDSHIP_TIER_CHOICES], required=False
    )
    answer = _text(_("Answer to the student"), max_length=REASON_MAX)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "approve" and not data.get("tier"):
            self.add_error("tier", _("Choose the tier."))
        return data


class ObjectionAnswerForm(_NoTagForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("dismiss", _("Dismiss")), ("uphold", _("Uphold"))])
    tier = forms.ChoiceField(label=_("New tier (when upheld)"), choices=[("", "—"), *Tier.choices], required=False)
    answer = _text(_("Answer (kept on record)"), max_length=REASON_MAX)


class EvaluationForm(_NoTagForm):
    suggested_tier = forms.ChoiceField(label=_("Suggested tier"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("Short reason"),
        max_length=EVALUATION_REASON_MAX,
        validators=[validate_no_control_chars],
    )


class ObjectionForm(_NoTagForm):
    reason = _text(_("Reason for the objection"), max_length=REASON_MAX, rows=3)


# --- Evaluation group and notices -------------------------------------------------------------------------


class _UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class EvaluationGroupForm(forms.Form):
    students = _UserChoiceField(
        label=_("Students of the class"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff = _UserChoiceField(
        label=_("Teachers and staff"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, students=None, staff=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = students if students is not None else User.objects.none()
        self.fields["staff"].queryset = staff if staff is not None else User.objects.none()
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save members")))

    def members(self) -> list[User]:
        return [*self.cleaned_data["students"], *self.cleaned_data["staff"]]


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Notice.Kind.choices)
    college = forms.ModelChoiceField(label=_("College"), queryset=College.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_no_control_chars])
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, colleges: Iterable[College] = (), kinds=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["college"].queryset = College.objects.filter(pk__in=[c.pk for c in colleges])
        if kinds is not None:
            self.fields["kind"].choices = [(k, label) for k, label in Notice.Kind.choices if k in kinds]
        self.helper = FormHelper()
        self.helper.add_input(Submit("publish", _("Publish")))


class ReviewFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(
        label=_("Name or student number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )

    def __init__(self, *args: object, statuses=(), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *statuses]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-4"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-primary"))
