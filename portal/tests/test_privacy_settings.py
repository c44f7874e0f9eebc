"""Privacy and security settings: passwords, CSRF on every POST, logging and error reports."""

import logging
import re
import sys
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.views.debug import ExceptionReporter

from portal.logfilters import PrivateExceptionReporter, PrivateExceptionReporterFilter, ScrubSensitive, scrub
from portal.tests.factories import UserFactory

# --- Passwords -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Xk7#pq2!", "too short"),  # 8 characters
        ("Xk7#pq2!zw9", "too short"),  # 11: ASVS V2.1.1 asks for 12
        ("password123", "too common"),
        ("1234567890123", "entirely numeric"),
        ("maimaiti2024", "too similar"),  # the username
    ],
)
def test_weak_passwords_are_refused(password, reason):
    user = UserFactory(username="maimaiti2024", full_name="买买提")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert reason in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_a_long_unrelated_passphrase_is_accepted():
    user = UserFactory(username="maimaiti2024")
    validate_password("晴天-湖边-散步-喝茶-9", user)  # no exception (12 characters, ASVS V2.1.1)


# --- CSRF on every POST --------------------------------------------------------------------------------------

FILLERS = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}


def all_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(URL with every parameter filled, view name) for each pattern outside the Django admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from all_patterns(entry, prefix + fill(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(n for n in (namespace, entry.name) if n) if entry.name else str(entry.pattern)
            yield "/" + prefix + fill(entry.pattern), name


def fill(pattern) -> str:
    """The route with each <converter:name> replaced by a value it accepts (the CSRF check runs before the view,
    so any id will do)."""
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: FILLERS.get(m.group(1) or "str", "1"), str(pattern))


URLS = sorted(set(all_patterns()))


def test_the_walk_finds_the_portals_urls():
    names = {name for _, name in URLS}
    assert {"counseling:report_new", "aid:index", "homevisits:index", "portal:my_data", "login"} <= names
    assert not any("<" in url for url, _ in URLS), [url for url, _ in URLS if "<" in url]


# The one view that takes a POST without a CSRF token, and why: the CAS server's single-logout request comes
# server to server with no browser session to hold a token. It only ever ends the session a named service
# ticket started (portal/tests/test_sso.py), so a forged POST changes nothing for anyone else.
CSRF_EXEMPT = {"sso_login"}


def test_the_csrf_exemptions_are_exactly_the_listed_ones():
    exempt = {name for url, name in URLS if getattr(resolve(url).func, "csrf_exempt", False)}
    assert exempt == CSRF_EXEMPT


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "name"), URLS, ids=[name for _, name in URLS])
def test_every_post_without_a_csrf_token_is_refused(world, url, name):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["admin"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(url, {"x": "1"})
    if name in CSRF_EXEMPT:
        # Refused without a logout request (or with CAS off), and the signed-in session is untouched.
        assert response.status_code in (400, 404), (url, response.status_code)
        assert client.get(reverse("portal:home")).status_code == 200
        return
    assert response.status_code == 403, (url, response.status_code)
    assert b"CSRF verification failed" in response.content, url


@pytest.mark.django_db
def test_a_signed_out_post_without_a_token_is_refused_too(world):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/counseling/report/", {"narrative": "x"})
    assert response.status_code == 403 and b"CSRF verification failed" in response.content


# --- Logging and error reports -----------------------------------------------------------------------------


def test_production_logging_never_logs_sql_and_scrubs_every_handler():
    assert settings.LOGGING["loggers"]["django.db.backends"]["level"] in ("INFO", "WARNING", "ERROR")
    for handler in settings.LOGGING["handlers"].values():
        assert "scrub" in handler.get("filters", [])
    assert logging.getLogger("django.db.backends").getEffectiveLevel() > logging.DEBUG


def test_database_errors_lose_the_failing_row_and_id_numbers_are_masked():
    text = (
        'new row for relation "aid_identification" violates check constraint\n'
        "DETAIL:  Failing row contains (7, draft, f, 4, 24000.00, 0.00, [], gAAAA...).\n"
        "DETAIL:  Key (id_card_index)=(abc123) already exists.\n"
        "student 42010119900307123X and 420101199003071234 phone 13800138000"
    )
    cleaned = scrub(text)
    assert "24000.00" not in cleaned and "abc123" not in cleaned
    assert "42010119900307123X" not in cleaned and "420101199003071234" not in cleaned
    assert "13800138000" in cleaned  # not everything that is a number is redacted


def test_the_filter_scrubs_messages_and_tracebacks():
    try:
        raise ValueError("Failing row contains (1, 98765.43).")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "ID %s", ("420101199003071234",), sys.exc_info())
    assert ScrubSensitive().filter(record)
    formatted = logging.Formatter().format(record)
    assert "420101199003071234" not in formatted and "98765.43" not in formatted
    assert "ValueError" in formatted


def test_error_reports_carry_no_post_or_get_values_nor_local_variables(settings):
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "portal.logfilters.PrivateExceptionReporterFilter"
    assert settings.DEFAULT_EXCEPTION_REPORTER == "portal.logfilters.PrivateExceptionReporter"
    settings.DEBUG = False
    # Built at run time: the HTML report quotes this test's source lines, which must not count as a leak.
    narrative, income, name = "".join(["她昨晚", "说不想", "活了"]), str(24000 + 17), "买买" + "提"
    request = RequestFactory().post(f"/counseling/report/?q={name}", {"narrative": narrative, "income": income})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = PrivateExceptionReporter(request, *sys.exc_info())
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
    for report in (text, html):
        assert narrative not in report and income not in report and name not in report
        assert "RuntimeError" in report and "narrative" in report  # the field names stay, for debugging
    assert isinstance(reporter.filter, PrivateExceptionReporterFilter)


def test_with_debug_on_the_developer_still_sees_everything(settings):
    settings.DEBUG = True
    request = RequestFactory().post("/x/", {"narrative": "看得见"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "看得见" in text
