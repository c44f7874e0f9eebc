"""Who may see and do what: the one place that decides.

Two questions, asked by every view in every app:

- `visible(user, Model)` → the queryset of that kind the user may see (scoped by role).
- `can(user, action, obj)` → may the user do `action` to `obj`.

and one helper that combines them the way views need it:

- `get_for_user(user, Model, action=..., pk=...)` → the object, or 404 when it is outside the user's
  scope (so existence does not leak), or 403 when visible but the action is not allowed. Reading a
  model marked sensitive writes an audit event.

The rules themselves are registered here for the core models and, for each app's models, in that
app's `access.py` (imported by its AppConfig.ready). That keeps app dependencies one-way
(homevisits → aid → counseling → portal) while every decision still goes through this module.
A model with no registered rule is visible to nobody but admins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from portal.models import Role, RoleAssignment, Student, User

VisibilityRule = Callable[[User, str], Q | None]
PermissionRule = Callable[[User, models.Model], bool]

_visibility: dict[type[models.Model], list[VisibilityRule]] = defaultdict(list)
_permissions: dict[tuple[type[models.Model], str], list[PermissionRule]] = defaultdict(list)
_sensitive: set[type[models.Model]] = set()

NOTHING = None  # a rule's way of saying "this rule grants nothing"
EVERYTHING = Q()


# --- Registration ---------------------------------------------------------------------------------


def visibility_rule(model: type[models.Model]) -> Callable[[VisibilityRule], VisibilityRule]:
    """Register fn(user, action) -> Q | None. A user sees the union of what every rule grants."""

    def register(fn: VisibilityRule) -> VisibilityRule:
        _visibility[model].append(fn)
        return fn

    return register


def permission_rule(model: type[models.Model], *actions: str) -> Callable[[PermissionRule], PermissionRule]:
    """Register fn(user, obj) -> bool for actions other than viewing. Any rule saying yes allows."""

    def register(fn: PermissionRule) -> PermissionRule:
        for action in actions:
            _permissions[(model, action)].append(fn)
        return fn

    return register


def mark_sensitive(model: type[models.Model]) -> None:
    """Every read of one of these through `get_for_user` is audited."""
    _sensitive.add(model)


def is_sensitive(model: type[models.Model]) -> bool:
    return model in _sensitive


# --- Roles and scopes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    role: str
    college_id: int | None
    class_group_id: int | None
    room_ids: frozenset[int]


def scopes(user: User) -> list[Scope]:
    """The user's current role assignments, loaded once per request (cached on the user object)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_nuanxin_scopes", None)
    if cached is None:
        assignments = RoleAssignment.objects.current().filter(user=user).prefetch_related("rooms")
        cached = [
            Scope(a.role, a.college_id, a.class_group_id, frozenset(r.pk for r in a.rooms.all())) for a in assignments
        ]
        user._nuanxin_scopes = cached
    return cached


def forget_scopes(user: User) -> None:
    """Drop the cache after the user's roles changed within one request (tests, services)."""
    user.__dict__.pop("_nuanxin_scopes", None)


def has_role(user: User, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if Role.ADMIN in roles and user.is_superuser:
        return True
    return any(s.role in roles for s in scopes(user))


def is_admin(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.ADMIN))


def colleges_for(user: User, *roles: str) -> set[int]:
    return {s.college_id for s in scopes(user) if s.role in roles and s.college_id}


def classes_for(user: User, *roles: str) -> set[int]:
    return {s.class_group_id for s in scopes(user) if s.role in roles and s.class_group_id}


def rooms_for(user: User, *roles: str) -> set[int]:
    return {room for s in scopes(user) if s.role in roles for room in s.room_ids}


# --- The two questions ----------------------------------------------------------------------------


def visibility_q(user: User, model: type[models.Model], action: str = "view") -> Q | None:
    """The union of what the rules grant, or None when they grant nothing."""
    if not user.is_authenticated:
        return None
    if is_admin(user):
        return EVERYTHING
    granted: Q | None = None
    for rule in _visibility.get(model, []):
        q = rule(user, action)
        if q is None:
            continue
        if not q:  # Q() grants everything; nothing can widen it
            return EVERYTHING
        granted = q if granted is None else granted | q
    return granted


def visible[M: models.Model](user: User, model: type[M] | QuerySet[M], action: str = "view") -> QuerySet[M]:
    """The objects of `model` (or of the given queryset) this user may see."""
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    q = visibility_q(user, qs.model, action)
    if q is None:
        return qs.none()
    return qs.filter(q) if q else qs


def can(user: User, action: str, obj: models.Model) -> bool:
    """May `user` do `action` to `obj`? Viewing means being in `visible`; other actions need a rule."""
    if not user.is_authenticated:
        return False
    model = type(obj)
    if action == "view":
        return visible(user, model).filter(pk=obj.pk).exists()
    if is_admin(user):
        return True
    return any(rule(user, obj) for rule in _permissions.get((model, action), []))


def get_for_user[M: models.Model](
    user: User,
    model: type[M] | QuerySet[M],
    *,
    action: str = "view",
    audit: bool = True,
    **lookup: object,
) -> M:
    """The object the view asked for: 404 outside the user's scope, 403 in scope but not allowed.

    Reading a sensitive record is audited (`read`); pass audit=False only for a read that is
    audited by the caller under a more specific action.
    """
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    try:
        obj = visible(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied
    if audit and is_sensitive(qs.model):
        from portal.audit import audit_log

        audit_log(actor=user, action="read", obj=obj)
    return obj


def require(user: User, action: str, obj: models.Model) -> None:
    if not can(user, action, obj):
        raise PermissionDenied


# --- Core rules: students -------------------------------------------------------------------------

SCHOOL_WIDE_STUDENT_READERS = (Role.CENTRE_COUNSELLOR, Role.AID_OFFICER)
COLLEGE_STUDENT_READERS = (Role.STATION_COUNSELLOR, Role.AID_REVIEWER)

mark_sensitive(Student)


@visibility_rule(Student)
def _students_visible(user: User, action: str) -> Q | None:
    """Staff see the students of their scope; a student sees themself.

    action "pick": who may be chosen as the subject of a report from a quick-pick list. Dorm liaisons
    pick from their rooms, committee members from their class, and only name and number are shown.
    """
    if has_role(user, *SCHOOL_WIDE_STUDENT_READERS):
        return EVERYTHING
    q = Q(user_id=user.pk)
    colleges = colleges_for(user, *COLLEGE_STUDENT_READERS)
    if colleges:
        q |= Q(college_id__in=colleges)
    if action == "pick":
        rooms = rooms_for(user, Role.DORM_LIAISON)
        if rooms:
            q |= Q(room_id__in=rooms)
        classes = classes_for(user, Role.CLASS_COMMITTEE)
        if classes:
            q |= Q(class_group_id__in=classes)
    return q


@permission_rule(Student, "change_contact")
def _student_contact_editors(user: User, student: Student) -> bool:
    """The student, their college's station counsellor and the centre keep phones current."""
    return (
        student.user_id == user.pk
        or has_role(user, Role.CENTRE_COUNSELLOR)
        or student.college_id in colleges_for(user, Role.STATION_COUNSELLOR)
    )


def may_list_students(user: User) -> bool:
    return has_role(user, *SCHOOL_WIDE_STUDENT_READERS, *COLLEGE_STUDENT_READERS) or is_admin(user)
