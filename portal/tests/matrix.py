"""The access matrix: every URL pattern, tried by every persona, on objects in and out of their scope.

Used by portal/tests/test_access_matrix.py and `manage.py access_matrix` (which writes docs/access-matrix.md).

- `url_patterns()` walks the URLconf: every pattern with its view name, route and keyword arguments (the
  Django admin only through the few admin URLs listed in ADMIN_SAMPLES; the admin checks is_staff itself).
- `build_world()` seeds the demo school (portal.demo) and adds same-role users of another scope
  (`*_b` personas: college 机电工程学院, the other home-visit trip, another student). For every model named in
  a view declaration it picks an object of scope A (the demo accounts' college, student, trip) and one of
  scope B (another college, student or trip; none for school-wide objects such as funds or events).
- `run_matrix(world)` requests every pattern × persona × object (A, B) × {GET, POST with an empty body} inside
  a savepoint that is rolled back, and returns the statuses; a raised exception counts as 500.
- `render_markdown(...)` is the document.
"""

from __future__ import annotations

import copy
import logging
import struct
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from portal import access, middleware_sessions
from portal.models import ClassGroup, College, Role, Student, User

ANONYMOUS = "signed-out"
# Column order of the document: one persona per role in scope A, then the same roles in scope B.
PERSONAS = [
    ANONYMOUS,
    "student",
    "liaison",
    "committee",
    "station",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
    "student_b",
    "committee_b",
    "station_b",
    "aidreviewer_b",
    "visitor_b",
]
# Which object variants are in each persona's own scope; the others must never answer 200 or redirect
# after doing something (IDOR). School-wide roles see both; student roles own nothing of the world's objects
# except `student` and `student_b`, who are the students of the A and B objects where a kind has a student.
OWN_SCOPE = {
    ANONYMOUS: set(),
    "student": {"A"},
    "liaison": set(),
    "committee": set(),
    "station": {"A"},
    "counselor": {"A", "B"},
    "assessor": {"A"},
    "aidreviewer": {"A"},
    "aidofficer": {"A", "B"},
    "visitor": {"A"},
    "admin": {"A", "B"},
    "student_b": {"B"},
    "committee_b": set(),
    "station_b": {"B"},
    "aidreviewer_b": {"B"},
    "visitor_b": {"B"},
}
# Sample values of URL arguments that are not objects.
PARAMS = {"instrument": "phq9", "action": "withdraw", "table": "tiers"}
# A few admin URLs in the matrix; the rest of the admin is declared as a namespace.
ADMIN_SAMPLES = {
    "admin:index": ("/admin/", {}),
    "admin:portal_auditevent_changelist": ("/admin/portal/auditevent/", {}),
    "admin:portal_auditevent_change": (
        "/admin/portal/auditevent/<object_id>/change/",
        {"object_id": "portal.AuditEvent"},
    ),
    "admin:portal_student_changelist": ("/admin/portal/student/", {}),
    "admin:portal_student_change": ("/admin/portal/student/<object_id>/change/", {"object_id": "portal.Student"}),
}
METHODS = ("GET", "POST")
# Declared (PUBLIC) but not requested: its answer is the health of the database and the broker, not access, and
# would make the document depend on whether Redis answered at that moment.
NOT_REQUESTED = {"healthz"}


@dataclass(frozen=True)
class Pattern:
    view_name: str
    route: str
    kwargs: tuple[str, ...]


