"""Benchmark hidden aid: import canteen data for a scale school and evaluate the rule, timed, beside one SQL
GROUP BY that computes the same candidates (issue 18: the evaluation within 3× of it).

The GROUP BY reads every imported month at once and returns (month, student) of every enrolled student whose
meals and spend meet the rule of their sex, as the evaluation's INSERT … SELECT per month does; the script checks
that both give the same set. The evaluation also creates the batches, deletes untouched rule candidates of a
re-evaluation, writes the candidates and an audit event per month: the GROUP BY is the floor of the reading.

Target (issue 5): 20,000 rows import and evaluate in under 30 s. The variant `--rows 360000` imports
18 months of a 20,000-student school (or, with `--students 360000`, one month of 360,000 students) and
evaluates every month.

Writes to the database in DATABASE_URL, so it refuses to run unless the database's name contains
"bench", or --yes is given. `--syncdb` builds the schema from the models (migrations disabled, as the
tests do) in an empty bench database. Everything it creates is deleted afterwards unless --keep (the
audit events stay: the audit trail is append-only).

    createdb nuanxin_bench
    DATABASE_URL=postgres://…/nuanxin_bench .venv/bin/python scripts/bench_hiddenaid.py --syncdb [--rows 360000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate  # noqa: E402
from aid.services.hiddenaid import hiddenaid_batch_evaluate, hiddenaid_canteen_import, hiddenaid_rules  # noqa: E402
from portal.models import ClassGroup, College, Gender, Student, User  # noqa: E402

PREFIX = "HABENCH"
CLASS_SIZE = 40


class _NoMigrations(dict):
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def build_schema() -> None:
    if "aid_canteenrecord" in connection.introspection.table_names():
        return
    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)


def months_back(count: int) -> list[date]:
    """`count` months ending last month, or before the earliest month the database already holds: importing a
    month replaces all of its rows and the clean-up deletes them, so a bench on seed_scale data must not touch
    the school's own months."""
    from aid.models import CanteenRecord, HiddenAidBatch

    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    earliest = min(
        filter(
            None,
            [
                CanteenRecord.objects.order_by("month").values_list("month", flat=True).first(),
                HiddenAidBatch.objects.order_by("month").values_list("month", flat=True).first(),
            ],
        ),
        default=None,
    )
    if earliest is not None and earliest <= month:
        month = (earliest - timedelta(days=1)).replace(day=1)
    months = []
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return sorted(months)


