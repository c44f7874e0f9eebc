"""Forms of events, check-in and the e-journal: they parse and validate; the services decide and write.

Every text field refuses control characters (NUL breaks PostgreSQL text) and is capped at the model's
length, so bad input comes back as a form error, never a 500.
"""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from counseling.models import Event
from counseling.services.activities import EVENT_CAPACITY_MAX, EVENT_TITLE_MAX, EventData
from portal.models import College, Student
from portal.validators import validate_no_control_chars

INVITED_MAX = 500
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _helper(submit: str | None = None) -> FormHelper:
    helper = FormHelper()
    if submit:
        helper.add_input(Submit("submit", submit, css_class="btn-primary"))
    return helper


def _datetime(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=EVENT_TITLE_MAX, validators=[validate_no_control_chars])
    kind = forms.ChoiceField(label=_("Type"), choices=Event.Kind.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    place = forms.CharField(label=_("Place"), max_length=EVENT_TITLE_MAX, validators=[validate_no_control_chars])
    starts_at = _datetime(_("Starts"))
    ends_at = _datetime(_("Ends"))
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=EVENT_CAPACITY_MAX)
    signup_opens_at = _datetime(_("Sign-up opens"))
    signup_closes_at = _datetime(_("Sign-up closes"))
    audience = forms.ChoiceField(label=_("Audience"), choices=Event.Audience.choices)
    colleges = forms.ModelMultipleChoiceField(
        label=_("Colleges"),
        queryset=College.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For the audience “chosen colleges”."),
    )
    enrolment_years = forms.CharField(
        label=_("Enrolment years"),
        required=False,
        max_length=100,
        validators=[validate_no_control_chars],
        help_text=_("For the audience “chosen enrolment years”, e.g. 2024, 2025."),
    )
    invited = forms.CharField(
        label=_("Invited students (学号)"),
        required=False,
        max_length=INVITED_MAX * 22,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the audience “invited students only”: student numbers separated by spaces or lines."),
    )

    def __init__(self, *args: object, colleges: QuerySet[College], invitable: QuerySet[Student], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["colleges"].queryset = colleges
        self.invitable = invitable
        self.helper = _helper(str(_("Save")))

    def clean_enrolment_years(self) -> list[int]:
        text = self.cleaned_data.get("enrolment_years", "")
        years = []
        for part in re.split(r"[\s,，、;；]+", text.strip()):
            if not part:
                continue
            if not re.fullmatch(r"\d{4}", part) or not 2000 <= int(part) <= 2100:
                raise forms.ValidationError(_("Give four-digit years, e.g. 2024, 2025."))
            years.append(int(part))
        return sorted(set(years))

    def clean_invited(self) -> list[Student]:
        numbers = sorted({n for n in re.split(r"[\s,，、;；]+", self.cleaned_data.get("invited", "")) if n})
        if len(numbers) > INVITED_MAX:
            raise forms.ValidationError(_("Invite at most %(max)s students at once.") % {"max": INVITED_MAX})
        students = list(self.invitable.filter(student_no__in=numbers))
        unknown = set(numbers) - {s.student_no for s in students}
        if unknown:
            raise forms.ValidationError(
                _("Not found among the students you may invite: %(numbers)s") % {"numbers": ", ".join(sorted(unknown))}
            )
        return students

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        opens, closes = data.get("signup_opens_at"), data.get("signup_closes_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The event must end after it starts."))
        if opens and closes and closes <= opens:
            self.add_error("signup_closes_at", _("Sign-up must close after it opens."))
        if closes and ends and closes > ends:
            self.add_error("signup_closes_at", _("Sign-up must close before the event ends."))
        audience = data.get("audience")
        if audience == Event.Audience.COLLEGES and not data.get("colleges"):
            self.add_error("colleges", _("Choose at least one college."))
        if (
            audience == Event.Audience.YEARS
            and not data.get("enrolment_years")
            and "enrolment_years" not in self.errors
        ):
            self.add_error("enrolment_years", _("Give at least one enrolment year."))
        if audience == Event.Audience.INVITED and not data.get("invited") and "invited" not in self.errors:
            self.add_error("invited", _("Invite at least one student."))
        return data

    def event_data(self) -> EventData:
        d = self.cleaned_data
        return EventData(
            title=d["title"],
            kind=d["kind"],
            description=d["description"],
            audience=d["audience"],
            colleges=list(d["colleges"]),
            enrolment_years=d["enrolment_years"],
            invited=d["invited"],
            place=d["place"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            capacity=d["capacity"],
            signup_opens_at=d["signup_opens_at"],
            signup_closes_at=d["signup_closes_at"],
        )

    @staticmethod
    def initial_for(event: Event) -> dict:
        return {
            "title": event.title,
            "kind": event.kind,
            "description": event.description,
            "place": event.place,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "capacity": event.capacity,
            "signup_opens_at": event.signup_opens_at,
            "signup_closes_at": event.signup_closes_at,
            "audience": event.audience,
            "colleges": list(event.colleges.all()),
            "enrolment_years": ", ".join(str(y) for y in event.enrolment_years),
            "invited": "\n".join(event.invited.order_by("student_no").values_list("student_no", flat=True)),
        }


class CheckinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"),
        max_length=20,
        validators=[validate_no_control_chars],
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Check in")))


class CheckinSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Student name or number"), required=False, max_length=50, validators=[validate_no_control_chars]
    )


class CoverageYearForm(forms.Form):
    year = forms.IntegerField(label=_("Academic year starting"), min_value=2000, max_value=2100, required=False)


class JournalIssueForm(forms.Form):
    number = forms.IntegerField(label=_("Issue number"), min_value=1, max_value=100_000)
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_no_control_chars])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Save")))


class JournalArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_no_control_chars])
    author = forms.CharField(label=_("Author"), max_length=100, required=False, validators=[validate_no_control_chars])
    body = forms.CharField(
        label=_("Text"),
        max_length=200_000,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "HTML: paragraphs, headings, lists, quotes, bold, italics, links, and images uploaded to this issue. "
            "Anything else is removed when saved."
        ),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Save")))


class JournalImageForm(forms.Form):
    image = forms.FileField(label=_("Image (JPEG or PNG, at most 5 MB)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Upload")))
        self.helper.form_enctype = "multipart/form-data"
