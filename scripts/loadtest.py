#!/usr/bin/env python
"""A bounded load run on loopback, with a reconciliation of every write.

    scripts/test-services.sh .venv/bin/python scripts/loadtest.py            # `make loadtest`: 100 users, 60 s
    scripts/test-services.sh .venv/bin/python scripts/loadtest.py --users 10 --duration 5

What it does, all on 127.0.0.1:
1. (re)creates its own database (`--database`, default nuanxin_load) on the PostgreSQL server of
   DATABASE_URL, migrates it and seeds the demo school (`seed_demo --force`); every demo student gets the
   demo password, so each virtual student signs in as a different student;
2. starts gunicorn (`--workers`, default 2, sync) with DEBUG=0 on a free port;
3. runs `--users` virtual users (threads, stdlib HTTP; 80 % students, 20 % staff) for `--duration` seconds,
   arriving over the first quarter of the run (at most 10 s). Students report worries (each narrative carries
   a unique marker; one report in ten is sent twice with the same form token, as a double click), fill in
   PHQ-9/GAD-7 and book counselling; staff triage (open the queue and acknowledge new cases) and approve
   applications. Each user waits up to `--think` seconds (random) between steps. Users start signed in (a
   session written into the store) unless `--sign-in`: signing in is an Argon2 hash, deliberately slow;
4. prints the requests, throughput, latency percentiles per step, the 5xx and connection errors, and
   a reconciliation against the database: every write the server confirmed is there, once, and nothing
   the users did is there twice (a write whose answer never came, a client timeout, is "in doubt": it may be
   stored or not, but never twice).

Exit status 0 only with zero 5xx, zero connection errors and a clean reconciliation. `--json FILE` also
writes the summary as JSON (used by portal/tests/test_faults_loadtest.py). The broker is Redis database 13
of REDIS_URL's server when REDIS_URL is set (its queue is emptied afterwards), so no developer worker
takes the run's kicks; without REDIS_URL the portal falls back to its filesystem broker.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REDIS_DB = 13


# --- setup ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_urls(name: str) -> tuple[str, str]:
    """(maintenance URL, load database URL) on the server of DATABASE_URL."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("loadtest needs PostgreSQL: set DATABASE_URL (or run it through scripts/test-services.sh)")
    return parts._replace(path="/postgres").geturl(), parts._replace(path=f"/{name}").geturl()


def seed_fingerprint() -> str:
    """Changes whenever the schema or the demo data could: the migrations and the demo seeders."""
    digest = hashlib.sha256()
    files = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("*/demo/*.py")) + [ROOT / "portal/demo.py"]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _admin_sql(maintenance_url: str, *statements: object) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(maintenance_url)
    conn.autocommit = True
    rows: list[tuple] = []
    with conn.cursor() as cursor:
        for statement in statements:
            if isinstance(statement, tuple):
                cursor.execute(*statement)
            else:
                cursor.execute(statement)
            if cursor.description:
                rows = cursor.fetchall()
    conn.close()
    return rows


def create_seeded_database(maintenance_url: str, name: str, template: str, env: dict[str, str]) -> bool:
    """(Re)create `name` as a copy of `template`, a migrated and seeded database that is rebuilt only
    when the migrations or the demo seeders change (its fingerprint is the database's comment). Copying a
    template takes seconds; migrate + seed_demo take most of a minute. Returns whether it was rebuilt."""
    from psycopg2 import sql

    fingerprint = seed_fingerprint()
    found = _admin_sql(
        maintenance_url,
        ("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]),
    )
    rebuilt = not found or found[0][0] != fingerprint
    if rebuilt:
        _admin_sql(
            maintenance_url,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)),
            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)),
        )
        template_url = urllib.parse.urlsplit(env["DATABASE_URL"])._replace(path=f"/{template}").geturl()
        template_env = env | {"DATABASE_URL": template_url}
        manage(template_env, "migrate", "--no-input")
        manage(template_env, "seed_demo", "--force")
        _admin_sql(
            maintenance_url,
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(template), sql.Literal(fingerprint)),
        )
    _admin_sql(
        maintenance_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)),
    )
    return rebuilt


def server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    redis_url = env.get("REDIS_URL", "")
    if redis_url:
        redis_url = urllib.parse.urlsplit(redis_url)._replace(path=f"/{REDIS_DB}").geturl()
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="0",
        # Plain static storage and the development encryption key: a benchmark, not a deployment.
        NUANXIN_TESTING="1",
        SECURE_SSL_REDIRECT="0",
        SECRET_KEY=env.get("SECRET_KEY") or "loadtest-only-secret-key-0123456789abcdef0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


