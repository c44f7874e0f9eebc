"""Forms of the funds area: parse and validate only (the services check again and decide)."""

from __future__ import annotations

import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aid.models import AcademicYear, Application, Fund, Party, Payment, Programme, Tier
from aid.services.funds import APPLICATION_STATEMENT_MAX, MAX_INSTALLMENTS
from portal.models import College
from portal.validators import validate_no_control_chars

# Digits, optionally thousands separated, and at most two decimal places: "1500", "1,500.50".
MONEY_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


class MoneyField(forms.CharField):
    """An amount in yuan as a Decimal: positive, two decimal places at most, never a float, no exponent
    ("1e9"), no NaN, and not above `maximum` when one is given."""

    def __init__(self, *, maximum: Decimal | None = None, max_digits: int = 10, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.maximum = maximum
        self.max_digits = max_digits
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"})

    def to_python(self, value: object) -> Decimal | None:
        text = super().to_python(value).strip().replace("，", ",").replace("．", ".")
        if text in self.empty_values:
            return None
        if text.startswith("-"):
            raise forms.ValidationError(_("The amount must be more than zero."), code="min_value")
        if len(text) > 20 or not MONEY_RE.match(text):
            raise forms.ValidationError(_("Enter an amount in yuan, for example 1500 or 1500.50."), code="invalid")
        amount = Decimal(text.replace(",", ""))
        if amount <= 0:
            raise forms.ValidationError(_("The amount must be more than zero."), code="min_value")
        if len(str(int(amount))) > self.max_digits - 2:
            raise forms.ValidationError(_("That amount is too large."), code="max_value")
        if self.maximum is not None and amount > self.maximum:
            raise forms.ValidationError(
                _("The most you can apply for is %(max)s yuan."),
                code="max_value",
                params={"max": f"{self.maximum:,.2f}"},
            )
        return amount

    def validate(self, value: object) -> None:
        if value in self.empty_values and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _helper(label: str | None = None, *, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    if label:
        helper.add_input(Submit("submit", label, css_class="btn-primary"))
    return helper


# --- Students --------------------------------------------------------------------------------------------------


class ApplyForm(forms.Form):
    statement = forms.CharField(
        label=_("Why you are applying"),
        max_length=APPLICATION_STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[validate_no_control_chars],
        help_text=_("A few sentences for the reviewers. Only aid staff read it."),
    )

    def __init__(self, *args: object, programme: Programme, limit: Decimal | None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if programme.amount_mode == Programme.AmountMode.UP_TO:
            self.fields["amount"] = MoneyField(
                label=_("Amount (yuan)"),
                maximum=limit,
                help_text=_("Up to %(max)s yuan.") % {"max": f"{limit:,.2f}"} if limit else "",
            )
        self.helper = _helper(_("Send the application"))


class ReasonForm(forms.Form):
    """A note for a transition: required for return, reject, appeal, clawback; optional otherwise."""

    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_no_control_chars],
    )

    def __init__(self, *args: object, required: bool = False, label: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        if label:
            self.fields["note"].label = label
        self.helper = _helper(form_tag=False)


class BankAccountForm(forms.Form):
    bank = forms.CharField(label=_("Bank"), max_length=100, validators=[validate_no_control_chars])
    card_number = forms.CharField(
        label=_("Bank-card number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    card_number_again = forms.CharField(
        label=_("Bank-card number again"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save"))

    @staticmethod
    def _digits(value: str) -> str:
        return "".join(ch for ch in value if not ch.isspace() and ch != "-")

    def clean_card_number(self) -> str:
        digits = self._digits(self.cleaned_data["card_number"])
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("A bank-card number has 12 to 19 digits."))
        return digits

    def clean(self) -> dict:
        data = super().clean()
        if data.get("card_number") and self._digits(data.get("card_number_again") or "") != data["card_number"]:
            self.add_error("card_number_again", _("The two numbers differ."))
        return data


# --- Officers --------------------------------------------------------------------------------------------------


class CommitForm(forms.Form):
    fund = forms.TypedChoiceField(label=_("Fund"), coerce=int)

    def __init__(self, *args: object, funds: list[Fund], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = [
            (f.pk, _("%(name)s · %(balance)s yuan left") % {"name": f.name, "balance": f"{f.balance:,.2f}"})
            for f in funds
        ]
        self.helper = _helper(form_tag=False)


class ScheduleForm(forms.Form):
    first_due_on = forms.DateField(label=_("First payment due"), widget=forms.DateInput(attrs={"type": "date"}))
    installments = forms.IntegerField(label=_("Installments"), min_value=1, max_value=MAX_INSTALLMENTS)
    interval_months = forms.IntegerField(label=_("Months between installments"), min_value=1, max_value=6, initial=1)

    def __init__(self, *args: object, programme: Programme | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_due_on"].initial = timezone.localdate()
        if programme is not None:
            self.fields["installments"].initial = programme.installments
        self.helper = _helper(form_tag=False)


class FundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[validate_no_control_chars])
    party = forms.ChoiceField(label=_("Party"), choices=Party.choices)
    year = forms.ModelChoiceField(label=_("Academic year"), queryset=AcademicYear.objects.all())
    budget = MoneyField(label=_("Budget (yuan)"), max_digits=14)
    donor = forms.CharField(label=_("Donor"), max_length=200, required=False, validators=[validate_no_control_chars])
    restrictions = forms.CharField(
        label=_("Restrictions"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        current = AcademicYear.objects.filter(is_current=True).first()
        if current is not None:
            self.fields["year"].initial = current.pk
        self.helper = _helper(_("Open the fund"))


class FundEditForm(forms.Form):
    budget = MoneyField(label=_("Budget (yuan)"), max_digits=14)
    donor = forms.CharField(label=_("Donor"), max_length=200, required=False, validators=[validate_no_control_chars])
    restrictions = forms.CharField(
        label=_("Restrictions"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save"))


TIER_CHOICES = [("", _("no identification needed")), *[(t.value, t.label) for t in Tier if t != Tier.NONE]]


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[validate_no_control_chars])
    amount = MoneyField(label=_("Amount or maximum (yuan)"), required=False)
    amount_special = MoneyField(label=_("Amount: especially difficult"), required=False)
    amount_difficult = MoneyField(label=_("Amount: difficult"), required=False)
    amount_general = MoneyField(label=_("Amount: generally difficult"), required=False)
    yearly_cap = MoneyField(label=_("Maximum per student per year, for this kind of aid (yuan)"), required=False)
    required_tier = forms.ChoiceField(
        label=_("Identification required (minimum tier)"), choices=TIER_CHOICES, required=False
    )
    min_study_year = forms.IntegerField(label=_("From study year"), min_value=1, max_value=8)
    installments = forms.IntegerField(label=_("Installments"), min_value=1, max_value=MAX_INSTALLMENTS)
    active = forms.BooleanField(label=_("Open for applications"), required=False)

    def __init__(self, *args: object, programme: Programme, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        if programme.amount_mode == Programme.AmountMode.BY_TIER:
            del self.fields["amount"]
        else:
            for tier in ("special", "difficult", "general"):
                del self.fields[f"amount_{tier}"]
        self.helper = _helper(_("Save"))

    @classmethod
    def initial_for(cls, programme: Programme) -> dict:
        initial = {
            "name": programme.name,
            "amount": programme.amount,
            "yearly_cap": programme.yearly_cap,
            "required_tier": programme.required_tier,
            "min_study_year": programme.min_study_year,
            "installments": programme.installments,
            "active": programme.active,
        }
        for tier in ("special", "difficult", "general"):
            initial[f"amount_{tier}"] = programme.tier_amounts.get(tier)
        return initial

    @property
    def tier_amounts(self) -> dict[str, Decimal]:
        return {
            tier: self.cleaned_data[f"amount_{tier}"]
            for tier in ("special", "difficult", "general")
            if self.cleaned_data.get(f"amount_{tier}") is not None
        }


class QuotaForm(forms.Form):
    college = forms.ModelChoiceField(label=_("College"), queryset=College.objects.order_by("code"))
    places = forms.IntegerField(label=_("Places"), min_value=0, max_value=100000)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Set the quota"))


class BatchForm(forms.Form):
    name = forms.CharField(label=_("Batch name"), max_length=100, validators=[validate_no_control_chars])
    payments = forms.TypedMultipleChoiceField(label=_("Payments"), coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, payments: list[Payment], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payments"].choices = [(p.pk, str(p.pk)) for p in payments]
        self.helper = _helper(form_tag=False)


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    programme = forms.TypedChoiceField(label=_("Programme"), required=False, coerce=int, empty_value=None)
    college = forms.TypedChoiceField(label=_("College"), required=False, coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Student number or name"), required=False, max_length=50)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("all")), *Application.Status.choices]
        self.fields["programme"].choices = [
            ("", _("all")),
            *Programme.objects.order_by("name").values_list("pk", "name"),
        ]
        self.fields["college"].choices = [("", _("all")), *College.objects.order_by("code").values_list("pk", "name")]
        self.fields["year"].choices = [("", _("all")), *AcademicYear.objects.values_list("pk", "name")]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row row-cols-md-auto g-2 align-items-end"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-outline-primary"))
