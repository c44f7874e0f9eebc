"""Forms of work-study: posts, decisions and the monthly timesheet. They parse; the services decide."""

from __future__ import annotations

from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from aid.models import WorkStudyPost
from portal.kernel.display import person_label
from portal.models import User
from portal.validators import validate_no_control_chars


class PostForm(forms.Form):
    unit = forms.CharField(label=_("Unit"), max_length=100, validators=[validate_no_control_chars])
    title = forms.CharField(label=_("Post"), max_length=100, validators=[validate_no_control_chars])
    kind = forms.ChoiceField(label=_("Kind"), choices=WorkStudyPost.Kind.choices)
    hourly_rate = forms.DecimalField(label=_("Pay per hour (yuan)"), max_digits=6, decimal_places=2, min_value=0)
    hours_per_month = forms.IntegerField(label=_("Hours per month"), min_value=1, max_value=40)
    openings = forms.IntegerField(label=_("Openings"), min_value=1, max_value=1000)
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none())
    active = forms.BooleanField(label=_("Open for applications"), required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = (
            User.objects.filter(is_active=True, staff__isnull=False)
            .select_related("staff__college")
            .order_by("staff__name")
        )
        self.fields["supervisor"].label_from_instance = person_label
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save post"), css_class="btn-primary"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("place", _("Place the student")), ("turn_down", _("Turn down")), ("end", _("End the placement"))]
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What should be corrected"), max_length=500, required=False, validators=[validate_no_control_chars]
    )


class MonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], required=False)


def week_field_name(monday: date) -> str:
    return f"week_{monday:%Y%m%d}"


class TimesheetForm(forms.Form):
    """One field per week of the month (keyed by its Monday). Limits (8 h a week, 40 h a month) are the
    service's: its message names the week; the form only refuses what is not a number of hours."""

    def __init__(self, *args: object, weeks: list[date] = (), month: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.weeks = list(weeks)
        for monday in self.weeks:
            self.fields[week_field_name(monday)] = forms.DecimalField(
                label=_("Week of %(date)s") % {"date": monday.isoformat()},
                required=False,
                min_value=0,
                max_digits=5,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "inputmode": "decimal"}),
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def hours(self) -> dict[date, object]:
        return {m: self.cleaned_data.get(week_field_name(m)) or 0 for m in self.weeks}
