"""PostgreSQL restarted under a running server: the next request succeeds, and no request is ever answered
with a traceback.

Never the shared PostgreSQL: a throwaway cluster of this test's own (portal/tests/faults.py) on a free port,
migrated by `manage.py migrate` in a subprocess, served by gunicorn in another, with persistent connections
(CONN_MAX_AGE=60) so the worker holds a connection that the restart breaks. CONN_HEALTH_CHECKS makes
Django notice that at the start of the next request and reconnect instead of failing it.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from portal.tests.faults import PgCluster, free_port, kill, pg_cluster, wait_until

pytestmark = pytest.mark.slow

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "faults-admin-password-1"
# What only a signed-in page has: the sign-out form (people are shown by name, and this account has none).
SIGNED_IN = 'action="/accounts/logout/"'


class _PlainHttpPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send the Secure cookies (DEBUG=0 sets them) over the loopback's plain http, as a TLS proxy would."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class Browser:
    """A cookie-keeping HTTP client that returns (status, body) for every answer, errors included."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar(policy=_PlainHttpPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Accept-Language": "en"})
        if data is not None:
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, capture_output=True)


@pytest.fixture
def served() -> Iterator[tuple[PgCluster, str]]:
    """(cluster, base URL) of gunicorn serving the portal from a migrated throwaway cluster."""
    with pg_cluster() as cluster:
        conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE DATABASE nuanxin_faults")
        conn.close()
        port = free_port()
        env = os.environ | {
            "DATABASE_URL": cluster.url("nuanxin_faults"),
            "REDIS_URL": "",  # this test is about the database: the cache is local memory, the broker files
            "CONN_MAX_AGE": "60",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        manage(env, "migrate", "--no-input")
        manage(env, "createsuperuser", "--no-input", "--username", "faults", "--email", "faults@example.edu.cn")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: _answers(base), timeout=30), "gunicorn did not start"
            yield cluster, base
        finally:
            kill(server)


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()
    except OSError:
        return False
    return True


def assert_no_traceback(body: str) -> None:
    assert "Traceback" not in body
    assert not re.search(r"(OperationalError|InterfaceError|psycopg2)", body)


def test_after_a_postgresql_restart_the_next_request_succeeds_and_none_shows_a_traceback(served):
    cluster, base = served
    browser = Browser(base)
    assert browser.request("/accounts/login/")[0] == 200
    status, _ = browser.request(
        "/accounts/login/", {"username": "faults", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf()}
    )
    assert status == 200  # followed the redirect home
    status, body = browser.request("/")  # a session read and the home page's queries
    assert status == 200 and SIGNED_IN in body

    started = time.monotonic()
    cluster.restart()  # fast: every server connection, the worker's persistent one included, is cut

    for _ in range(5):
        status, body = browser.request("/")
        assert status == 200, body[:500]
        assert SIGNED_IN in body  # still signed in: the session survived in the database
    status, body = browser.request("/admin/portal/auditevent/")
    assert status == 200
    assert time.monotonic() - started < 30

    # While it is down: the portal's own error page, never a traceback; then it serves again by itself.
    cluster._run("pg_ctl", "-D", cluster.data, "-m", "fast", "-w", "stop")
    status, body = browser.request("/")
    assert status in (500, 503)
    assert "Something went wrong on our side" in body
    assert_no_traceback(body)
    cluster.start()
    status, body = browser.request("/")
    assert status == 200 and SIGNED_IN in body