@dataclass
class Cast:
    students: list[tuple[str, str]]  # (username, 学号)
    staff: list[str]
    password: str


def mint_session(username: str) -> str:
    """A signed-in session for the user, written straight into the session store (what a sign-in leaves)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portal.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def prepare_cast(env: dict[str, str]) -> Cast:
    """Django in this process, on the load database: give every demo student the demo password."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DEBUG", "NUANXIN_TESTING", "SECRET_KEY")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from portal.models import Student, User

    students = list(
        Student.objects.filter(user__isnull=False, status="enrolled").values_list("user__username", "student_no")
    )
    if not students:
        students = list(Student.objects.filter(user__isnull=False).values_list("user__username", "student_no"))
    User.objects.filter(username__in=[u for u, _ in students]).update(password=make_password(settings.DEMO_PASSWORD))
    return Cast(
        students=students, staff=["station", "counselor", "aidreviewer", "aidofficer"], password=settings.DEMO_PASSWORD
    )


def start_server(env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn)
        [
            PY,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).close()
            return process
        except OSError:
            if process.poll() is not None:
                sys.exit("gunicorn exited at start")
            time.sleep(0.3)
    stop_server(process)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


# --- virtual users -----------------------------------------------------------------------------------------


class _PlainHttpPolicy(http.cookiejar.DefaultCookiePolicy):
    """DEBUG=0 marks the cookies Secure; on loopback http they are sent anyway, as behind a TLS proxy."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


@dataclass
class Results:
    """Everything the users saw, and every write the server confirmed."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    connection_errors: list[str] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)  # idempotency key → marker
    # Writes sent whose answer never came (a client timeout): they may or may not be stored, once at most.
    reports_in_doubt: dict[str, str] = field(default_factory=dict)
    screenings_in_doubt: set[str] = field(default_factory=set)
    bookings_in_doubt: list[tuple[str, int]] = field(default_factory=list)
    acknowledged_in_doubt: list[int] = field(default_factory=list)
    double_submits: int = 0
    screenings: set[str] = field(default_factory=set)  # idempotency keys
    bookings: list[tuple[str, int]] = field(default_factory=list)  # (username, slot id)
    acknowledged: list[int] = field(default_factory=list)  # case ids
    approvals: int = 0


