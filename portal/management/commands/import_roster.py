"""`manage.py import_roster FILE [--dry-run]`: the roster import from the command line."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.kernel.commands import actor_argument, read_file_argument
from portal.roster import roster_import


class Command(BaseCommand):
    help = (
        "Import a student roster (.xlsx, or .csv in UTF-8 or GBK) with Chinese headers: 学号 姓名 性别 学院 专业 "
        "班级 入学年份 required; 民族 身份证号 手机 宿舍楼 宿舍号 楼层 省 地区 县 家庭地址 状态 监护人 监护人关系 "
        "监护人电话 optional. All or nothing: any bad row and nothing is written; every error is listed. Students "
        "are matched by 学号 and updated, or created. New students get a login named after their 学号 with an "
        "unusable password: they sign in through the college's SSO, or set a password with a password reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the roster file (.xlsx or .csv)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")
        parser.add_argument("--actor", help="username recorded in the audit trail as the importer")

    def handle(self, *args: Any, file: str, dry_run: bool, actor: str | None, **options: Any) -> None:
        path = Path(file)
        data = read_file_argument(path)
        importer = actor_argument(actor)

        result = roster_import(actor=importer, data=data, filename=path.name, dry_run=dry_run)

        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s) in {path.name}; nothing was imported.")
        if dry_run:
            self.stdout.write(
                f"{path.name}: {result.rows} rows, no errors. Would create {result.created} students and "
                f"update up to {result.updated}. Nothing was written (--dry-run)."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{path.name}: {result.rows} rows imported: {result.created} created, {result.updated} updated, "
                    f"{result.unchanged} unchanged."
                )
            )
