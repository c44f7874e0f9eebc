"""Which fields a page marks as required, said once for every form.

A field is marked (an asterisk and a visually hidden "(required)", see templates/forms/required_mark.html) when
the form cannot do its main action without it: `field.required`, or a field the form checks itself in
`clean()` because it is needed only in some cases (the relation when a report is about another student, the
pledge when an application is submitted rather than saved as a draft). Such a field is declared with
`mark_required(field, hint=...)`: the hint says when it is needed, so the mark never promises more than the
form checks. A field that is neither shows no mark, and its label never says "(optional)" while it is required.
"""

from __future__ import annotations

from django import forms
from django.forms import BoundField


def mark_required(field: forms.Field, *, hint: str = "") -> forms.Field:
    """Mark `field` as required on the page although the form validates it itself (in `clean()`)."""
    field.mark_required = True  # type: ignore[attr-defined]
    if hint:
        field.help_text = hint
    return field


def is_marked_required(field: forms.Field | BoundField) -> bool:
    field = field.field if isinstance(field, BoundField) else field
    return bool(field.required or getattr(field, "mark_required", False)) and not field.disabled


def form_needs_legend(form: forms.BaseForm) -> bool:
    """The "* marks a field you must fill in" line: for forms of more than one visible field with a mark."""
    visible = [bound for bound in form.visible_fields()]
    return len(visible) > 1 and any(is_marked_required(bound) for bound in visible)
