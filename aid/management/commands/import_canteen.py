"""`manage.py import_canteen FILE [--actor USERNAME]`: the hidden-aid canteen import from the command line."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aid.services.hiddenaid import hiddenaid_canteen_import
from portal.models import User
from portal.services import DomainError


class Command(BaseCommand):
    help = (
        "Import monthly canteen-card data for hidden aid (.xlsx, or .csv in UTF-8 or GBK) with the columns 学号, "
        "月份 (YYYY-MM), 用餐次数 (meals) and 消费金额 (total spend). All or nothing: any bad row and nothing is "
        "written; every error is listed. Each month in the file replaces that month's data; a month whose batch is "
        "already approved is refused. A batch still under review is evaluated again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the canteen file (.xlsx or .csv)")
        parser.add_argument("--actor", help="username recorded in the audit trail as the importer")

    def handle(self, *args: Any, file: str, actor: str | None, **options: Any) -> None:
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        importer = None
        if actor:
            importer = User.objects.filter(username=actor).first()
            if importer is None:
                raise CommandError(f"no user named {actor}")
        try:
            result, reevaluated = hiddenaid_canteen_import(actor=importer, data=data, filename=path.name)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s) in {path.name}; nothing was imported.")
        months = ", ".join(f"{m:%Y-%m}" for m in result.months)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows imported for {months} ({result.replaced} earlier rows replaced)."
            )
        )
        for batch in reevaluated:
            self.stdout.write(f"the batch of {batch.month:%Y-%m} under review was evaluated again")
