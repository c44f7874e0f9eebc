"""python manage.py apply_retention [--years N] [--draft-days N] [--dry-run]: see portal.retention."""

from django.core.management.base import BaseCommand, CommandParser

from portal.retention import apply_retention, steps


class Command(BaseCommand):
    help = "Archive closed crisis cases after N years and delete expired drafts; never touches the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years", type=int, help="Years after closing until a case is archived (default: the admin setting, 5)"
        )
        parser.add_argument(
            "--draft-days", type=int, help="Days until an untouched visit-record draft is deleted (default: 30)"
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing")

    def handle(self, *args, years: int | None, draft_days: int | None, dry_run: bool, **options) -> None:
        for value, name in ((years, "--years"), (draft_days, "--draft-days")):
            if value is not None and value < 1:
                self.stderr.write(f"{name} must be at least 1")
                raise SystemExit(2)
        overrides = {"counseling.closed_case_retention_years": years, "homevisits.draft_retention_days": draft_days}
        results = apply_retention(dry_run=dry_run, overrides=overrides)
        descriptions = {s.key: s.description for s in steps()}
        verb = "would change" if dry_run else "changed"
        for key, count in results.items():
            self.stdout.write(f"{descriptions[key]}: {count} {verb}")
