"""`make bench` cannot rot: scripts/bench.py --quick against the test database, with tiny numbers.

It seeds the (committed, flushed afterwards) test database with the demo school, starts gunicorn on it, signs
in every persona, measures every page, the bare view and the admin changelists, and runs the three jobs.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR / "scripts"))

import bench  # noqa: E402


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def table_rows(markdown: str) -> dict[str, list[str]]:
    """The rows of the markdown tables, by their first cell."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("|--"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


def number(cell: str) -> float:
    return float(cell.replace(",", "").rstrip("×%"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_quick_bench_measures_every_page_and_job_without_server_errors(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the bench runs gunicorn against PostgreSQL")
    output = tmp_path / "benchmarks.md"
    monkeypatch.setenv("DATABASE_URL", database_url())
    connection.close()  # the bench and gunicorn write to the database from other processes
    completed = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "scripts" / "bench.py"),
            *("--quick", "--seed", "demo", "--requests", "2", "--seconds", "0.3", "--warmup", "1"),
            *("--reminders", "20", "--roster-rows", "20", "--canteen-rows", "40", "--output", str(output)),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,  # 13 pages and 6 admin changelists, on a machine that may be shared
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    rows = table_rows(output.read_text(encoding="utf-8"))
    header = rows["page"]
    rps, errors, targets = header.index("req/s"), header.index("5xx"), header.index("targets")
    admin_rps = header.index("admin req/s")

    assert number(rows[bench.BARE.label][rps]) > 0
    for page in bench.PAGES:
        row = rows[page.label]
        assert "skipped" not in row[targets], row
        assert "unexpected" not in row[targets], row
        assert number(row[rps]) > 0, row
        assert number(row[header.index("queries")]) > 0, row
        assert row[errors] == "0", row
        if page.admin:
            assert number(row[admin_rps]) > 0, row

    assert "MB" in rows["peak RSS of a gunicorn worker (VmHWM)"][1]
    reminders = next(cells for label, cells in rows.items() if label.startswith("20 due reminders"))
    assert "sent 20," in reminders[1] and "exactly once: yes" in reminders[1]
    assert any(label.startswith("roster import, 20 rows") for label in rows)
    assert any(label.startswith("hidden aid, 40 canteen rows") for label in rows)


def test_without_the_bench_variable_there_is_no_query_header_nor_bare_view(client, django_user_model):
    from django.conf import settings
    from django.urls import Resolver404, resolve

    assert "portal.middleware_bench.QueryCountHeaderMiddleware" not in settings.MIDDLEWARE
    with pytest.raises(Resolver404):
        resolve("/bench/bare/")
    client.force_login(django_user_model.objects.create_user(username="bench-probe", password="x" * 12))
    assert "X-Query-Count" not in client.get("/")
