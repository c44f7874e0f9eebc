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

from django.core import checks
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, get_urlconf, path

from portal.audit import audit_log
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


def has_visibility_rules(model: type[models.Model]) -> bool:
    """Whether `visible` decides for this model (otherwise only admins see it through `visible`)."""
    return bool(_visibility.get(model))


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
        # One query on every request (rooms joined, not prefetched): a row per (assignment, room), at least
        # one per assignment; values, not model instances, since nothing else of the row is needed.
        rows = (
            RoleAssignment.objects.current()
            .filter(user=user)
            .values_list("pk", "role", "college_id", "class_group_id", "rooms__id")
        )
        found: dict[int, tuple[str, int | None, int | None, set[int]]] = {}
        for pk, role, college_id, class_group_id, room_id in rows:
            entry = found.setdefault(pk, (role, college_id, class_group_id, set()))
            if room_id is not None:
                entry[3].add(room_id)
        cached = [Scope(role, college, group, frozenset(rooms)) for role, college, group, rooms in found.values()]
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


def may_download_own_data(user: User) -> bool:
    """PIPL's right of access is a student's: staff hold no record of their own here (the user menu and the
    "My data" pages ask this)."""
    return has_role(user, Role.STUDENT)


# --- Who may use which view -----------------------------------------------------------------------
#
# Every URL pattern carries its rule, written where the URL is: `page(route, view, name, rule(...))` in place of
# Django's `path(route, view, name=name)`, in the app's urls module. The rule names the roles that may open the
# view, the methods it answers and, for each object id in the URL, the model it names. The rules are read off the
# URLconf itself (`view_rule_for`), under the view name Django resolves ("aid:fund_list"), so a list of patterns
# spliced into an app's urls.py needs no namespace of its own. The middleware
# (portal.middleware.ViewAccessMiddleware) refuses the rest before the view runs: the sign-in page for a signed-out
# visitor, 405 for another method, and for a role not named the rule's `refused` status: 403, or 404 where the
# roles not named can see no object of the kind; a URL without a rule is refused to everyone. Object scope stays
# in the views (`get_for_user`: 404 outside the user's scope). `manage.py check` reports a URL without a rule and
# a view name given two different rules; portal/tests/test_access_matrix.py walks the URLconf, fails on a pattern
# without a rule and tries every URL as every persona; docs/access-matrix.md is the result.

PUBLIC = "public"  # anyone, signed in or not (the view decides the rest)
SIGNED_IN = "signed_in"  # any signed-in user, whatever their roles
ANY_NAME = "*"  # the rule of every URL name of a namespace at once (`every_page`: the Django admin)
GET_ONLY = ("GET",)  # pages (HEAD too)
POST_ONLY = ("POST",)  # actions
GET_AND_POST = ("GET", "POST")  # forms


@dataclass(frozen=True)
class ViewRule:
    """Who may use a view: Role values, or (PUBLIC,) or (SIGNED_IN,); with which methods; and `objects`, which
    maps each URL kwarg that names an object to its model ("app_label.Model") so the access matrix can try it in
    and out of scope, and so a refused role gets the 404 a view gives for an object outside one's scope."""

    roles: tuple[str, ...]
    objects: tuple[tuple[str, str], ...] = ()
    methods: tuple[str, ...] = GET_AND_POST
    # The answer to a role not named: 403, or 404 where those roles can see no object of the kind (a case, a
    # trip): the same answer as for an object outside one's scope, so existence does not leak.
    refused: int = 403

    def allows(self, user: User) -> bool:
        if PUBLIC in self.roles:
            return True
        if not user.is_authenticated:
            return False
        return SIGNED_IN in self.roles or has_role(user, *self.roles)

    def allows_method(self, method: str) -> bool:
        return method in self.methods or (method in ("HEAD", "OPTIONS") and "GET" in self.methods)


def rule(*roles: str, methods: tuple[str, ...] = GET_AND_POST, refused: int = 403, **objects: str) -> ViewRule:
    """rule(Role.STUDENT, pk="counseling.Booking", methods=POST_ONLY, refused=404): a ViewRule, briefly."""
    unknown = set(roles) - set(Role.values) - {PUBLIC, SIGNED_IN}
    if unknown:
        raise ValueError(f"unknown roles in a view rule: {sorted(unknown)}")
    if refused not in (403, 404) or (refused == 404 and not objects):
        raise ValueError("refused is 403, or 404 for a URL that names an object")
    return ViewRule(tuple(roles), tuple(sorted(objects.items())), tuple(methods), refused)


