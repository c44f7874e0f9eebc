"""Forms of session notes: parse and validate only; counseling.services.session_notes decides and writes.

The note form has the sections of the note's format (free text, DAP or SOAP); every section refuses control
characters and is capped at the length the service accepts, so bad input is a form error, never a 500.
"""

from __future__ import annotations

import uuid

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from counseling.models import NOTE_SECTIONS, NoteFormat, SessionNote
from counseling.services.appointments import NOTE_MAX
from counseling.services.session_notes import AMENDMENT_MAX
from portal.validators import validate_no_control_chars

__all__ = ["AmendmentForm", "SessionNoteForm"]

# What each section asks for (DAP: Data/Assessment/Plan; SOAP: Subjective/Objective/Assessment/Plan).
SECTION_HELP = {
    "body": "",
    "subjective": _("What the student said: concerns, feelings, in their words."),
    "objective": _("What you observed: appearance, behaviour, mood, any measures."),
    "data": _("What was said and observed in the session."),
    "assessment": _("Your understanding: themes, risk, progress."),
    "plan": _("Next steps: next session, tasks, referrals."),
}


class _Helper:
    def _plain_helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class SessionNoteForm(_Helper, forms.Form):
    """The sections of a draft note, in the note's format."""

    def __init__(self, *args: object, note_format: str = NoteFormat.DAP, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.note_format = note_format if note_format in NOTE_SECTIONS else NoteFormat.DAP
        for name in NOTE_SECTIONS[self.note_format]:
            self.fields[name] = forms.CharField(
                label=capfirst(SessionNote._meta.get_field(name).verbose_name),
                required=self.note_format == NoteFormat.FREE,
                max_length=NOTE_MAX,
                validators=[validate_no_control_chars],
                widget=forms.Textarea(attrs={"rows": 12 if self.note_format == NoteFormat.FREE else 5}),
                help_text=SECTION_HELP[name],
            )
        self._plain_helper()

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not any((data.get(name) or "").strip() for name in NOTE_SECTIONS[self.note_format]):
            raise forms.ValidationError(_("Write the note first."))
        return data

    def sections(self) -> dict[str, str] | None:
        """What the service takes: None for a free-text note (its `body`), else the sections."""
        if self.note_format == NoteFormat.FREE:
            return None
        return {name: self.cleaned_data.get(name, "") for name in NOTE_SECTIONS[self.note_format]}


class AmendmentForm(_Helper, forms.Form):
    """A later change to a signed note, with a one-time token so a double submit appends once."""

    text = forms.CharField(
        label=_("Amendment"),
        max_length=AMENDMENT_MAX,
        validators=[validate_no_control_chars],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Signed notes are locked; an amendment is added below the note with your name and the time."),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())
        self._plain_helper()
