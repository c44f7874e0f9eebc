"""Codes and people in templates: `{{ obj|display:"status" }}`, `{{ user|person }}`, `{{ user|person_label }}`.

See portal.kernel.display: no raw code and no login name reaches a page.
"""

from typing import Any

from django import template

from portal.kernel import display as _display

register = template.Library()


@register.filter
def display(obj: Any, field_name: str) -> str:
    if obj is None or obj == "":
        return ""
    return _display.choice_label(obj, field_name)


@register.filter
def person(user: Any) -> str:
    return _display.person_name(user)


@register.filter
def person_label(user: Any) -> str:
    return _display.person_label(user)
