"""Benchmark the roster import: generate a 20,000-row roster, import it, re-import it with changes, and
compare with a PostgreSQL COPY of the same rows into the same tables.

The reference (issue 18: the import within 5× of it): the rows the first import wrote (logins, students,
student roles, guardians, classes, rooms), exported, deleted, then loaded again with COPY … FROM STDIN in one
committed transaction (the deferred foreign-key checks included, as the import's commit pays them), and
deleted again. COPY knows nothing of files, checks, encryption or matching: it is the floor of writing these
rows. Prints the peak RSS (VmHWM) of this process, which runs the import as a worker would.

Writes to the database in DATABASE_URL, so it refuses to run unless the database's name contains
"bench" or "dev", or --yes is given. The rows it creates are deleted afterwards (unless --keep); the
two audit events stay, as the audit trail is append-only.

    DJANGO_SETTINGS_MODULE=portal.settings .venv/bin/python scripts/bench_roster.py [--rows 20000] [--format csv]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from portal.models import ClassGroup, College, DormRoom, Student, User  # noqa: E402
from portal.roster import roster_import  # noqa: E402
from portal.tests.roster_files import roster_row, write_csv, write_xlsx  # noqa: E402

PREFIX = "BENCH"
ID_CARD_OFFSET = 3_000_000  # far from the ids test data and demo data use


def bench_rows(count: int, *, phone_prefix: str = "138") -> list[dict]:
    return [
        roster_row(
            ID_CARD_OFFSET + n,
            学号=f"{PREFIX}{n:07d}",
            姓名=f"基准学生{n}" if n % 50 else f"买买提·艾力{n}",
            学院=PREFIX,
            班级=f"{PREFIX}{n % 200:03d}班",
            宿舍楼=f"{PREFIX}{n % 10}栋",
            宿舍号=f"{n % 6 + 1}{n % 40:02d}",
            手机=f"{phone_prefix}{n:08d}",
            监护人电话=f"139{n:08d}",
        )
        for n in range(count)
    ]


def clean_up() -> None:
    with transaction.atomic():
        students = Student.objects.filter(student_no__startswith=PREFIX)
        user_ids = list(students.values_list("user_id", flat=True))
        students.delete()
        User.objects.filter(pk__in=user_ids).delete()
        ClassGroup.objects.filter(name__startswith=PREFIX).delete()
        DormRoom.objects.filter(building__startswith=PREFIX).delete()


# The tables the import writes, each with the query that picks the bench rows; in the order COPY loads them.
# Constant SQL: the bench rows are those of PREFIX ("BENCH").
COPIED_TABLES = (
    ("portal_classgroup", "SELECT * FROM portal_classgroup WHERE name LIKE 'BENCH%'"),
    ("portal_dormroom", "SELECT * FROM portal_dormroom WHERE building LIKE 'BENCH%'"),
    (
        "portal_user",
        "SELECT u.* FROM portal_user u JOIN portal_student s ON s.user_id = u.id WHERE s.student_no LIKE 'BENCH%'",
    ),
    ("portal_student", "SELECT * FROM portal_student WHERE student_no LIKE 'BENCH%'"),
    (
        "portal_roleassignment",
        "SELECT r.* FROM portal_roleassignment r JOIN portal_student s ON s.user_id = r.user_id "
        "WHERE s.student_no LIKE 'BENCH%'",
    ),
    (
        "portal_guardian",
        "SELECT g.* FROM portal_guardian g JOIN portal_student s ON s.id = g.student_id "
        "WHERE s.student_no LIKE 'BENCH%'",
    ),
)


def export_rows() -> dict[str, bytes]:
    """The bench rows of every table the import writes, in COPY's text format."""
    exported = {}
    with connection.cursor() as cursor:
        for table, query in COPIED_TABLES:
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT", buffer)
            exported[table] = buffer.getvalue()
    return exported


def timed_copy(exported: dict[str, bytes]) -> tuple[float, int]:
    """COPY the exported rows back into their tables, one transaction, committed; returns (seconds, rows)."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, _query in COPIED_TABLES:
            cursor.cursor.copy_expert(f"COPY {table} FROM STDIN", io.BytesIO(exported[table]))
    seconds = time.perf_counter() - started
    return seconds, sum(data.count(b"\n") for data in exported.values())


def reset_peak_rss() -> None:
    """Start VmHWM afresh (Linux: 5 into clear_refs), so the peak is that of what follows, not of making the data."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_import(path: Path) -> tuple[float, object]:
    started = time.perf_counter()
    result = roster_import(actor=None, data=path.read_bytes(), filename=path.name)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--yes", action="store_true", help="run even if the database name has no 'bench' or 'dev'")
    parser.add_argument("--keep", action="store_true", help="leave the imported students in the database")
    args = parser.parse_args()

    name = connection.settings_dict["NAME"]
    if not args.yes and "bench" not in name and "dev" not in name:
        print(f"refusing to write to database {name!r}: its name has no 'bench' or 'dev' (pass --yes)")
        return 2
    print(f"database {name} ({connection.vendor}), {args.rows} rows, {args.format}")
    College.objects.get_or_create(code=PREFIX, defaults={"name": "基准测试学院"})
    clean_up()

    writer = write_csv if args.format == "csv" else write_xlsx
    with tempfile.TemporaryDirectory() as tmp:
        first = writer(Path(tmp) / f"roster.{args.format}", bench_rows(args.rows))
        second = writer(Path(tmp) / f"changed.{args.format}", bench_rows(args.rows, phone_prefix="137"))
        print(f"file size {first.stat().st_size / 1024 / 1024:.1f} MB")
        reset_peak_rss()
        exported: dict[str, bytes] = {}
        try:
            for label, path in (("create", first), ("update", second), ("unchanged", second)):
                seconds, result = timed_import(path)
                if result.errors:
                    print(f"{label}: {len(result.errors)} errors, first: {result.errors[0]}")
                    return 1
                print(
                    f"{label:>9}: {seconds:6.2f} s  {args.rows / seconds:8.0f} rows/s  "
                    f"(created {result.created}, updated {result.updated}, unchanged {result.unchanged})"
                )
                if label == "create":
                    create_seconds = seconds
                    exported = export_rows()
        finally:
            clean_up()
        if connection.vendor == "postgresql" and exported:
            try:
                seconds, rows = timed_copy(exported)
            finally:
                if not args.keep:
                    clean_up()
            print(f"     copy: {seconds:6.2f} s  ({rows:,} rows into {len(COPIED_TABLES)} tables, the same rows)")
            print(f"  create / copy: {create_seconds / seconds:.1f}×")
        elif args.keep:
            print("--keep: re-importing the file to leave the students in the database")
            timed_import(first)
    print(f"  peak RSS (VmHWM) of the importing process, from the first import on: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
