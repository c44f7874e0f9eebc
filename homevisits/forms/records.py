"""Forms of visit records, photos and follow-ups: parse and validate only (the services decide)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from homevisits.models import FollowUp, VisitRecord
from homevisits.services.records import NARRATIVE_MAX, NEEDS, gift_limit
from portal.kernel.display import person_label
from portal.models import User

__all__ = ["FollowUpDoneForm", "FollowUpForm", "PhotoForm", "VisitRecordForm"]

_NARRATIVE = {"widget": forms.Textarea(attrs={"rows": 3}), "required": False, "max_length": NARRATIVE_MAX}


class VisitRecordForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VisitRecord.Outcome.choices, initial="visited")
    not_reached_reason = forms.CharField(label=_("Why not reached"), max_length=300, required=False)
    family_agreed = forms.BooleanField(
        label=_("The family agreed to the visit"),
        required=False,
        help_text=_("Visits take place only with the family's agreement."),
    )
    visited_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    form = forms.ChoiceField(label=_("Form"), choices=VisitRecord.Form.choices, initial="home")
    people_present = forms.CharField(label=_("People present"), max_length=300, required=False)
    interpreter_needed = forms.BooleanField(label=_("Interpreter needed"), required=False)
    family_members = forms.CharField(label=_("Family members"), **_NARRATIVE)
    income_and_spending = forms.CharField(label=_("Income and spending"), **_NARRATIVE)
    hardship_causes = forms.CharField(label=_("Causes of hardship"), **_NARRATIVE)
    housing = forms.CharField(label=_("Housing"), **_NARRATIVE)
    role_at_home = forms.CharField(label=_("The student's role at home"), **_NARRATIVE)
    policies_explained = forms.CharField(label=_("Policies explained"), **_NARRATIVE)
    aid_received = forms.CharField(label=_("Aid already received"), **_NARRATIVE)
    parents_views = forms.CharField(label=_("Parents' views and questions"), **_NARRATIVE)
    gift_amount = forms.DecimalField(
        label=_("Money or gifts given (yuan)"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        initial=Decimal("0"),
    )
    gift_note = forms.CharField(label=_("What was given"), max_length=200, required=False)
    needs = forms.MultipleChoiceField(
        label=_("Needs found"), choices=NEEDS, required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("Summary"), **_NARRATIVE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4()
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())
        limit = gift_limit()
        self.fields["gift_amount"].help_text = _("At most %(limit)s yuan per household.") % {"limit": f"{limit:.2f}"}
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_gift_amount(self) -> Decimal:
        value = self.cleaned_data.get("gift_amount") or Decimal("0")
        limit = gift_limit()
        if value > limit:
            raise forms.ValidationError(
                _("Money or gifts given are limited to %(limit)s yuan per household.") % {"limit": f"{limit:.2f}"}
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == VisitRecord.Outcome.VISITED and not data.get("family_agreed"):
            self.add_error("family_agreed", _("Record that the family agreed to the visit."))
        if data.get("outcome") == VisitRecord.Outcome.NOT_REACHED and not data.get("not_reached_reason"):
            self.add_error("not_reached_reason", _("Say why the family was not reached."))
        return data


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("Photo (JPEG or PNG, at most 10 MB)"))
    consent = forms.BooleanField(label=_("The family agreed to this photo"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].widget.attrs["accept"] = "image/jpeg,image/png"
        self.helper = FormHelper()
        self.helper.form_tag = False


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return person_label(obj)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    title = forms.CharField(label=_("What"), max_length=200)
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=_("For aid or counselling: it goes with the request."),
    )
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_ids = [u.pk for u in owners]
        self.fields["owner"].queryset = User.objects.filter(pk__in=owner_ids).select_related(
            "staff__college", "student__class_group"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False


class FollowUpDoneForm(forms.Form):
    pass
