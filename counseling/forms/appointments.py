"""Forms of appointments: parse and validate only; the services decide and write.

Every free-text field refuses control characters (NUL breaks PostgreSQL text) and is capped at the length
the service accepts, so bad input comes back as a form error, never a 500.
"""

from __future__ import annotations

from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import AvailabilityTemplate, Booking, Mode
from counseling.services.appointments import REASON_MAX
from portal.models import Gender, User
from portal.validators import validate_no_control_chars

GENDER_FILTER_CHOICES = [("", _("Any")), *Gender.choices]
MODE_FILTER_CHOICES = [("", _("Either")), *Mode.choices]


def _text(label: str, *, max_length: int, required: bool = False, rows: int = 3, help_text: str = "") -> forms.Field:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        help_text=help_text,
    )


# Availability is planned weeks ahead, never years: a day in year 9999 overflowed the date arithmetic (a 500).
FURTHEST_DAYS_AHEAD = 2 * 366


def validate_not_far_ahead(value: date) -> None:
    if value > timezone.localdate() + timedelta(days=FURTHEST_DAYS_AHEAD):
        raise forms.ValidationError(_("Choose a date within the next two years."), code="too_far")


class _PlainForm(forms.Form):
    """The template writes the <form> tag (action, button); crispy renders the fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class CounsellorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class SlotFilterForm(forms.Form):
    counsellor = CounsellorChoiceField(label=_("Counsellor"), queryset=User.objects.none(), required=False)
    gender = forms.ChoiceField(label=_("Counsellor gender"), choices=GENDER_FILTER_CHOICES, required=False)
    mode = forms.ChoiceField(label=_("In person or online"), choices=MODE_FILTER_CHOICES, required=False)

    def __init__(self, *args: object, counsellors: QuerySet[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = counsellors
        self.fields["counsellor"].empty_label = _("Any counsellor")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-3"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-primary"))


class BookingForm(_PlainForm):
    reason = _text(
        _("What would you like to talk about?"),
        max_length=REASON_MAX,
        help_text=_("A sentence or two is enough. Only your counsellor reads it."),
    )
    first_visit = forms.BooleanField(label=_("This is my first visit to a counsellor here"), required=False)
    preferred_gender = forms.ChoiceField(
        label=_("Preferred counsellor gender"), choices=[("", _("No preference")), *Gender.choices], required=False
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the counselling centre keeps a record of this appointment. What I say stays "
            "confidential, except where my safety or someone else's is at risk."
        ),
        required=True,
        error_messages={"required": _("Please give your consent to book.")},
    )


class WaitlistJoinForm(_PlainForm):
    counsellor = CounsellorChoiceField(label=_("Counsellor"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: object, counsellors: QuerySet[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = counsellors
        self.fields["counsellor"].empty_label = _("Any counsellor")


class TemplateForm(_PlainForm):
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), coerce=int, choices=AvailabilityTemplate._meta.get_field("weekday").choices
    )
    start_time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    length_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=10, max_value=240, initial=50)
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, initial=Mode.ROOM)
    location = _text(_("Room or meeting link"), max_length=200, rows=0)
    valid_until = forms.DateField(
        label=_("Until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SlotForm(_PlainForm):
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_not_far_ahead]
    )
    start_time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    length_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=10, max_value=240, initial=50)
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, initial=Mode.ROOM)
    location = _text(_("Room or meeting link"), max_length=200, rows=0)


class BlockedDayForm(_PlainForm):
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_not_far_ahead]
    )
    reason = _text(_("Reason (optional)"), max_length=100, rows=0)


class ReasonForm(_PlainForm):
    reason = _text(_("Reason (optional, sent to the student)"), max_length=500, rows=2)


class OutcomeForm(_PlainForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Booking.Status.ATTENDED, _("attended")),
            (Booking.Status.NO_SHOW, _("no-show")),
            (Booking.Status.LATE_CANCELLED, _("cancelled late")),
        ],
    )