def make_school(students: int) -> list[str]:
    """The bench students' numbers, creating the missing ones in bulk."""
    college, _ = College.objects.get_or_create(code=PREFIX, defaults={"name": f"{PREFIX}学院"})
    existing = set(Student.objects.filter(student_no__startswith=PREFIX).values_list("student_no", flat=True))
    numbers = [f"{PREFIX}{n:07d}" for n in range(students)]
    missing = [no for no in numbers if no not in existing]
    if missing:
        with transaction.atomic():
            classes = {}
            for n in range((students + CLASS_SIZE - 1) // CLASS_SIZE):
                name = f"{PREFIX}{n:05d}班"
                classes[n], _ = ClassGroup.objects.get_or_create(
                    name=name, defaults={"college": college, "major": "基准", "enrolment_year": 2024}
                )
            password = make_password(None)
            users = User.objects.bulk_create(
                [User(username=no, full_name=no, password=password) for no in missing], batch_size=2000
            )
            Student.objects.bulk_create(
                [
                    Student(
                        user=user,
                        student_no=no,
                        name=f"基准{no[-5:]}",
                        gender=Gender.MALE if int(no[-7:]) % 2 else Gender.FEMALE,
                        college=college,
                        class_group=classes[int(no[-7:]) // CLASS_SIZE],
                        enrolment_year=2024,
                    )
                    for no, user in zip(missing, users, strict=True)
                ],
                batch_size=2000,
            )
    return numbers


def canteen_file(numbers: list[str], months: list[date], seed: int = 5) -> bytes:
    rng = random.Random(seed)
    lines = ["学号,月份,用餐次数,消费金额"]
    for month in months:
        for no in numbers:
            lines.append(f"{no},{month:%Y-%m},{rng.randint(20, 90)},{rng.randint(15000, 70000) / 100:.2f}")
    return "\n".join(lines).encode()


def group_by_candidates(months: list[date]) -> set[tuple[date, int]]:
    """The reference: one GROUP BY over the months' canteen rows, by the current rule."""
    conditions, params = [], []
    for rule in hiddenaid_rules().values():
        conditions.append("(s.gender = %s AND sum(r.meals) >= %s AND sum(r.total_spend) < %s)")
        params += [rule.gender, rule.min_meals, rule.max_spend]
    # Constant SQL; every value is a parameter.
    sql = (
        "SELECT r.month, r.student_id FROM aid_canteenrecord r JOIN portal_student s ON s.id = r.student_id "  # noqa: S608
        "WHERE r.month = ANY(%s) AND s.status = %s GROUP BY r.month, r.student_id, s.gender "
        f"HAVING {' OR '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [months, Student.Status.ENROLLED.value, *params])
        return set(cursor.fetchall())


def evaluated_candidates(months: list[date]) -> set[tuple[date, int]]:
    return set(
        HiddenAidCandidate.objects.filter(batch__month__in=months, by_rule=True).values_list(
            "batch__month", "student_id"
        )
    )


def reset_peak_rss() -> None:
    """Start VmHWM afresh (Linux: 5 into clear_refs), so the peak is that of what follows, not of making the data."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def clean_up(months: list[date]) -> None:
    with transaction.atomic():
        HiddenAidCandidate.objects.filter(batch__month__in=months).delete()
        HiddenAidBatch.objects.filter(month__in=months).delete()
        CanteenRecord.objects.filter(month__in=months).delete()
        CanteenImport.objects.filter(month__in=months).delete()
        students = Student.objects.filter(student_no__startswith=PREFIX)
        user_ids = list(students.values_list("user_id", flat=True))
        students.delete()
        User.objects.filter(pk__in=user_ids).delete()
        ClassGroup.objects.filter(name__startswith=PREFIX).delete()
        College.objects.filter(code=PREFIX).delete()
        User.objects.filter(username=f"{PREFIX.lower()}-officer").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="canteen rows (students × months)")
    parser.add_argument("--students", type=int, default=20_000, help="students of the scale school")
    parser.add_argument("--yes", action="store_true", help="run even if the database name lacks 'bench'")
    parser.add_argument("--syncdb", action="store_true", help="create the tables from the models if missing")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    args = parser.parse_args()

    name = connection.settings_dict["NAME"]
    if "bench" not in str(name) and not args.yes:
        sys.exit(f"refusing to write to database {name!r}: its name lacks 'bench' (pass --yes to insist)")
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the numbers say little", file=sys.stderr)
    if args.syncdb:
        build_schema()

    students = min(args.students, args.rows)
    month_count = max(1, args.rows // students)
    months = months_back(month_count)
    if HiddenAidBatch.objects.filter(month__in=months).exclude(status=HiddenAidBatch.Status.DRAFT).exists():
        sys.exit("a batch of these months is already approved: this is not a bench database")

    started = time.perf_counter()
    numbers = make_school(students)
    officer, _ = User.objects.get_or_create(username=f"{PREFIX.lower()}-officer", defaults={"full_name": "bench"})
    setup = time.perf_counter() - started
    data = canteen_file(numbers, months)
    rows = students * month_count
    print(f"database {name}: {students:,} students × {month_count} month(s) = {rows:,} rows ({len(data):,} bytes)")
    print(f"  school set-up (not timed in the target): {setup:.1f} s")
    try:
        reset_peak_rss()
        t0 = time.perf_counter()
        result, _ = hiddenaid_canteen_import(actor=officer, data=data, filename="bench.csv")
        t1 = time.perf_counter()
        if not result.ok:
            sys.exit(f"import failed: {[str(e) for e in result.errors[:5]]}")
        import_rss = peak_rss_mb()
        reset_peak_rss()
        candidates = 0
        for month in months:
            candidates += hiddenaid_batch_evaluate(actor=officer, month=month)[1]
        t2 = time.perf_counter()
        evaluate_rss = peak_rss_mb()
        reference = group_by_candidates(months)
        t_group = time.perf_counter() - t2
        if reference != evaluated_candidates(months):
            sys.exit("the GROUP BY and the evaluation disagree on the candidates")
        print(f"  import:     {t1 - t0:6.2f} s  ({rows / (t1 - t0):,.0f} rows/s)")
        print(f"  evaluate:   {t2 - t1:6.2f} s  ({candidates:,} candidates in {month_count} batch(es))")
        print(f"  group by:   {t_group:6.2f} s  ({len(reference):,} candidates, the same set)")
        print(f"  evaluate / group by: {(t2 - t1) / t_group:.1f}×")
        print(f"  peak RSS (VmHWM) of the evaluation: {evaluate_rss:.0f} MB")
        print(f"  peak RSS (VmHWM) of the import: {import_rss:.0f} MB (the officer's upload, a web request)")
        print(f"  total:      {t2 - t0:6.2f} s  (target for 20,000 rows: under 30 s)")
        # Importing again replaces the months: the cost an officer pays for a corrected file.
        t3 = time.perf_counter()
        result, reevaluated = hiddenaid_canteen_import(actor=officer, data=data, filename="bench-again.csv")
        t4 = time.perf_counter()
        print(f"  re-import (replaces {result.replaced:,} rows, re-evaluates {len(reevaluated)}): {t4 - t3:6.2f} s")
    finally:
        if not args.keep:
            clean_up(months)


if __name__ == "__main__":
    main()