def url_patterns() -> list[Pattern]:
    """Every named pattern of the URLconf, admin excluded (see ADMIN_SAMPLES)."""
    found: list[Pattern] = []

    def walk(resolvers: list, prefix: str, namespace: str) -> None:
        for entry in resolvers:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                if ns == "admin":
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                view_name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
                found.append(Pattern(view_name, route, tuple(entry.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "/", "")
    for view_name, (route, objects) in ADMIN_SAMPLES.items():
        found.append(Pattern(view_name, route, tuple(objects)))
    return found


def undeclared_patterns() -> list[Pattern]:
    return [p for p in url_patterns() if not p.view_name or access.view_rule_for(p.view_name) is None]


def objects_of(pattern: Pattern) -> dict[str, str]:
    if pattern.view_name in ADMIN_SAMPLES:
        return ADMIN_SAMPLES[pattern.view_name][1]
    declared = access.view_rule_for(pattern.view_name)
    return dict(declared.objects) if declared else {}


def objects_of_view(view_name: str) -> dict[str, str]:
    if view_name in ADMIN_SAMPLES:
        return ADMIN_SAMPLES[view_name][1]
    declared = access.view_rule_for(view_name)
    return dict(declared.objects) if declared else {}


# --- The world ------------------------------------------------------------------------------------


@dataclass
class World:
    personas: dict[str, User | None]
    objects: dict[tuple[str, str], models.Model] = field(default_factory=dict)  # (model label, "A"/"B")


def _grant(user: User, role: str, **scope: object) -> None:
    from portal.models import RoleAssignment

    rooms = scope.pop("rooms", None)
    assignment = RoleAssignment.objects.create(user=user, role=role, **scope)
    if rooms:
        assignment.rooms.set(rooms)


def _new_user(username: str) -> User:
    return User.objects.create(username=f"matrix-{username}", full_name=username, password="!")


def build_world() -> World:
    """The demo school, B personas and an A and a B object of every kind a URL names."""
    from homevisits.models import Trip
    from portal.demo import seed_demo

    seed_demo()
    logins = {u.username: u for u in User.objects.filter(username__in=[p for p in PERSONAS if p != ANONYMOUS])}
    student_a = Student.objects.select_related("college", "class_group").get(user=logins["student"])
    college_a = student_a.college
    college_b = College.objects.exclude(pk=college_a.pk).order_by("code").first()
    class_b = ClassGroup.objects.filter(college=college_b).order_by("name").first()
    student_b = Student.objects.filter(college=college_b).order_by("student_no").first()

    personas: dict[str, User | None] = {ANONYMOUS: None, **logins}
    personas["student_b"] = student_b.user
    personas["committee_b"] = _new_user("committee_b")
    _grant(personas["committee_b"], Role.CLASS_COMMITTEE, class_group=class_b)
    personas["station_b"] = _new_user("station_b")
    _grant(personas["station_b"], Role.STATION_COUNSELLOR, college=college_b)
    personas["aidreviewer_b"] = _new_user("aidreviewer_b")
    _grant(personas["aidreviewer_b"], Role.AID_REVIEWER, college=college_b)
    personas["visitor_b"] = _new_user("visitor_b")
    _grant(personas["visitor_b"], Role.VISIT_TEAM)

    visitor = logins["visitor"]
    trip_a = Trip.objects.filter(Q(members=visitor) | Q(leader=visitor)).order_by("pk").first()
    trip_b = _trip_of_team_b(personas["visitor_b"], student_b)
    _objects_the_demo_lacks(college_a, college_b, student_a, student_b, trip_a, trip_b, logins, personas)

    world = World(personas=personas)
    scope = _Scope(college_a, college_b, student_a, student_b, trip_a, trip_b, logins)
    labels = {label for p in url_patterns() for label in objects_of(p).values()}
    for label in sorted(labels):
        model = apps.get_model(label)
        for variant in ("A", "B"):
            obj = scope.pick(model, variant)
            if obj is not None:
                world.objects[(label, variant)] = obj
    return world


def _trip_of_team_b(leader: User, student: Student) -> models.Model:
    """Another team's trip (led by visitor_b), with a stop, student B planned, an expense and a visit record."""
    from datetime import date, timedelta
    from decimal import Decimal

    from homevisits.models import Expense, Trip, TripStop, TripStudent, VisitRecord

    today = date.today()
    trip = Trip.objects.create(
        year=today.year,
        title="matrix trip B",
        regions="新疆 喀什",
        leader=leader,
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=3),
        budget=Decimal("8000.00"),
        created_by=leader,
        status=Trip.Status.TRAVELLING,
    )
    stop = TripStop.objects.create(trip=trip, position=1, province="新疆", prefecture="喀什地区", planned_on=today)
    TripStudent.objects.create(trip=trip, stop=stop, student=student, reasons=[], added_by=leader)
    Expense.objects.create(trip=trip, spent_on=today, category="transport", amount=Decimal("120.00"), created_by=leader)
    VisitRecord.objects.create(
        trip=trip, student=student, visited_on=today, idempotency_key=uuid.uuid4(), created_by=leader
    )
    return trip


def _png() -> bytes:
    """A valid 1×1 PNG (uploads and downloads check content, not names)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff" * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = _png()


def _objects_the_demo_lacks(
    college_a: College,
    college_b: College,
    student_a: Student,
    student_b: Student,
    trip_a: models.Model,
    trip_b: models.Model,
    logins: dict[str, User],
    personas: dict[str, User | None],
) -> None:
    """Objects a URL names that the demo school has none of (or none in scope B): questions to reporters,
    blocked days, booking restrictions, journal images, identification documents, visit photos, follow-ups.
    Files go to MEDIA_ROOT, which `measure` points at a temporary directory."""
    from datetime import date, timedelta

    from django.core.files.base import ContentFile

    from aid.models import Identification, IdentificationDocument
    from counseling.models import BlockedDay, BookingRestriction, JournalImage, JournalIssue, Report, ReporterQuestion
    from homevisits.models import FollowUp, VisitPhoto, VisitRecord

    today = date.today()
    for college, asker in ((college_a, logins["station"]), (college_b, personas["station_b"])):
        report = Report.objects.filter(case__college=college).order_by("pk").first()
        if report is not None:
            ReporterQuestion.objects.create(report=report, asked_by=asker, question="Which dormitory?")
    BlockedDay.objects.create(counsellor=logins["station"], date=today + timedelta(days=40), reason="leave")
    BlockedDay.objects.create(counsellor=logins["counselor"], date=today + timedelta(days=41), reason="leave")
    for student in (student_a, student_b):
        if not BookingRestriction.objects.filter(student=student, lifted_at=None).exists():
            BookingRestriction.objects.create(student=student, reason="two no-shows")
    issue = JournalIssue.objects.order_by("pk").first()
    if issue is not None:
        image = JournalImage(issue=issue, content_type="image/png", uploaded_by=logins["counselor"])
        image.image.save("matrix.png", ContentFile(PNG), save=True)
    for identification in (
        Identification.objects.filter(student=student_a).order_by("pk").first()
        or Identification.objects.filter(student__college=college_a).order_by("pk").first(),
        Identification.objects.filter(student__college=college_b).order_by("pk").first(),
    ):
        if identification is not None:
            document = IdentificationDocument(
                identification=identification, original_name="pledge.png", content_type="image/png", size=len(PNG)
            )
            document.file.save("pledge.png", ContentFile(PNG), save=True)
    for trip, owner in ((trip_a, logins["visitor"]), (trip_b, personas["visitor_b"])):
        record = VisitRecord.objects.filter(trip=trip).order_by("pk").first()
        if record is None:
            continue
        photo = VisitPhoto(record=record, consent_recorded=True, uploaded_by=owner)
        photo.image.save("visit.png", ContentFile(PNG), save=True)
        if not FollowUp.objects.filter(record=record).exists():
            FollowUp.objects.create(
                record=record,
                kind=FollowUp.Kind.TASK,
                title="Call the family back",
                owner=owner,
                due_on=today + timedelta(days=7),
                created_by=owner,
            )


@dataclass
class _Scope:
    college_a: College
    college_b: College
    student_a: Student
    student_b: Student
    trip_a: models.Model
    trip_b: models.Model | None
    logins: dict[str, User]

    # How each model reaches a student, a college or a trip (the first that applies).
    STUDENT_PATHS = (
        "student",
        "identification__student",
        "placement__student",
        "case__student",
        "contact__plan__student",  # a postvention check-in: the plan's index student
        "report__case__student",
    )
    COLLEGE_PATHS = ("college", "case__college", "report__case__college", "identification__student__college")
    TRIP_PATHS = ("trip", "record__trip")
    COUNSELLOR_PATHS = ("counsellor",)

    def pick(self, model: type[models.Model], variant: str) -> models.Model | None:
        qs = model._default_manager.order_by("pk")
        if model is Student:
            return self.student_a if variant == "A" else self.student_b
        if model is College:
            return self.college_a if variant == "A" else self.college_b
        if model._meta.label == "homevisits.Trip":
            return self.trip_a if variant == "A" else self.trip_b
        if model is ClassGroup:
            college = self.college_a if variant == "A" else self.college_b
            if variant == "A":
                return self.student_a.class_group
            return qs.filter(college=college).first()

        def has(path: str) -> bool:
            current = model
            for part in path.split("__"):
                try:
                    relation = current._meta.get_field(part)
                except FieldDoesNotExist:
                    return False
                if not relation.is_relation or relation.related_model is None:
                    return False
                current = relation.related_model
            return True

        for path in self.TRIP_PATHS:
            if has(path):
                trip = self.trip_a if variant == "A" else self.trip_b
                return qs.filter(**{path: trip}).first() if trip else None
        for path in self.STUDENT_PATHS:
            if has(path):
                if variant == "A":
                    return (
                        qs.filter(**{path: self.student_a}).first()
                        or qs.filter(**{f"{path}__college": self.college_a}).first()
                    )
                return qs.filter(**{f"{path}__college": self.college_b}).first()
        for path in self.COLLEGE_PATHS:
            if has(path):
                college = self.college_a if variant == "A" else self.college_b
                return qs.filter(**{path: college}).first()
        for path in self.COUNSELLOR_PATHS:
            if has(path):
                owner = self.logins["station"] if variant == "A" else self.logins["counselor"]
                return qs.filter(**{path: owner}).first()
        # School-wide objects (funds, events, journal issues, batches): one, in everybody's scope.
        return qs.first() if variant == "A" else None


# --- Running --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    view_name: str
    persona: str
    variant: str  # "A", "B", or "" for a URL without objects
    method: str


def url_for(pattern: Pattern, world: World, variant: str) -> str | None:
    """The URL of `pattern` with the objects of `variant`, or None when the world has no such object."""
    from django.urls import reverse

    objects = objects_of(pattern)
    kwargs: dict[str, object] = {}
    for name in pattern.kwargs:
        if name in objects:
            obj = world.objects.get((objects[name], variant))
            if obj is None:
                return None
            kwargs[name] = obj.idempotency_key if name == "key" else obj.pk
        else:
            kwargs[name] = PARAMS[name]
    return reverse(pattern.view_name, kwargs=kwargs)


def variants_of(pattern: Pattern) -> tuple[str, ...]:
    return ("A", "B") if objects_of(pattern) else ("",)


def iter_requests(world: World) -> Iterator[tuple[Pattern, str, str | None]]:
    for pattern in url_patterns():
        if pattern.view_name in NOT_REQUESTED:
            continue
        for variant in variants_of(pattern):
            yield pattern, variant, url_for(pattern, world, variant)


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "access-matrix"}},
    # MAILERS, not EMAIL_BACKEND: Django 6.1 refuses EMAIL_BACKEND when MAILERS is set (as in settings), so
    # `manage.py access_matrix`, run outside pytest, answered 500 wherever a page sends mail.
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}},
    AXES_ENABLED=False,
)
def run_matrix(world: World) -> tuple[dict[Cell, int], dict[Cell, str], dict[Cell, str]]:
    """Status of every request; for those that raised, the error (counted as 500); for redirects, where to."""
    from django.core.cache import cache

    cache.clear()
    # Sessions stamped at sign-in are not stamped again during the matrix: every request is rolled back, so the
    # stamp (a session UPDATE) would otherwise be written again by each of them.
    with patch.object(middleware_sessions, "SEEN_RESOLUTION", 24 * 3600):
        return _requests(world, cache)


def _requests(world: World, cache) -> tuple[dict[Cell, int], dict[Cell, str], dict[Cell, str]]:
    from django.utils import translation

    clients: dict[str, Client] = {}
    for name, user in world.personas.items():
        client = Client()
        client.cookies["django_language"] = "en"
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients[name] = client
    statuses: dict[Cell, int] = {}
    errors: dict[Cell, str] = {}
    locations: dict[Cell, str] = {}
    with translation.override("en"):
        for pattern, variant, url in iter_requests(world):
            if url is None:
                continue
            for persona in PERSONAS:
                client = clients[persona]
                for method in METHODS:
                    cell = Cell(pattern.view_name, persona, variant, method)
                    # The rollback restores the session row; the cookies are put back too, so a request that
                    # signs out (logout) or changes the session key does not sign the persona out of the rest.
                    cookies = copy.deepcopy(client.cookies)
                    _forget_all_but_page_caches(cache)
                    try:
                        with transaction.atomic():
                            response = client.get(url) if method == "GET" else client.post(url, {})
                            transaction.set_rollback(True)
                    except Exception as exc:  # every failure is a 500 in the matrix
                        statuses[cell] = 500
                        errors[cell] = f"{type(exc).__name__}: {exc}"
                        continue
                    finally:
                        client.cookies = cookies
                    statuses[cell] = response.status_code
                    if response.has_header("Location"):
                        locations[cell] = response["Location"]
    return statuses, errors, locations


# Kept from one request to the next: each persona's navigation and bell count, the same for every request of the
# persona (the world is rolled back after each); computing them afresh was a tenth of the matrix's time.
KEPT_CACHES = (":nav:v1:", ":unread:v1:")


def _forget_all_but_page_caches(cache) -> None:
    """Throttles (receipt codes, anonymous reports) count per client address: each request starts afresh."""
    with cache._lock:  # LocMemCache, set by run_matrix
        for key in [key for key in cache._cache if not any(part in key for part in KEPT_CACHES)]:
            cache._delete(key)


@dataclass
class Measured:
    world: World
    statuses: dict[Cell, int]
    errors: dict[Cell, str]
    locations: dict[Cell, str]
    document: str
    inspected: object = None


def measure(inspect: Callable[[World], object] | None = None) -> Measured:
    """Build the world, run the matrix and render the document, all in one transaction rolled back at the end
    (files in a temporary MEDIA_ROOT); `inspect(world)` runs before the rollback, while the world exists."""
    logging.disable(logging.CRITICAL)  # thousands of refused requests are logged as warnings otherwise
    try:
        with (
            tempfile.TemporaryDirectory(prefix="access-matrix-") as media,
            override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
            transaction.atomic(),
        ):
            world = build_world()
            statuses, errors, locations = run_matrix(world)
            document = render_markdown(world, statuses)
            inspected = inspect(world) if inspect else None
            transaction.set_rollback(True)
    finally:
        logging.disable(logging.NOTSET)
    return Measured(world, statuses, errors, locations, document, inspected)


# --- The document ---------------------------------------------------------------------------------


def _roles_text(view_name: str) -> str:
    if view_name in ADMIN_SAMPLES:
        return "admin site (is_staff)"
    declared = access.view_rule_for(view_name)
    if declared is None:
        return "**undeclared**"
    text = ", ".join(declared.roles)
    if declared.methods != access.GET_AND_POST:
        text += f" ({'/'.join(declared.methods)} only)"
    if declared.refused == 404:
        text += "; others 404"
    return text


def render_markdown(world: World, statuses: dict[Cell, int]) -> str:
    lines = [
        "# Access matrix",
        "",
        "Generated by `python manage.py access_matrix` (checked by portal/tests/test_access_matrix.py; do not",
        "edit by hand). Every URL pattern is requested by every persona with an empty GET and an empty POST",
        "(CSRF off). Columns: one persona per role of scope A (college 计算机学院, the demo `student`, the",
        "demo `visitor`'s trip), then same-role personas of scope B (another college, another student, the",
        "other trip). Each cell is `GET/POST` for the object of scope **A**, then ` · ` and the same for the",
        "object of scope **B**; a URL without objects has one pair. `–` means the world has no such object",
        "(or, for healthz, that the URL is not requested: it reports the health of the database and broker).",
        "Allowed: the roles and methods of the rule on each URL (`portal.access.page`), checked by the middleware",
        'before the view runs (other roles get 403, or 404 where marked "others 404"; another method 405); the',
        "view then checks object scope: 404 outside it, 403 in scope but not allowed.",
        "",
        "| URL | allowed | " + " | ".join(PERSONAS) + " |",
        "|---|---|" + "---|" * len(PERSONAS),
    ]
    for pattern in url_patterns():
        cells = []
        for persona in PERSONAS:
            parts = []
            for variant in variants_of(pattern):
                pair = [statuses.get(Cell(pattern.view_name, persona, variant, m)) for m in METHODS]
                parts.append("–" if None in pair else "/".join(str(s) for s in pair))
            cells.append(" · ".join(parts))
        route = pattern.route.replace("|", "\\|")
        lines.append(
            f"| `{pattern.view_name}` `{route}` | {_roles_text(pattern.view_name)} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


DOCUMENT = Path(settings.BASE_DIR) / "docs" / "access-matrix.md"
# (view name, persona, variant) where seeing an object of the other scope is right, with the reason.
SHARED_OBJECTS_ALLOWED: set[tuple[str, str, str]] = {
    # Open slots are offered to every student, whoever the counsellor (scope A/B of a slot is its counsellor's).
    *(("counseling:booking_new", p, v) for p in ("student", "liaison", "committee", "student_b") for v in "AB"),
    # The demo liaison reported the case of scope A: the station's question is theirs to answer.
    ("counseling:my_question_answer", "liaison", "A"),
    # Teams keep the guardian contact log of the students planned on their own trips.
    ("homevisits:guardian_contacts", "visitor", "A"),
    ("homevisits:guardian_contacts", "visitor_b", "B"),
}


def persona_roles() -> dict[str, set[str]]:
    """The roles each persona holds in the world (the demo logins and the B personas built above)."""
    return {
        ANONYMOUS: set(),
        "student": {Role.STUDENT},
        "liaison": {Role.STUDENT, Role.DORM_LIAISON},
        "committee": {Role.STUDENT, Role.CLASS_COMMITTEE},
        "station": {Role.STATION_COUNSELLOR},
        "counselor": {Role.CENTRE_COUNSELLOR},
        "assessor": {Role.ASSESSOR},
        "aidreviewer": {Role.AID_REVIEWER},
        "aidofficer": {Role.AID_OFFICER},
        "visitor": {Role.VISIT_TEAM},
        "admin": {Role.ADMIN},
        "student_b": {Role.STUDENT},
        "committee_b": {Role.CLASS_COMMITTEE},
        "station_b": {Role.STATION_COUNSELLOR},
        "aidreviewer_b": {Role.AID_REVIEWER},
        "visitor_b": {Role.VISIT_TEAM},
    }
