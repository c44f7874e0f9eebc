"""Forms of hidden aid (隐形资助): they parse and validate; the services decide and write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aid.models import Fund
from aid.services.hiddenaid_canteen import MAX_FILE_BYTES, parse_month
from portal.validators import validate_no_control_chars

REASON_MAX = 1000


class _HiddenAidForm(forms.Form):
    submit_label = _("Save")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class CanteenUploadForm(_HiddenAidForm):
    submit_label = _("Import")

    file = forms.FileField(
        label=_("Canteen data file"),
        help_text=_(
            "An Excel .xlsx file or a CSV file (UTF-8 or GBK), at most 20 MB, with the columns 学号, 月份 (YYYY-MM), "
            "用餐次数 (meals) and 消费金额 (total spend). Importing a month replaces all of that month's data."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 20 MB; split it into several files."), code="too_large")
        return upload


class EvaluateForm(_HiddenAidForm):
    submit_label = _("Find candidates")

    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args: Any, months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months]

    def clean_month(self) -> date:
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise ValidationError(_("Choose a month."), code="invalid")
        return month


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen only by aid officers."),
    )


class CandidateAddForm(_HiddenAidForm):
    submit_label = _("Add")

    student_no = forms.CharField(label=_("Student number"), max_length=20, validators=[validate_no_control_chars])
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to use the rule's amount."),
    )
    reason = _reason_field()

    def __init__(self, *args: Any, with_amount: bool = True, **kwargs: Any) -> None:
        """with_amount: the user may see and set amounts (access.may_see_canteen_figures); otherwise the rule's."""
        super().__init__(*args, **kwargs)
        if not with_amount:
            del self.fields["amount"]

    def clean_student_no(self) -> str:
        return self.cleaned_data["student_no"].strip()


class CandidateRemoveForm(_HiddenAidForm):
    submit_label = _("Remove")

    reason = _reason_field()


class ApproveForm(_HiddenAidForm):
    submit_label = _("Approve the batch")

    fund = forms.ModelChoiceField(label=_("Charge to the fund"), queryset=Fund.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = Fund.objects.select_related("year").order_by("-year__pk", "name")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("", _("Search"), css_class="btn-secondary"))
