"""`manage.py seed_scale`: a school at scale for load tests (see portal.scale). PostgreSQL only."""

import time
from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal.models import Student
from portal.scale import BASE_STUDENTS, BENCH_LOGINS, seed_scale


class Command(BaseCommand):
    help = "Build a large school (30,000 students by default) with three years of history, for load tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--students", type=int, default=BASE_STUDENTS, help="How many students (default 30000).")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data (default 1).")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="The anchor day (YYYY-MM-DD) history runs back from; default: today.",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Empty EVERY table of the database first (manage.py flush). Without it, a database that holds "
            "students (the demo school, an earlier run) is refused.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The bench accounts share one known password: never on a live system.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it writes with COPY).")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off, so this looks like a live system: seed_scale would add bench accounts with the "
                "well-known demo password. Set DEBUG=1, or pass --force if you really mean it."
            )
        students = options["students"]
        if students < 100:
            raise CommandError("--students must be at least 100.")
        if options["flush"]:
            call_command("flush", interactive=False, verbosity=0)
        elif Student.objects.exists():
            raise CommandError(
                "The database already holds students (the demo school or an earlier run); seed_scale does not mix "
                "with them. Use a fresh database, or pass --flush to empty every table first."
            )
        started = time.monotonic()
        result = seed_scale(students=students, seed=options["seed"], today=options["today"], stdout=self.stdout)
        elapsed = time.monotonic() - started
        total = sum(n for _name, counts, _s in result["steps"] for n in counts.values())
        self.stdout.write(self.style.SUCCESS(f"Seeded {total} rows in {elapsed:.1f} s."))
        self.stdout.write(f"\nBench accounts (password: {settings.DEMO_PASSWORD}):")
        for username, description in BENCH_LOGINS.items():
            self.stdout.write(f"  {username:<18} {description}")
