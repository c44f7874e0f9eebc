"""`manage.py access_matrix [--check]`: regenerate docs/access-matrix.md, or check that it is current.

Builds the access-matrix world (portal/tests/matrix.py: the demo school plus personas of another scope) in a
throwaway database (`<NAME>_access_matrix`, created and dropped), requests every URL as every persona, and
writes the table. Needs the development requirements and a database user allowed to create databases.
`--check` exits 1 when the committed document differs; portal/tests/test_access_matrix.py checks the same.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import setup_test_environment, teardown_test_environment

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "access-matrix.md"


def build_document() -> str:
    """The matrix for the current database (rolled back afterwards): what the test compares with the file."""
    from portal.tests import matrix

    return matrix.measure().document


class Command(BaseCommand):
    help = "Write docs/access-matrix.md from a live run of every URL as every persona (--check: compare only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 when docs/access-matrix.md is stale")

    def handle(self, *args, check: bool, **options) -> None:
        # A throwaway database of its own, migrated like the tests' (the PostgreSQL triggers come from
        # migrations), so the run never touches the configured database and its data.
        setup_test_environment()
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_access_matrix"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            document = build_document()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        if check:
            current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
            if current != document:
                changed = difflib.unified_diff(current.splitlines(), document.splitlines(), "committed", "now", n=0)
                self.stderr.write("\n".join(list(changed)[:40]))
                raise CommandError(f"{DOCUMENT} is stale: run `python manage.py access_matrix`")
            self.stdout.write("docs/access-matrix.md is current.")
            return
        DOCUMENT.parent.mkdir(exist_ok=True)
        DOCUMENT.write_text(document, encoding="utf-8")
        self.stdout.write(f"Wrote {DOCUMENT}.")
