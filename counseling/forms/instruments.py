"""The admin's form to load a screening instrument definition file. Parse and validate only: the file's
content is checked by counseling.services.instruments.instrument_definition_load."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from counseling.instrument_format import MAX_FILE_BYTES


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Definition file"),
        help_text=_("A TOML file in UTF-8, at most 256 KB (format: docs/instruments.md)."),
    )
    check_only = forms.BooleanField(label=_("Only check the file; load nothing"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 256 KB."), code="too_large")
        return upload
