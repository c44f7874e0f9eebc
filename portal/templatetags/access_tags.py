"""Templates ask portal.access; they never re-implement a rule."""

from django import template

from portal import access

register = template.Library()


@register.simple_tag
def can(user, action: str, obj) -> bool:
    return access.can(user, action, obj)


@register.simple_tag
def has_role(user, *roles: str) -> bool:
    return access.has_role(user, *roles)