def page(route: str, view: Callable, name: str, access: ViewRule, kwargs: dict | None = None) -> URLPattern:
    """Django's `path(route, view, kwargs, name=name)` with who may use the view: its one declaration. E.g.
    page("trips/<int:pk>/", views.trip_detail, "trip_detail", rule(*TEAMS, pk="homevisits.Trip", refused=404))."""
    if not isinstance(access, ViewRule):
        raise TypeError(f"page {name!r}: access is a ViewRule (portal.access.rule), not {access!r}")
    pattern = path(route, view, kwargs, name=name)
    pattern.access_rule = access
    return pattern


def every_page(route: str, included: tuple, access: ViewRule) -> URLResolver:
    """`path(route, include(...))` whose every URL has the one rule `access`, for an include with a namespace
    of its own whose views check access themselves (the Django admin: is_staff). Its rule is "<namespace>:*"."""
    if not isinstance(access, ViewRule):
        raise TypeError(f"every_page {route!r}: access is a ViewRule (portal.access.rule), not {access!r}")
    resolver = path(route, included)
    if not isinstance(resolver, URLResolver) or not resolver.namespace:
        raise ValueError(f"every_page {route!r} takes an include with a namespace")
    resolver.access_rule = access
    return resolver


def _join(namespace: str, name: str | None) -> str:
    return f"{namespace}:{name}" if namespace and name else namespace or name or ""


def _url_rules() -> dict[str, ViewRule]:
    """The rules written on the current URLconf's patterns, by resolved view name; read once per URLconf."""
    resolver = get_resolver(get_urlconf())
    found = getattr(resolver, "_view_rules", None)
    if found is None:
        found = {}

        def add(view_name: str, view_rule: ViewRule) -> None:
            known = found.get(view_name)
            if known is not None and known != view_rule:
                raise ValueError(f"view {view_name} is declared twice, differently")
            found[view_name] = view_rule

        def walk(patterns: list, namespace: str) -> None:
            for entry in patterns:
                view_rule = getattr(entry, "access_rule", None)
                if isinstance(entry, URLResolver):
                    inner = _join(namespace, entry.namespace)
                    if view_rule is not None:
                        add(_join(inner, ANY_NAME), view_rule)
                    else:
                        walk(entry.url_patterns, inner)
                elif view_rule is not None:
                    add(_join(namespace, entry.name), view_rule)

        walk(resolver.url_patterns, "")
        resolver._view_rules = found
    return found


def view_rule_for(view_name: str) -> ViewRule | None:
    """The rule of a resolved view name ("counseling:case_detail"), or None when there is none."""
    rules = _url_rules()
    for name in (view_name, f"{view_name.rsplit(':', 1)[0]}:{ANY_NAME}" if ":" in view_name else None):
        found = rules.get(name)
        if found is not None:
            return found
    return None


def declared_views() -> dict[str, ViewRule]:
    """Every rule by view name, as the URLconf's patterns carry them."""
    return dict(_url_rules())


def patterns_without_rule() -> list[str]:
    """The URL patterns no rule covers, by view name (route for a pattern without a name): refused to everyone."""
    missing: list[str] = []

    def walk(patterns: list, namespace: str, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = _join(namespace, entry.namespace)
                if view_rule_for(_join(inner, ANY_NAME)) is None:
                    walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif not entry.name or view_rule_for(_join(namespace, entry.name)) is None:
                missing.append(_join(namespace, entry.name) if entry.name else prefix + str(entry.pattern))

    walk(get_resolver(get_urlconf()).url_patterns, "", "/")
    return missing


@checks.register(checks.Tags.urls)
def check_view_rules(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """`manage.py check` (and runserver): a view name with two different rules, and a URL without one."""
    try:
        missing = patterns_without_rule()
    except ValueError as exc:
        return [checks.Error(str(exc), hint="one name, one rule", id="portal.E001")]
    return [
        checks.Warning(
            f"URL {name} has no access rule: it is refused to everyone",
            hint="declare it with portal.access.page(route, view, name, rule(...))",
            id="portal.W001",
        )
        for name in missing
    ]
