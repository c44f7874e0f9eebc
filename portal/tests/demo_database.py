"""The seeded demo school for the test modules that run against it (the browser journeys, the phone walk, the
crawl), without seeding it again for each.

Seeding costs ~5 s (hundreds of students, cases, applications, trips); copying a database costs ~0.7 s. The
first module of a test process that asks for the demo school empties the test database, seeds it and saves a
copy (`CREATE DATABASE <test db>_demo_<key> TEMPLATE <test db>`); every later one replaces the test database
with a new copy of that. The key holds what seeding reads besides the code: the demo password, the active
language and the default one (notices are written in it), and today's date in Shanghai (slots and deadlines
are relative to it), so a module never gets a school seeded under other settings or on another day.

The copies are dropped when the process ends (`drop_copies`, called by the root conftest).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone, translation

_copies: dict[str, str] = {}  # key → database name, for this process


def _key() -> str:
    parts = [settings.DEMO_PASSWORD, translation.get_language() or "", settings.LANGUAGE_CODE]
    parts.append(timezone.localdate().isoformat())
    parts.append(connection.settings_dict["NAME"])
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def _run(*statements: str) -> None:
    """Statements that cannot run in the test database itself (creating or dropping it): from the server's
    maintenance database, with every connection of this process to the test database closed first."""
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def load_demo_school() -> None:
    """Make the test database hold exactly the seeded demo school (whatever it held before)."""
    from portal.demo import seed_demo

    name = connection.settings_dict["NAME"]
    assert name.startswith("test_"), "never replace a real database"
    key = _key()
    quote = connection.ops.quote_name
    copy = _copies.get(key)
    if copy is not None:
        # FORCE: a connection a live server's request thread left open must not keep the old database alive.
        _run(f"DROP DATABASE {quote(name)} WITH (FORCE)", f"CREATE DATABASE {quote(name)} TEMPLATE {quote(copy)}")
        return
    call_command("flush", interactive=False, verbosity=0)
    seed_demo()
    copy = f"{name}_demo_{key}"
    _run(f"DROP DATABASE IF EXISTS {quote(copy)}", f"CREATE DATABASE {quote(copy)} TEMPLATE {quote(name)}")
    _copies[key] = copy


def drop_copies() -> None:
    """Drop this process's copies of the demo school."""
    if not _copies:
        return
    quote = connection.ops.quote_name
    _run(*(f"DROP DATABASE IF EXISTS {quote(copy)} WITH (FORCE)" for copy in _copies.values()))
    _copies.clear()
