from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.validators import normalise_phone, validate_no_control_chars, validate_phone


class StudentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Student number or name"), required=False, max_length=50, validators=[validate_no_control_chars]
    )
    college = forms.TypedChoiceField(label=_("College"), required=False, coerce=int, empty_value=None)
    class_group = forms.TypedChoiceField(label=_("Class"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, colleges=(), classes=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = [("", _("All colleges"))] + [(c.pk, c.name) for c in colleges]
        self.fields["class_group"].choices = [("", _("All classes"))] + [(c.pk, c.name) for c in classes]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.wrapper_class = "col-sm-6 col-lg-3"
        self.helper.field_class = ""
        self.helper.add_input(Submit("", _("Search"), css_class="btn-primary"))


class StudentContactForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone:
            validate_phone(phone)
        return phone


def form_errors_text(form: forms.Form | forms.BaseFormSet) -> str:
    """Every error of a form (or formset) as one line, for a message after a redirect."""
    if isinstance(form, forms.BaseFormSet):
        parts = [*form.non_form_errors()]
        for sub in form.forms:
            parts.extend(e for errors in sub.errors.values() for e in errors)
        return " ".join(str(p) for p in parts)
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
