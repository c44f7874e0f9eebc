"""The care file's home-visit recommendation form: it parses and validates; the service decides and writes."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.models import VISIT_REASON_MAX
from portal.validators import validate_no_control_chars

RECOMMEND = "recommend"
WITHDRAW = "withdraw"


class VisitRecommendationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Home visit"),
        choices=[
            (RECOMMEND, _("recommend a home visit (or change the reason)")),
            (WITHDRAW, _("withdraw the recommendation")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (seen by counsellors only)"),
        required=False,
        max_length=VISIT_REASON_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The home-visit team and the aid office see only that the centre recommends a visit."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == RECOMMEND and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why a visit is recommended."))
        return data
