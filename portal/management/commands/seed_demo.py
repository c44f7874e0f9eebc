"""`manage.py seed_demo`: build the demo school (see portal.demo). Safe to run on every start."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo school: colleges, classes, rooms, 300 students and one login per role. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts share one known password: never on a live system.",
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a live system: seed_demo would add ten accounts with the "
                "well-known demo password. Set DEBUG=1, or pass --force if you really mean it."
            )
        started = time.monotonic()
        result = seed_demo(stdout=self.stdout)
        elapsed = time.monotonic() - started
        if result["created"]:
            rows = ", ".join(f"{label} {n}" for label, n in result["created"].items())
            self.stdout.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s: {rows}."))
        else:
            self.stdout.write(f"Demo data already present; nothing changed ({elapsed:.1f} s).")
        self.stdout.write(f"\nDemo accounts (password: {result['password']}):")
        width = max(len(username) for username in result["accounts"])
        for username, description in result["accounts"].items():
            self.stdout.write(f"  {username:<{width}}  {description}")
