"""Personas: one per role, each with objects in and out of its scope.

`world` builds two colleges (A and B), a class and a room in each, students in each, and one user
per role scoped to college A (plus `station_b`, a same-role user of college B).
"""

import copy
from dataclasses import dataclass

import pytest

from portal.models import ClassGroup, College, DormRoom, Role, Student, User
from portal.tests.factories import (
    TEST_PASSWORD,
    ClassGroupFactory,
    CollegeFactory,
    DormRoomFactory,
    GuardianFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
    grant,
)


@dataclass
class World:
    college_a: College
    college_b: College
    class_a: ClassGroup
    class_b: ClassGroup
    room_a: DormRoom
    room_b: DormRoom
    student_a: Student  # in college A, class A, room A: the student persona
    roommate_a: Student  # same room and class as student_a
    student_b: Student  # in college B
    personas: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.personas[name]


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


def build_world() -> World:
    """The personas' school, written to the database in the current transaction."""
    college_a = CollegeFactory(code="CS", name="计算机学院")
    college_b = CollegeFactory(code="ME", name="机电工程学院")
    class_a = ClassGroupFactory(college=college_a, name="软件2401班")
    class_b = ClassGroupFactory(college=college_b, name="机电2401班", major="机电一体化")
    room_a = DormRoomFactory(building="北苑3栋", floor=3, room="301")
    room_b = DormRoomFactory(building="南苑1栋", floor=1, room="101")
    student_a = StudentFactory(name="买买提·艾力", ethnicity="维吾尔族", class_group=class_a, room=room_a)
    roommate_a = StudentFactory(name="李娜", class_group=class_a, room=room_a)
    student_b = StudentFactory(name="王强", class_group=class_b, room=room_b)
    GuardianFactory(student=student_a, name="艾力·买买提", relation="父亲")

    def staff(username: str, role: str, **scope: object) -> User:
        user = StaffFactory(user=UserFactory(username=username), name=username).user
        grant(user, role, **scope)
        return user

    liaison = StudentFactory(class_group=class_a, room=room_a, user=UserFactory(username="liaison")).user
    grant(liaison, Role.DORM_LIAISON, rooms=[room_a])
    committee = StudentFactory(class_group=class_a, user=UserFactory(username="committee")).user
    grant(committee, Role.CLASS_COMMITTEE, class_group=class_a)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    personas = {
        "student": student_a.user,
        "liaison": liaison,
        "committee": committee,
        "station": staff("station", Role.STATION_COUNSELLOR, college=college_a),
        "station_b": staff("station_b", Role.STATION_COUNSELLOR, college=college_b),
        "counselor": staff("counselor", Role.CENTRE_COUNSELLOR),
        "assessor": staff("assessor", Role.ASSESSOR),
        "aidreviewer": staff("aidreviewer", Role.AID_REVIEWER, college=college_a),
        "aidofficer": staff("aidofficer", Role.AID_OFFICER),
        "visitor": staff("visitor", Role.VISIT_TEAM),
        "admin": admin,
    }
    return World(college_a, college_b, class_a, class_b, room_a, room_b, student_a, roommate_a, student_b, personas)


@pytest.fixture
def world(db, request) -> World:
    """The personas' school for one test: a copy of the one built before the test's transaction began (see
    `_WorldSnapshot`), or built afresh in the test's own transaction when there is none."""
    request.getfixturevalue("_world_rolled_back_at_the_end")
    snapshot = _WorldSnapshot.current
    if snapshot is not None:
        return copy.deepcopy(snapshot)
    return build_world()


@pytest.fixture(scope="session")
def _world_rolled_back_at_the_end(django_db_setup, django_db_blocker):
    """Set up after the test database, so torn down before it is dropped: the shared world's transaction ends."""
    yield
    _WorldSnapshot.close(django_db_blocker)


# --- One world for many tests -------------------------------------------------------------------------
# Building the world costs ~40 queries (~0.1 s); about 1,500 tests ask for it. As Django's TestCase does with
# setUpTestData, the world is built once inside an outer transaction that every test's own transaction (a
# savepoint then) sits in, and each test gets a deep copy of the objects, so in-memory changes do not leak
# either. The outer transaction is rolled back, so the database is never left with the world in it, before any
# test that must not see it: one that touches the database without asking for the world, a transactional test
# (its commits must reach other connections, its flush must not run inside a transaction), a test pinned to a
# day (`any_day`: the world is then built on that day), and at the end of the run. pytest-django leaves room
# for this: its TestCase skips the class-level atomics so that tests can sit in a wider transaction.
_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "django_db_blocker",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


