"""EXPLAIN every query of every list and dashboard page, as a persona opening it would run them.

A benchmark check, not a test: point it at a database with realistic volume (e.g. one filled by
`manage.py seed_scale --students 30000`) and read the plans it prints.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nx_scale_full .venv/bin/python scripts/explain_pages.py
    … --analyze          EXPLAIN ANALYZE (runs the queries; everything is rolled back anyway)
    … --only queue,care  pages whose name contains one of these
    … --threshold 10000  flag a Seq Scan on a table estimated to hold more rows than this
    … --verbose          print every query's plan summary, not only the flagged ones
    … --with-model-indexes  first create (inside the same rolled-back transaction) every index the models
                         declare that the database lacks, e.g. before their migration exists. CREATE INDEX
                         locks the table against writes until the run ends: use it on your own copy only.

Each page is requested through the Django test client, signed in as a user holding the page's role (taken
from the database), inside a transaction that is rolled back: sessions, audit entries and last-login stamps
never reach the database. Every SELECT the page ran is then EXPLAINed (FORMAT JSON) and its plan walked; a
Seq Scan on a table with more than `--threshold` rows (pg_class.reltuples) is flagged. The exit status is 1
when anything was flagged, so the check can gate a benchmark run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from portal.models import Role, RoleAssignment, Student, User  # noqa: E402


class _Rollback(Exception):
    pass


@dataclass
class Page:
    name: str
    role: str  # a Role value, "student", or "admin"
    url: Callable[[], str | None]  # None: no object to open in this database, the page is skipped


@dataclass
class Result:
    page: str
    status: int | str
    queries: int = 0
    flags: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)


def _first_pk(model_path: str, **filters: object) -> int | None:
    from django.apps import apps

    app_label, model_name = model_path.split(".")
    model = apps.get_model(app_label, model_name)
    return model.objects.filter(**filters).order_by("-pk").values_list("pk", flat=True).first()


def _url_with(name: str, model_path: str, query: str = "", **filters: object) -> Callable[[], str | None]:
    def build() -> str | None:
        pk = _first_pk(model_path, **filters)
        return None if pk is None else reverse(name, args=[pk]) + query

    return build


def _url(name: str, query: str = "") -> Callable[[], str]:
    return lambda: reverse(name) + query


def _college_with_most_students() -> int | None:
    from django.db.models import Count

    from portal.models import College

    row = College.objects.annotate(n=Count("students")).order_by("-n").values_list("pk", flat=True).first()
    return row


PAGES: list[Page] = [
    # portal
    Page("portal: home (student)", "student", _url("portal:home")),
    Page("portal: home (centre)", Role.CENTRE_COUNSELLOR, _url("portal:home")),
    Page("portal: student list (centre)", Role.CENTRE_COUNSELLOR, _url("portal:student_list")),
    Page("portal: student list, search (centre)", Role.CENTRE_COUNSELLOR, _url("portal:student_list", "?q=王")),
    Page("portal: student list (station)", Role.STATION_COUNSELLOR, _url("portal:student_list")),
    Page("portal: notifications (student)", "student", _url("portal:notifications")),
    # counselling
    Page("counseling: queue (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:queue")),
    Page("counseling: queue, all statuses (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:queue", "?status=all")),
    Page("counseling: queue, level 4 (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:queue", "?level=4")),
    Page("counseling: queue (station)", Role.STATION_COUNSELLOR, _url("counseling:queue")),
    Page("counseling: my cases (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:my_cases")),
    Page("counseling: care list (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:care_list")),
    Page("counseling: care list (station)", Role.STATION_COUNSELLOR, _url("counseling:care_list")),
    Page("counseling: dashboard (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:dashboard")),
    Page("counseling: zero reports (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:zero_reports")),
    Page("counseling: my reports (liaison)", Role.DORM_LIAISON, _url("counseling:my_reports")),
    Page("counseling: open slots (student)", "student", _url("counseling:slots")),
    Page("counseling: my appointments (student)", "student", _url("counseling:my_bookings")),
    Page("counseling: availability (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:availability")),
    Page("counseling: agenda week (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:agenda", "?period=week")),
    Page("counseling: agenda past (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:agenda", "?period=past")),
    Page("counseling: my screenings (student)", "student", _url("counseling:screening_mine")),
    Page("counseling: campaigns (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:campaign_list")),
    Page(
        "counseling: campaign completion (centre)",
        Role.CENTRE_COUNSELLOR,
        _url_with("counseling:campaign_detail", "counseling.ScreeningCampaign"),
    ),
    Page(
        "counseling: campaign positives (centre)",
        Role.CENTRE_COUNSELLOR,
        _url_with("counseling:campaign_positives", "counseling.ScreeningCampaign"),
    ),
    Page("counseling: events (student)", "student", _url("counseling:event_list")),
    Page("counseling: events (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:event_list")),
    Page(
        "counseling: event check-in (centre)",
        Role.CENTRE_COUNSELLOR,
        _url_with("counseling:event_checkin", "counseling.Event"),
    ),
    Page("counseling: coverage (centre)", Role.CENTRE_COUNSELLOR, _url("counseling:coverage")),
    Page(
        "counseling: coverage of a college (centre)",
        Role.CENTRE_COUNSELLOR,
        lambda: (pk := _college_with_most_students()) and reverse("counseling:coverage_college", args=[pk]),
    ),
    Page("counseling: journal (student)", "student", _url("counseling:journal_list")),
    Page(
        "counseling: journal issue (student)",
        "student",
        _url_with("counseling:journal_issue", "counseling.JournalIssue", published_at__isnull=False),
    ),
    # aid
    Page("aid: programmes (student)", "student", _url("aid:programme_list")),
    Page("aid: review queue (reviewer)", Role.AID_REVIEWER, _url("aid:application_queue")),
    Page("aid: applications (officer)", Role.AID_OFFICER, _url("aid:application_list")),
    Page("aid: applications, submitted (officer)", Role.AID_OFFICER, _url("aid:application_list", "?status=submitted")),
    Page("aid: funds (officer)", Role.AID_OFFICER, _url("aid:fund_list")),
    Page("aid: fund ledger (officer)", Role.AID_OFFICER, _url_with("aid:fund_detail", "aid.Fund")),
    Page("aid: programme management (officer)", Role.AID_OFFICER, _url("aid:programme_manage")),
    Page("aid: batches (officer)", Role.AID_OFFICER, _url("aid:batch_list")),
    Page("aid: batch (officer)", Role.AID_OFFICER, _url_with("aid:batch_detail", "aid.PaymentBatch")),
    Page("aid: identifications (reviewer)", Role.AID_REVIEWER, _url("aid:identification_list")),
    Page("aid: identifications (officer)", Role.AID_OFFICER, _url("aid:identification_list")),
    Page("aid: evaluation groups (reviewer)", Role.AID_REVIEWER, _url("aid:evaluation_groups")),
    Page("aid: notices (reviewer)", Role.AID_REVIEWER, _url("aid:notice_list")),
    Page("aid: notice (officer)", Role.AID_OFFICER, _url_with("aid:notice_detail", "aid.Notice")),
    Page("aid: five-aid cases (officer)", Role.AID_OFFICER, _url("aid:fiveaid_list")),
    Page("aid: five-aid cases (reviewer)", Role.AID_REVIEWER, _url("aid:fiveaid_list")),
    Page("aid: work-study posts (officer)", Role.AID_OFFICER, _url("aid:workstudy_posts")),
    Page("aid: work-study posts (student)", "student", _url("aid:workstudy_posts")),
    Page(
        "aid: work-study post (officer)", Role.AID_OFFICER, _url_with("aid:workstudy_post_detail", "aid.WorkStudyPost")
    ),
    Page("aid: dashboard (officer)", Role.AID_OFFICER, _url("aid:dashboard")),
    Page("aid: hidden aid (officer)", Role.AID_OFFICER, _url("aid:hiddenaid_index")),
    Page("aid: hidden-aid batch (officer)", Role.AID_OFFICER, _url_with("aid:hiddenaid_batch", "aid.HiddenAidBatch")),
    Page("aid: my hidden aid (student)", "student", _url("aid:hiddenaid_mine")),
    # home visits
    Page("homevisits: home (officer)", Role.AID_OFFICER, _url("homevisits:index")),
    Page("homevisits: trips (officer)", Role.AID_OFFICER, _url("homevisits:trip_list")),
    Page("homevisits: trip (officer)", Role.AID_OFFICER, _url_with("homevisits:trip_detail", "homevisits.Trip")),
    Page(
        "homevisits: candidates (officer)", Role.AID_OFFICER, _url_with("homevisits:trip_candidates", "homevisits.Trip")
    ),
    Page("homevisits: itinerary (officer)", Role.AID_OFFICER, _url_with("homevisits:itinerary", "homevisits.Trip")),
    Page("homevisits: trip report (officer)", Role.AID_OFFICER, _url_with("homevisits:trip_report", "homevisits.Trip")),
    Page("homevisits: dashboard (officer)", Role.AID_OFFICER, _url("homevisits:dashboard")),
    Page("homevisits: my follow-ups (visit team)", Role.VISIT_TEAM, _url("homevisits:my_follow_ups")),
]


def persona(role: str) -> User | None:
    """A user holding `role` today: the one with the widest reach is not needed, any will do."""
    if role == "student":
        student = Student.objects.filter(user__is_active=True, status=Student.Status.ENROLLED).order_by("pk").first()
        return student.user if student else None
    if role == "admin":
        return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    assignment = (
        RoleAssignment.objects.current()
        .filter(role=role, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return assignment.user if assignment else None


def table_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'")
        return {name: max(int(n), 0) for name, n in cursor.fetchall()}


def walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def explain(sql: str, *, analyze: bool) -> dict:
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return plan[0]


def create_missing_indexes() -> list[str]:
    """Every Meta.indexes entry the database lacks, created in the current transaction."""
    from django.apps import apps

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        present = {name for (name,) in cursor.fetchall()}
    created = []
    with connection.schema_editor(atomic=False) as editor:
        for model in apps.get_models():
            for index in model._meta.indexes:
                if index.name not in present:
                    editor.add_index(model, index)
                    created.append(f"{model._meta.db_table}.{index.name}")
    return created


def _explainable(sql: str) -> str | None:
    """The SELECT of a query (also of a server-side cursor, as .iterator() opens), or None."""
    sql = sql.strip()
    if sql.upper().startswith("DECLARE"):
        sql = sql[sql.upper().index(" FOR ") + len(" FOR ") :]
    return sql if sql.upper().startswith(("SELECT", "WITH")) else None


def check_page(page: Page, *, rows: dict[str, int], threshold: int, analyze: bool) -> Result:
    user = persona(page.role)
    if user is None:
        return Result(page.name, f"skipped: nobody holds the role {page.role}")
    url = page.url()
    if not url:
        return Result(page.name, "skipped: no object to open")
    client = Client()
    result = Result(page.name, 0)
    try:
        with transaction.atomic():  # a savepoint inside main()'s transaction
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            result.status = response.status_code
            result.queries = len(captured.captured_queries)
            for n, sql in enumerate((q["sql"] for q in captured.captured_queries), 1):
                sql = _explainable(sql)
                if sql is None:
                    continue
                plan = explain(sql, analyze=analyze)
                top = plan["Plan"]
                timing = f" {plan.get('Execution Time', 0):.1f} ms" if analyze else ""
                result.summaries.append(f"  q{n:<3} cost {top['Total Cost']:>12.1f}{timing}  {sql[:110]}")
                for node in walk(top):
                    table = node.get("Relation Name")
                    if node["Node Type"] == "Seq Scan" and rows.get(table, 0) > threshold:
                        flag = f"  q{n}: Seq Scan on {table} (~{rows[table]:,} rows)"
                        if node.get("Filter"):
                            flag += f" filter {node['Filter'][:120]}"
                        result.flags.append(flag)
            raise _Rollback
    except _Rollback:
        pass
    except Exception as exc:  # a page that breaks is reported, the others still run
        result.status = f"error: {exc.__class__.__name__}: {str(exc)[:200]}"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE (rolled back)")
    parser.add_argument("--threshold", type=int, default=10_000, help="flag Seq Scans on tables larger than this")
    parser.add_argument("--only", default="", help="comma-separated substrings of page names")
    parser.add_argument("--verbose", action="store_true", help="print every query's plan summary")
    parser.add_argument("--with-model-indexes", action="store_true", help="create missing model indexes first")
    args = parser.parse_args()
    try:
        with transaction.atomic():  # everything below is rolled back
            flagged = run(args)
            raise _Rollback
    except _Rollback:
        pass
    return 1 if flagged else 0


def run(args: argparse.Namespace) -> int:

    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    pages = [p for p in PAGES if not wanted or any(w in p.name for w in wanted)]
    rows = table_rows()
    big = sorted(((n, t) for t, n in rows.items() if n > args.threshold), reverse=True)
    print(f"Database {connection.settings_dict['NAME']}: tables over {args.threshold:,} rows:")
    for n, table in big:
        print(f"  {table:<40} ~{n:,}")
    if not big:
        print("  none (run ANALYZE, or fill the database with seed_scale first)")
    print()
    if args.with_model_indexes:
        created = create_missing_indexes()
        print(f"Created for this run (rolled back): {', '.join(created) or 'none, all present'}\n")
    flagged = 0
    for page in pages:
        result = check_page(page, rows=rows, threshold=args.threshold, analyze=args.analyze)
        mark = "FLAG" if result.flags else ("ok  " if result.status == 200 else "----")
        print(f"{mark} {result.page:<48} status {result.status}  queries {result.queries}")
        if args.verbose:
            print("\n".join(result.summaries))
        for flag in result.flags:
            print(flag)
        flagged += bool(result.flags)
    print(f"\n{len(pages)} pages, {flagged} with a Seq Scan on a table over {args.threshold:,} rows.")
    return flagged


if __name__ == "__main__":
    sys.exit(main())