class User:
    def __init__(self, base: str, username: str, password: str, results: Results, think: float) -> None:
        self.base, self.username, self.password, self.results, self.think = base, username, password, results, think
        self.cookies = http.cookiejar.CookieJar(policy=_PlainHttpPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())
        self.rng = random.Random(f"{username}-{time.monotonic_ns()}")

    def request(self, step: str, path: str, data: dict | list | None = None) -> tuple[int, str, str]:
        """(status, body, Location). 5xx and failed connections are recorded; never raises."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        url = self.base + path  # always http://127.0.0.1:<port>/…
        request = urllib.request.Request(url, data=body, headers={"Accept-Language": "en"})  # noqa: S310
        if data is not None:
            request.add_header("Referer", self.base + path)
        start = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, text, location = response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, text, location = exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")
        except OSError as exc:
            with self.results.lock:
                self.results.connection_errors.append(f"{step} {path}: {exc}")
            return 0, "", ""
        elapsed = time.monotonic() - start
        with self.results.lock:
            self.results.latencies[step].append(elapsed)
            self.results.statuses[status] += 1
            if status >= 500:
                self.results.server_errors.append(f"{step} {path}: {status}")
        return status, text, location

    def csrf(self) -> str:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), "")

    def sign_in(self) -> bool:
        self.request("login page", "/accounts/login/")
        status, _, _ = self.request(
            "sign in",
            "/accounts/login/",
            {"username": self.username, "password": self.password, "csrfmiddlewaretoken": self.csrf()},
        )
        return status == 302

    def pause(self) -> None:
        time.sleep(self.rng.uniform(0, self.think))

    def run(self, deadline: float, session_key: str | None) -> None:
        if session_key:
            self.cookies.set_cookie(_session_cookie(session_key))
        elif not self.sign_in():
            return
        while time.monotonic() < deadline:
            self.step()
            self.pause()

    def step(self) -> None:
        raise NotImplementedError


def _session_cookie(key: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, "sessionid", key, None, False, "127.0.0.1", False, False, "/", True, True, None, False, None, None, {}
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 302 is an answer to record, not to follow
        return None


class StudentUser(User):
    def __init__(self, *args, others: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.others = others

    def step(self) -> None:
        choice = self.rng.random()
        if choice < 0.25:
            self.request("home", "/")
        elif choice < 0.5:
            self.report()
        elif choice < 0.75:
            self.screen()
        else:
            self.book()

    def report(self) -> None:
        self.request("report form", "/counseling/report/")
        key, marker = str(uuid.uuid4()), f"LOAD-{uuid.uuid4().hex}"
        data = {
            "about": "other",
            "student_no": self.rng.choice(self.others),
            "relation": "classmate",
            "signs": ["mood"],
            "narrative": f"最近情绪很低落，不怎么说话。{marker}",
            "when_where": "宿舍",
            "idempotency_key": key,
            "csrfmiddlewaretoken": self.csrf(),
        }
        sends = 2 if self.rng.random() < 0.1 else 1  # a double click now and then
        for attempt in range(sends):
            status, _, location = self.request("report send", "/counseling/report/", data)
            if status == 302 and "/received/" in location:
                with self.results.lock:
                    self.results.reports[key] = marker
                    self.results.reports_in_doubt.pop(key, None)
                    self.results.double_submits += attempt == 1
                self.request("report received", location)
            elif status == 0 and key not in self.results.reports:
                with self.results.lock:
                    self.results.reports_in_doubt[key] = marker

    def screen(self) -> None:
        instrument, items = self.rng.choice([("phq9", 9), ("gad7", 7)])
        path = f"/counseling/screening/take/{instrument}/"
        self.request("screening form", path)
        key = str(uuid.uuid4())
        data = {f"item_{n}": str(self.rng.randint(0, 2)) for n in range(1, items + 1)}
        if instrument == "phq9" and self.rng.random() < 0.95:
            data["item_9"] = "0"
        data |= {"idempotency_key": key, "csrfmiddlewaretoken": self.csrf()}
        status, _, location = self.request("screening send", path, data)
        if status == 302:
            with self.results.lock:
                self.results.screenings.add(key)
            self.request("screening result", location)
        elif status == 0:
            with self.results.lock:
                self.results.screenings_in_doubt.add(key)

    def book(self) -> None:
        status, page, _ = self.request("slots", "/counseling/appointments/")
        slots = re.findall(r"/counseling/appointments/slots/(\d+)/book/", page)
        if status != 200 or not slots:
            return
        slot = int(self.rng.choice(slots))
        path = f"/counseling/appointments/slots/{slot}/book/"
        self.request("booking form", path)
        status, _, _ = self.request(
            "booking send",
            path,
            {"reason": "想聊聊学习压力。", "consent": "on", "csrfmiddlewaretoken": self.csrf()},
        )
        if status in (302, 0):
            with self.results.lock:
                (self.results.bookings if status else self.results.bookings_in_doubt).append((self.username, slot))


class StaffUser(User):
    def step(self) -> None:
        if self.username in ("station", "counselor"):
            self.triage()
        else:
            self.approve()

    def triage(self) -> None:
        status, page, _ = self.request("triage queue", "/counseling/queue/")
        cases = sorted(set(re.findall(r"/counseling/cases/(\d+)/", page)))
        if status != 200 or not cases:
            return
        case = int(self.rng.choice(cases))
        status, page, _ = self.request("case page", f"/counseling/cases/{case}/")
        if status == 200 and f"/counseling/cases/{case}/acknowledge/" in page:
            status, _, _ = self.request(
                "acknowledge", f"/counseling/cases/{case}/acknowledge/", {"csrfmiddlewaretoken": self.csrf()}
            )
            if status in (302, 0):
                with self.results.lock:
                    (self.results.acknowledged if status else self.results.acknowledged_in_doubt).append(case)

    def approve(self) -> None:
        status, page, _ = self.request("application queue", "/aid/applications/review/")
        applications = sorted(set(re.findall(r"/aid/applications/(\d+)/", page)))
        if status != 200 or not applications:
            return
        pk = int(self.rng.choice(applications))
        status, page, _ = self.request("application page", f"/aid/applications/{pk}/")
        actions = re.findall(rf"/aid/applications/{pk}/(college_approve|publish_notice|school_approve)/", page)
        if status == 200 and actions:
            status, _, _ = self.request(
                "approve", f"/aid/applications/{pk}/{actions[0]}/", {"note": "", "csrfmiddlewaretoken": self.csrf()}
            )
            if status == 302:
                with self.results.lock:
                    self.results.approvals += 1


def run_users(
    base: str, cast: Cast, users: int, duration: float, think: float, results: Results, *, sign_in: bool
) -> float:
    rng = random.Random(7)
    numbers = [no for _, no in cast.students]
    staff_count = max(1, users // 5) if users > 1 else 0
    students = rng.sample(cast.students, min(users - staff_count, len(cast.students)))
    crowd: list[User] = [
        StudentUser(base, username, cast.password, results, think, others=[n for n in numbers if n != no])
        for username, no in students
    ]
    crowd += [
        StaffUser(base, cast.staff[i % len(cast.staff)], cast.password, results, think) for i in range(staff_count)
    ]
    # Signed in already, unless asked: a sign-in is an Argon2 hash by design (a deliberately slow ~0.1–0.5 s of
    # CPU), and 100 of them at once on 2 workers would measure the hasher, not the portal.
    sessions = [None if sign_in else mint_session(user.username) for user in crowd]
    start = time.monotonic()
    deadline = start + duration
    threads = [
        threading.Thread(target=user.run, args=(deadline, key), daemon=True)
        for user, key in zip(crowd, sessions, strict=True)
    ]
    # Users arrive over the first quarter of the run (at most 10 s), not all in the same millisecond.
    ramp = min(10.0, duration / 4)
    for thread in threads:
        thread.start()
        time.sleep(ramp / len(threads))
    for thread in threads:
        thread.join(duration + 120)
    return time.monotonic() - start


# --- reconciliation ----------------------------------------------------------------------------------------


def reconcile(results: Results, started_at: datetime) -> list[str]:
    """Problems found in the database; [] when every confirmed write is there exactly once and nothing is there
    twice. A write whose answer never came (client timeout) may be stored or not, but at most once."""
    from aid.models import ApplicationEvent
    from counseling.models import Booking, CaseEvent, Report, ScreeningResult

    problems: list[str] = []

    reports = Report.objects.filter(created_at__gte=started_at)
    by_marker = Counter(m for r in reports for m in re.findall(r"LOAD-[0-9a-f]{32}", r.narrative))
    stored_keys = {str(k) for k in reports.values_list("idempotency_key", flat=True)}
    problems += [f"report {k} confirmed but not stored" for k in results.reports if k not in stored_keys]
    problems += [f"report marker {m} stored {n} times" for m, n in by_marker.items() if n > 1]
    sent = set(results.reports.values()) | set(results.reports_in_doubt.values())
    problems += [f"report marker {m} stored but never sent" for m in by_marker if m not in sent]
    problems += [f"report {k} stored without its marker" for k, m in results.reports.items() if m not in by_marker]

    screened = ScreeningResult.objects.filter(completed_at__gte=started_at)
    stored = Counter(str(k) for k in screened.values_list("idempotency_key", flat=True))
    problems += [f"screening {k} confirmed but not stored" for k in results.screenings if k not in stored]
    problems += [f"screening {k} stored {n} times" for k, n in stored.items() if n > 1]
    sent_keys = results.screenings | results.screenings_in_doubt
    problems += [f"screening {k} stored but never sent" for k in stored if k not in sent_keys]

    booked = Counter(
        Booking.objects.filter(created_at__gte=started_at).values_list("student__user__username", "slot_id")
    )
    confirmed = Counter(results.bookings)
    missing = confirmed - booked
    extra = booked - confirmed - Counter(set(results.bookings_in_doubt))
    problems += [f"booking {b} confirmed but not stored" for b in missing]
    problems += [f"booking {b} stored but never confirmed" for b in extra]
    problems += [f"booking {b} stored {n} times" for b, n in booked.items() if n > 1]

    acks = Counter(
        CaseEvent.objects.filter(at__gte=started_at, kind=CaseEvent.Kind.ACKNOWLEDGED).values_list("case_id", flat=True)
    )
    problems += [f"case {c} acknowledged {n} times" for c, n in acks.items() if n > 1]
    problems += [f"case {c} acknowledgement confirmed but not stored" for c in results.acknowledged if c not in acks]
    sent_acks = set(results.acknowledged) | set(results.acknowledged_in_doubt)
    problems += [f"case {c} acknowledged but never confirmed" for c in acks if c not in sent_acks]

    steps = Counter(ApplicationEvent.objects.filter(at__gte=started_at).values_list("application_id", "to_status"))
    problems += [f"application {a} moved to {s} {n} times" for (a, s), n in steps.items() if n > 1]
    return problems


# --- report ------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(results: Results, elapsed: float, args: argparse.Namespace, problems: list[str]) -> dict:
    everything = [v for values in results.latencies.values() for v in values]
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    return {
        "users": args.users,
        "duration_s": args.duration,
        "workers": args.workers,
        "elapsed_s": round(elapsed, 1),
        "requests": len(everything),
        "requests_per_s": round(len(everything) / elapsed, 1) if elapsed else 0,
        "latency_ms": {q: ms(percentile(everything, q)) for q in (50, 90, 95, 99)}
        | {"max": ms(max(everything, default=0))},
        "steps": {
            step: {"n": len(values), "p50_ms": ms(percentile(values, 50)), "p95_ms": ms(percentile(values, 95))}
            for step, values in sorted(results.latencies.items())
        },
        "statuses": dict(sorted(results.statuses.items())),
        "server_errors": len(results.server_errors),
        "connection_errors": len(results.connection_errors),
        "writes_in_doubt": len(results.reports_in_doubt)
        + len(results.screenings_in_doubt)
        + len(results.bookings_in_doubt)
        + len(results.acknowledged_in_doubt),
        "writes": {
            "reports": len(results.reports),
            "reports_sent_twice": results.double_submits,
            "screenings": len(results.screenings),
            "bookings": len(results.bookings),
            "acknowledgements": len(results.acknowledged),
            "approval_steps": results.approvals,
        },
        "reconciliation": problems,
        "ok": not results.server_errors and not results.connection_errors and not problems,
    }


def print_summary(s: dict, results: Results) -> None:
    lat = s["latency_ms"]
    print(
        f"\n{s['users']} users × {s['duration_s']} s against gunicorn ({s['workers']} workers), "
        f"{s['elapsed_s']} s elapsed"
    )
    print(f"requests: {s['requests']} ({s['requests_per_s']}/s); statuses: {s['statuses']}")
    print(f"latency ms: p50 {lat[50]}  p90 {lat[90]}  p95 {lat[95]}  p99 {lat[99]}  max {lat['max']}")
    print(f"{'step':<20} {'n':>6} {'p50 ms':>9} {'p95 ms':>9}")
    for step, row in s["steps"].items():
        print(f"{step:<20} {row['n']:>6} {row['p50_ms']:>9} {row['p95_ms']:>9}")
    print(f"5xx: {s['server_errors']}  connection errors: {s['connection_errors']}")
    for line in (results.server_errors + results.connection_errors)[:10]:
        print(f"   {line}")
    w = s["writes"]
    print(
        f"confirmed writes: {w['reports']} reports ({w['reports_sent_twice']} sent twice), "
        f"{w['screenings']} screenings, {w['bookings']} bookings, {w['acknowledgements']} acknowledgements, "
        f"{w['approval_steps']} approval steps"
    )
    if s["reconciliation"]:
        print(f"reconciliation: {len(s['reconciliation'])} problems")
        for line in s["reconciliation"][:20]:
            print(f"   {line}")
    else:
        print("reconciliation: clean (every confirmed write stored once, nothing stored twice)")
    print("RESULT:", "OK" if s["ok"] else "FAILED")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--think", type=float, default=2.0, help="longest pause between a user's steps (s)")
    parser.add_argument("--database", default="nuanxin_load")
    parser.add_argument("--template", default="nuanxin_load_template", help="the seeded database copied from")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--sign-in", action="store_true", help="users sign in through the form (Argon2) first")
    args = parser.parse_args()

    maintenance_url, database_url = database_urls(args.database)
    env = server_env(database_url)
    t0 = time.monotonic()
    rebuilt = create_seeded_database(maintenance_url, args.database, args.template, env)
    cast = prepare_cast(env)
    how = "migrated and seeded" if rebuilt else "copied from its seeded template"
    print(f"database {args.database} {how} in {time.monotonic() - t0:.1f} s; {len(cast.students)} students", flush=True)

    port = free_port()
    server = start_server(env, args.workers, port)
    results = Results()
    started_at = datetime.now(UTC)
    try:
        elapsed = run_users(
            f"http://127.0.0.1:{port}", cast, args.users, args.duration, args.think, results, sign_in=args.sign_in
        )
    finally:
        stop_server(server)
    problems = reconcile(results, started_at)
    if env["REDIS_URL"]:
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).delete("celery")  # the run's kicks; no worker was running
    s = summary(results, elapsed, args, problems)
    print_summary(s, results)
    if args.json:
        args.json.write_text(json.dumps(s, ensure_ascii=False, indent=2))
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