class _WorldSnapshot:
    current: World | None = None
    _atomic = None

    @classmethod
    def open(cls, blocker) -> None:
        from django.db import transaction

        with blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                cls.current = build_world()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        cls._atomic = atomic

    @classmethod
    def close(cls, blocker) -> None:
        from django.db import transaction

        if cls._atomic is None:
            return
        atomic, cls._atomic, cls.current = cls._atomic, None, None
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _touches_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(_DB_FIXTURES & set(item.fixturenames))


def _builds_its_own_data(item) -> bool:
    """A module- or session-wide fixture of the test writes to the database itself (a seeded demo school)."""
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        definition = definitions[-1]
        if (
            definition.scope != "function"
            and "django_db_blocker" in definition.argnames
            and not definition.func.__module__.startswith("pytest_django")
            and definition.argname != "_world_rolled_back_at_the_end"
        ):
            return True
    return False


def _may_share_the_world(item) -> bool:
    from pytest_django.plugin import validate_django_db

    if "world" not in item.fixturenames or "_any_day" in item.fixturenames or _builds_its_own_data(item):
        return False
    if {"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames):
        return False
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return False
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures: open the shared world for a test that may share it, close it for one that
    touches the database otherwise (see above)."""
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    if not hasattr(item, "fixturenames"):
        return
    blocker = item.config.stash[blocking_manager_key]
    shares = _may_share_the_world(item)
    if _WorldSnapshot.current is not None and not shares and _touches_database(item):
        _WorldSnapshot.close(blocker)
    # Only once the test database exists (the first test to need it creates it, with its own world).
    if shares and _WorldSnapshot.current is None and connection.settings_dict["NAME"].startswith("test_"):
        _WorldSnapshot.open(blocker)


@pytest.fixture
def client_for(client):
    """client_for(user) → the test client signed in as that user."""

    def sign_in(user: User):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


# Signing in checks a password hash; argon2 costs ~60 ms a check on purpose, and tests sign in thousands of
# times. The run hashes with MD5 (never in production); argon2 hashes made before still verify, and the tests of
# the real hasher ask for it (`real_password_hashers`).
@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    ):
        yield


@pytest.fixture
def real_password_hashers(settings) -> list[str]:
    """The project's own hashers (portal/settings.py), for a test of how passwords are stored."""
    from portal import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    return settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    """portal.config caches admin settings per process; each test starts from the database."""
    from portal import config

    config.clear_cache()
    yield
    config.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_page_caches():
    """Each test starts without the per-user page caches (portal/tests/pagecaches.py)."""
    from portal.tests.pagecaches import forget_page_caches

    forget_page_caches()
    yield


@pytest.fixture(autouse=True)
def _english_unless_asked(request, settings):
    """Assertions are written against the English source strings; tests of the Chinese default set the
    language themselves (see portal/tests/test_translations.py). LANGUAGE_CODE too: services write
    notices to others in the school's language, also from worker threads."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies["django_language"] = "en"
    # Services called directly (outside a request) write in the active language too.
    with translation.override("en"):
        yield


# --- Any day, any hour ------------------------------------------------------------------------------
# Tests whose outcome could depend on the date or weekday (slots, working days, deadlines, month ends) carry
# `@pytest.mark.any_day`: they run once per day of ANY_DAY_WEEK, each at a different Shanghai hour (a week
# that crosses a month and a year end, with a Monday, a Sunday, a late evening, early mornings when the UTC
# date is still the day before, and a minute past midnight). `NUANXIN_TEST_NOW=2026-12-07T09:00` pins the whole run to
# one moment instead (how the date-sensitive tests were found: the suite, pinned to each of these days).
ANY_DAY_WEEK = (
    ("mon", "2026-12-28T09:00"),
    ("tue", "2026-12-29T23:30"),
    ("wed", "2026-12-30T00:01"),
    ("thu", "2026-12-31T12:00"),
    ("fri", "2027-01-01T18:00"),
    ("sat", "2027-01-02T07:45"),
    ("sun", "2027-01-03T22:59"),
)


def _shanghai(moment: str):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("any_day") is not None:
        metafunc.fixturenames.insert(0, "_any_day")  # first, so the objects a test builds are made on that day
        metafunc.parametrize("_any_day", [m for _, m in ANY_DAY_WEEK], ids=[d for d, _ in ANY_DAY_WEEK], indirect=True)


@pytest.fixture
def _any_day(request):
    import time_machine

    with time_machine.travel(_shanghai(request.param), tick=True):
        yield request.param


@pytest.fixture(autouse=True, scope="session")
def _pinned_run():
    import os

    moment = os.environ.get("NUANXIN_TEST_NOW")
    if not moment:
        yield None
        return
    import time_machine

    with time_machine.travel(_shanghai(moment), tick=True):
        yield moment
