"""Template filters for the required marks (portal/kernel/form_marks.py): `is_marked_required`, `needs_legend`."""

from __future__ import annotations

from django import forms, template

from portal.kernel import form_marks

register = template.Library()


@register.filter
def is_marked_required(field: forms.BoundField) -> bool:
    return form_marks.is_marked_required(field) if isinstance(field, forms.BoundField) else False


@register.filter
def needs_legend(form: forms.BaseForm) -> bool:
    return form_marks.form_needs_legend(form) if isinstance(form, forms.BaseForm) else False
