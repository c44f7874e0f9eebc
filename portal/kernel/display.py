"""Showing codes and people: the one way a stored code or a person reaches a page, a spreadsheet or a message.

Codes. Every status, level, tier, role and choice is stored as a code (`college_reviewed`, `tier_1`…) and
shown by its label in the user's language: `choice_label(obj, "status")` in Python, `{{ obj|display:"status" }}`
in templates. The label comes from the field's choices; a timeline row (a workflow StatusEvent, whose
from/to columns carry no choices) borrows the choices of its subject's status field. A code without a label
is a bug: it is logged (logger "portal.display") and, with settings.DISPLAY_STRICT (on under DEBUG and in
the tests), raised, so it never reaches a page silently.

People. A person is shown by name, never by login name (the 学号 or employee number, or a demo login such
as "visitor"): `person_name(user)` is the account's full name (kept in step with the roster), else the
roster's Student or Staff name, else a neutral "account #id". `person_label(user)` adds the class or the
office where a list mixes people who may share a name. `User.__str__` is person_name, so `{{ user }}`,
form choices and the Django admin's object titles show names too (the admin's user list keeps its own
username column, where a login name is the point).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

__all__ = ["RawCodeError", "choice_label", "code_label", "person_label", "person_name"]

logger = logging.getLogger("portal.display")

# Django 6.1's blank choice of every select. Its zh-hans catalogue has no translation yet; ours supplies one
# (named here so that makemessages keeps it).
BLANK_CHOICE_LABEL = gettext_noop("- Select an option -")

_MISSING = object()


class RawCodeError(LookupError):
    """A code was about to be shown without a label."""


def _choices(model: type[models.Model], field_name: str) -> dict[str, Any]:
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return {}
    if field.choices:
        return dict(field.flatchoices)
    subject_field = getattr(model, "subject_field", "")
    if subject_field and field_name in ("from_status", "to_status"):
        # A workflow timeline row: the status belongs to the row's subject (a Trip, an Identification…).
        subject = model._meta.get_field(subject_field).related_model
        flow = getattr(subject, "flow", None)
        return _choices(subject, getattr(flow, "field", "status"))
    return {}


def choice_label(obj: models.Model | type[models.Model], field_name: str, code: Any = _MISSING) -> str:
    """The label of `code` (by default obj's current value of the field) in the active language; "" for an
    empty value. RawCodeError (strict) or the code, logged, when the field has no label for it."""
    model = obj if isinstance(obj, type) else type(obj)
    if code is _MISSING:
        code = getattr(obj, field_name)
    if code in (None, ""):
        return ""
    label = _choices(model, field_name).get(code)
    if label is not None:
        return str(label)
    return _unlabelled(f"{model.__name__}.{field_name}", code)


def code_label(choices: type[models.Choices] | Iterable[tuple[Any, Any]], code: Any) -> str:
    """The label of `code` in a Choices class or a list of (code, label) pairs, for codes stored outside a
    field with choices (a JSON list, a setting); "" for an empty value, and like choice_label otherwise."""
    if code in (None, ""):
        return ""
    pairs = choices.choices if isinstance(choices, type) else choices
    label = dict(pairs).get(code)
    if label is not None:
        return str(label)
    return _unlabelled(getattr(choices, "__name__", "choices"), code)


def _unlabelled(where: str, code: Any) -> str:
    logger.error("no label for %s = %r", where, code)
    if getattr(settings, "DISPLAY_STRICT", settings.DEBUG):
        raise RawCodeError(f"no label for {where} = {code!r}")
    return str(code)


def _roster(user: models.Model) -> models.Model | None:
    """The user's Student or Staff row; a relation already loaded (select_related) is read first and costs
    no query."""
    cache = user._state.fields_cache
    for name in sorted(("student", "staff"), key=lambda n: n not in cache):
        if name in cache:
            if cache[name] is not None:
                return cache[name]
            continue
        try:
            return getattr(user, name)
        except ObjectDoesNotExist:
            continue
    return None


def person_name(user: models.Model | None) -> str:
    """How a person is named to others: the full name, else the roster name, else "account #id"; never the
    login name. "" for no one."""
    if user is None:
        return ""
    name = (getattr(user, "full_name", "") or user.get_full_name()).strip()
    if name:
        return name
    roster = _roster(user) if user.pk else None
    if roster is not None and roster.name:
        return roster.name
    return _("account #%(id)s") % {"id": user.pk}


def person_label(user: models.Model | None) -> str:
    """The name with the class (a student) or the office (a staff member), for lists where two people may
    share a name: "刘晓燕（心理健康教育中心）". Reads user.student / user.staff: select_related them in lists."""
    if user is None:
        return ""
    name = person_name(user)
    roster = _roster(user) if user.pk else None
    where = ""
    if roster is not None:
        if hasattr(roster, "class_group"):
            where = roster.class_group.name
        else:
            where = roster.unit or (roster.college.name if roster.college_id else "")
    return _("%(name)s (%(where)s)") % {"name": name, "where": where} if where else name
