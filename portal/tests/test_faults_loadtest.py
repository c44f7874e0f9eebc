"""The load run's smoke version (scripts/loadtest.py, 10 users × 5 s): no 5xx, no connection errors, and a
clean reconciliation (every write the server confirmed is in the database once, nothing twice).

It runs the script as `make loadtest` does, on its own database (nuanxin_load_smoke) copied from the seeded
template `make loadtest` uses too (nuanxin_load_template, rebuilt only when the migrations or the demo seeders
change: the first run on a machine migrates and seeds it, about a minute; later runs take ~20 s)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def test_a_short_load_run_has_no_server_errors_and_reconciles(tmp_path: Path):
    summary_file = tmp_path / "summary.json"
    run = subprocess.run(
        [
            sys.executable,
            "scripts/loadtest.py",
            "--users",
            "10",
            "--duration",
            "5",
            "--database",
            "nuanxin_load_smoke",
            "--json",
            str(summary_file),
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert summary_file.exists(), run.stdout + run.stderr
    summary = json.loads(summary_file.read_text())
    assert summary["server_errors"] == 0, run.stdout
    assert summary["connection_errors"] == 0, run.stdout
    assert summary["reconciliation"] == [], run.stdout
    assert summary["requests"] >= 20  # every user signed in and did something
    writes = summary["writes"]
    assert writes["reports"] + writes["screenings"] + writes["bookings"] > 0
    assert summary["ok"] and run.returncode == 0, run.stdout
