"""`manage.py instrument_load FILE [--check] [--actor USERNAME]`: load a screening instrument definition."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from counseling.services.instruments import instrument_definition_load
from portal.kernel.commands import actor_argument, read_file_argument


class Command(BaseCommand):
    help = (
        "Load a screening instrument definition file (TOML, see docs/instruments.md) as a new version. Every "
        "error is listed with its line; a file with any error changes nothing. Load only instruments the "
        "college is licensed to use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the definition file (.toml, UTF-8)")
        parser.add_argument("--check", action="store_true", help="check the file and report; write nothing")
        parser.add_argument("--actor", help="username recorded in the audit trail as the loader")

    def handle(self, *args: Any, file: str, check: bool, actor: str | None, **options: Any) -> None:
        path = Path(file)
        data = read_file_argument(path)
        loader = actor_argument(actor)
        with transaction.atomic():
            result = instrument_definition_load(actor=loader, data=data, filename=path.name)
            if check:
                transaction.set_rollback(True)
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"{path.name}:{error.line or '-'}: {error.message}")
            raise CommandError(f"{len(result.errors)} error(s) in {path.name}; nothing was loaded.")
        row = result.definition
        if check:
            self.stdout.write(f"{path.name}: {row.name} version {row.version} has no errors. Nothing was written.")
        elif result.created:
            self.stdout.write(self.style.SUCCESS(f"{path.name}: {row.name} ({row.code}) version {row.version} loaded."))
        else:
            self.stdout.write(f"{path.name}: {row.name} ({row.code}) version {row.version} is already loaded.")
