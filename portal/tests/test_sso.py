"""Campus single sign-on (portal/sso.py, portal/identity.py) against a real CAS server process.

The CAS server is portal/tests/cas_server.py, started once for this module on a free port; the portal validates
tickets against it over HTTP, and for single logout the server POSTs to the portal's live server. Real
PostgreSQL (sessions, axes rows, audit events) and Redis (the reachability cache).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import time_machine
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_cas_ng.models import SessionTicket

from portal import sso
from portal.models import AuditEvent, Student, User
from portal.tests.factories import TEST_PASSWORD, StaffFactory, StudentFactory, UserFactory
from portal.tests.faults import free_port

CAS_SERVER = Path(__file__).with_name("cas_server.py")
STUDENT_NO = "2024770001"
OTHER_STUDENT_NO = "2024770002"
ATTRIBUTE_STUDENT_NO = "2024770003"
GRADUATE_NO = "2019770001"
EMPLOYEE_NO = "T77001"
CAS_ACCOUNTS = {
    STUDENT_NO: {"password": "cas-pw", "attributes": {"xuehao": STUDENT_NO, "cn": "买买提"}},
    OTHER_STUDENT_NO: {"password": "cas-pw", "attributes": {"xuehao": OTHER_STUDENT_NO}},
    EMPLOYEE_NO: {"password": "cas-pw", "attributes": {"gonghao": EMPLOYEE_NO}},
    GRADUATE_NO: {"password": "cas-pw", "attributes": {}},
    # A campus account whose login name is not a number; its 学号 travels in an attribute.
    "limei": {"password": "cas-pw", "attributes": {"xuehao": ATTRIBUTE_STUDENT_NO}},
    # Has a campus account, is on no roster of the portal.
    "stranger": {"password": "cas-pw", "attributes": {"xuehao": "2099000001"}},
}
ADDRESS = "10.1.2.3"


# --- The CAS server process ---------------------------------------------------------------------------------


class CasProcess:
    def __init__(self, users_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, str(CAS_SERVER), "--port", str(self.port), "--users", str(users_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(self.url, timeout=0.5)
                return
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the test CAS server did not start") from None
                time.sleep(0.05)

    def control(self, **values: object) -> dict:
        if values:
            requests.post(self.url + "_control", data=json.dumps(values), timeout=5).raise_for_status()
        return requests.get(self.url + "_control", timeout=5).json()

    def ticket(self, service: str, account: str) -> str:
        """A service ticket for `service`, as the server issues it after `account` signs in."""
        answer = requests.get(
            self.url + "login", params={"service": service, "as": account}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        return parse_qs(urlsplit(answer.headers["Location"]).query)["ticket"][0]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def cas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasProcess]:
    users = tmp_path_factory.mktemp("cas") / "users.json"
    users.write_text(json.dumps(CAS_ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    server = CasProcess(users)
    try:
        yield server
    finally:
        server.stop()


def _cas_settings(settings, url: str) -> None:
    settings.CAS_SERVER_URL = url
    settings.CAS_VERSION = "3"
    settings.CAS_USERNAME_ATTRIBUTE = ""
    settings.STUDENTS_MAY_USE_LOCAL_PASSWORD = False
    settings.CAS_TIMEOUT_SECONDS = 5.0
    settings.LOGOUT_REDIRECT_URL = "sso_logout"  # what portal/settings.py sets when CAS_SERVER_URL is
    cache.delete(sso._reachable_key())


@pytest.fixture
def cas_on(settings, cas_server: CasProcess) -> CasProcess:
    _cas_settings(settings, cas_server.url)
    return cas_server


@pytest.fixture
def cas_down(settings) -> str:
    """CAS on, its server gone: nothing listens on the port."""
    url = f"http://127.0.0.1:{free_port()}/"
    _cas_settings(settings, url)
    return url


@pytest.fixture
def people(db) -> dict[str, User]:
    student = StudentFactory(student_no=STUDENT_NO, user=UserFactory(username=STUDENT_NO, full_name="买买提·艾力"))
    StudentFactory(student_no=OTHER_STUDENT_NO, user=UserFactory(username=OTHER_STUDENT_NO))
    by_attribute = StudentFactory(student_no=ATTRIBUTE_STUDENT_NO, user=UserFactory(username="s3"))
    StudentFactory(student_no=GRADUATE_NO, status=Student.Status.GRADUATED, user=UserFactory(username=GRADUATE_NO))
    staff = StaffFactory(employee_no=EMPLOYEE_NO, user=UserFactory(username="teacher-wang", full_name="王老师"))
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True, local_sign_in=True)
    plain_staff = StaffFactory(user=UserFactory(username="counsellor", is_staff=True)).user
    return {
        "student": student.user,
        "by_attribute": by_attribute.user,
        "staff": staff.user,
        "admin": admin,
        "plain_staff": plain_staff,
    }


def _absolute_to_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _start(client: Client, cas: CasProcess, next_page: str = "", **extra: str) -> str:
    """Press "sign in with the campus account": the service URL the portal sends to the CAS server."""
    url = reverse("sso_login") + (f"?next={quote(next_page)}" if next_page else "")
    answer = client.get(url, **extra)
    assert answer.status_code == 302 and answer.url.startswith(cas.url + "login?"), answer
    return parse_qs(urlsplit(answer.url).query)["service"][0]


def _return_with(client: Client, service: str, ticket: str, **extra: str):
    sep = "&" if "?" in service else "?"
    return client.get(_absolute_to_path(f"{service}{sep}ticket={quote(ticket)}"), **extra)


def _sign_in(client: Client, cas: CasProcess, account: str, next_page: str = "", **extra: str):
    service = _start(client, cas, next_page, **extra)
    return _return_with(client, service, cas.ticket(service, account), **extra)


def _signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- CAS off: as today ---------------------------------------------------------------------------------------


def test_with_cas_off_the_sign_in_page_and_passwords_are_as_before(people, client, settings):
    assert settings.CAS_SERVER_URL == ""
    page = client.get(reverse("login"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "campus account" not in content and 'data-testid="campus-sign-in"' not in content
    # Everyone signs in with a portal password, students included, with the backend that always did it.
    answer = client.post(reverse("login"), {"username": STUDENT_NO, "password": TEST_PASSWORD})
    assert answer.status_code == 302 and _signed_in_as(client) == people["student"].pk
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    # The campus sign-in address goes to the sign-in page; a single-logout POST there ends nothing.
    anonymous = Client()
    assert anonymous.get(reverse("sso_login")).url == reverse("login")
    assert anonymous.post(reverse("sso_login"), {"logoutRequest": "<x/>"}).status_code == 404


# --- Signing in -----------------------------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_campus_account_first(people, client, cas_on):
    content = client.get(reverse("login") + "?next=/notifications/").content.decode()
    assert 'data-testid="cas-sign-in"' in content
    assert content.index("Sign in with the campus account") < content.index('name="password"')
    assert f'href="{reverse("sso_login")}?next=%2Fnotifications%2F"' in content
    assert 'data-testid="cas-down"' not in content


def test_a_roster_student_signs_in_and_lands_on_their_home_page(people, client, cas_on):
    users_before = User.objects.count()
    answer = _sign_in(client, cas_on, STUDENT_NO)
    assert answer.status_code == 302 and answer.url == reverse("portal:home")
    assert _signed_in_as(client) == people["student"].pk
    assert client.session["_auth_user_backend"] == "portal.sso.CampusTicketBackend"
    home = client.get(answer.url)
    assert home.status_code == 200 and "买买提·艾力" in home.content.decode()
    assert SessionTicket.objects.filter(session_key=client.session.session_key).count() == 1
    assert User.objects.count() == users_before


def test_staff_sign_in_by_employee_number_and_next_is_kept_on_site_only(people, client, cas_on):
    answer = _sign_in(client, cas_on, EMPLOYEE_NO, next_page="/notifications/")
    assert answer.url == "/notifications/" and _signed_in_as(client) == people["staff"].pk
    other = Client()
    answer = _sign_in(other, cas_on, OTHER_STUDENT_NO, next_page="https://evil.example/steal")
    assert answer.status_code == 302 and answer.url == reverse("portal:home")


def test_the_campus_id_can_come_from_an_attribute(people, client, cas_on, settings):
    settings.CAS_USERNAME_ATTRIBUTE = "xuehao"
    answer = _sign_in(client, cas_on, "limei")
    assert answer.status_code == 302 and _signed_in_as(client) == people["by_attribute"].pk
    # Without the attribute (a staff account here carries gonghao, not xuehao) nobody is signed in.
    other = Client()
    refused = _sign_in(other, cas_on, EMPLOYEE_NO)
    assert refused.status_code == 403 and _signed_in_as(other) is None


def test_cas_2_validation_works_without_attributes(people, client, cas_on, settings):
    settings.CAS_VERSION = "2"
    answer = _sign_in(client, cas_on, STUDENT_NO)
    assert answer.status_code == 302 and _signed_in_as(client) == people["student"].pk


def test_an_unknown_campus_user_gets_the_clear_page_an_audit_event_and_no_account(people, client, cas_on):
    users_before = User.objects.count()
    answer = _sign_in(client, cas_on, "stranger")
    assert answer.status_code == 403
    content = answer.content.decode()
    assert "Your account has not been opened yet; please contact the student affairs office of your college." in (
        content
    )
    assert "Login failed." not in content
    assert _signed_in_as(client) is None and User.objects.count() == users_before
    event = AuditEvent.objects.get(action="sso.sign_in_refused")
    assert (event.object_type, event.object_id, event.changes) == ("campus_id", "stranger", {"reason": "unknown"})
    assert event.actor is None and event.ip == "127.0.0.1"


def test_the_unknown_user_page_in_chinese(people, client, cas_on):
    client.cookies["django_language"] = "zh-hans"
    content = _sign_in(client, cas_on, "stranger").content.decode()
    assert 'data-reason="unknown"' in content
    # The lead merges the translations file into the .po; until then the English source is shown.
    assert "你的账号还没有开通；请联系所在学院学生工作办公室" in content or "has not been opened yet" in content


def test_graduates_and_switched_off_accounts_are_refused_with_their_own_reason(people, client, cas_on):
    graduate = _sign_in(client, cas_on, GRADUATE_NO)
    assert graduate.status_code == 403 and 'data-reason="graduated"' in graduate.content.decode()
    User.objects.filter(pk=people["student"].pk).update(is_active=False)
    off = _sign_in(Client(), cas_on, STUDENT_NO)
    assert off.status_code == 403 and 'data-reason="inactive"' in off.content.decode()
    reasons = sorted(AuditEvent.objects.filter(action="sso.sign_in_refused").values_list("changes__reason", flat=True))
    assert reasons == ["graduated", "inactive"]
    assert _signed_in_as(client) is None


def test_a_made_up_ticket_gets_the_clear_page(people, client, cas_on):
    service = _start(client, cas_on)
    for ticket in ("ST-made-up-1234", "<script>alert(1)</script>", "x" * 5000):
        answer = _return_with(client, service, ticket)
        assert answer.status_code == 403, ticket
        content = answer.content.decode()
        assert 'data-kind="bad_ticket"' in content and "<script>alert(1)" not in content
    assert _signed_in_as(client) is None
    assert AuditEvent.objects.filter(action="sso.ticket_refused").count() == 3


def test_a_replayed_ticket_is_refused(people, client, cas_on):
    service = _start(client, cas_on)
    ticket = cas_on.ticket(service, STUDENT_NO)
    assert _return_with(client, service, ticket).status_code == 302
    thief = Client()
    answer = _return_with(thief, service, ticket)
    assert answer.status_code == 403 and 'data-kind="bad_ticket"' in answer.content.decode()
    assert _signed_in_as(thief) is None


def test_a_ticket_issued_for_another_service_is_refused(people, client, cas_on):
    service = _start(client, cas_on)
    ticket = cas_on.ticket("https://other-app.example.edu.cn/cas/login", STUDENT_NO)
    answer = _return_with(client, service, ticket)
    assert answer.status_code == 403 and 'data-kind="bad_ticket"' in answer.content.decode()
    assert _signed_in_as(client) is None


# --- The CAS server down or slow ------------------------------------------------------------------------------


def test_with_the_cas_server_down_the_page_says_so_and_only_the_break_glass_admin_signs_in(people, cas_down):
    page = Client().get(reverse("login"))
    content = page.content.decode()
    assert 'data-testid="cas-down"' in content and "not answering" in content
    assert 'data-testid="cas-sign-in"' not in content
    # The campus button's address, reached anyway, comes back to the sign-in page instead of a dead server.
    assert Client().get(reverse("sso_login")).url == reverse("login")

    admin = Client()
    assert admin.post(reverse("login"), {"username": "admin", "password": TEST_PASSWORD}).status_code == 302
    assert _signed_in_as(admin) == people["admin"].pk

    # A student with the right password and one with a wrong one see the same refusal.
    answers = []
    for password in (TEST_PASSWORD, "wrong-password-1"):
        student = Client()
        answer = student.post(reverse("login"), {"username": STUDENT_NO, "password": password})
        assert answer.status_code == 200 and _signed_in_as(student) is None
        answers.append(answer.context["form"].non_field_errors())
    assert answers[0] == answers[1] and "only designated administrator accounts" in answers[0][0]
    # Staff without the mark are refused too, on the admin site's own login as well.
    staff = Client()
    staff.post(reverse("admin:login"), {"username": "counsellor", "password": TEST_PASSWORD})
    assert _signed_in_as(staff) is None
    admin_site = Client()
    admin_site.post(reverse("admin:login"), {"username": "admin", "password": TEST_PASSWORD})
    assert _signed_in_as(admin_site) == people["admin"].pk


def test_students_may_use_their_portal_password_when_the_college_allows_it(people, cas_down, settings):
    settings.STUDENTS_MAY_USE_LOCAL_PASSWORD = True
    student = Client()
    assert student.post(reverse("login"), {"username": STUDENT_NO, "password": TEST_PASSWORD}).status_code == 302
    assert _signed_in_as(student) == people["student"].pk
    staff = Client()
    assert staff.post(reverse("login"), {"username": "counsellor", "password": TEST_PASSWORD}).status_code == 200


def test_a_ticket_arriving_while_the_server_is_down_gets_a_clear_page(people, client, cas_down):
    answer = client.get(reverse("sso_login") + "?ticket=ST-1-abc")
    assert answer.status_code == 503 and 'data-kind="unavailable"' in answer.content.decode()
    assert AuditEvent.objects.filter(action="sso.server_unavailable").count() == 1
    assert not AccessAttempt.objects.exists()  # a server outage is nobody's failed sign-in


def test_a_hanging_validation_times_out_instead_of_holding_the_worker(people, client, cas_on, settings):
    settings.CAS_TIMEOUT_SECONDS = 1.0
    service = _start(client, cas_on)
    ticket = cas_on.ticket(service, STUDENT_NO)
    cas_on.control(validate_delay=4)
    try:
        started = time.monotonic()
        answer = _return_with(client, service, ticket)
        elapsed = time.monotonic() - started
    finally:
        cas_on.control(validate_delay=0)
    assert answer.status_code == 503 and 'data-kind="unavailable"' in answer.content.decode()
    assert elapsed < 3, elapsed
    # The failure is remembered: the sign-in page says the server is not answering.
    assert 'data-testid="cas-down"' in Client().get(reverse("login")).content.decode()


# --- Sign-in limits (axes) ------------------------------------------------------------------------------------


def test_bad_tickets_do_not_lock_other_campus_sign_ins_from_the_address(people, cas_on, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 12
    attacker = Client()
    service = _start(attacker, cas_on, REMOTE_ADDR=ADDRESS)
    # More bad tickets than the per-account limit (5), one the same ticket replayed seven times.
    statuses = [_return_with(attacker, service, f"ST-bad-{n}", REMOTE_ADDR=ADDRESS).status_code for n in range(4)]
    statuses += [_return_with(attacker, service, "ST-bad-again", REMOTE_ADDR=ADDRESS).status_code for _ in range(7)]
    assert statuses == [403] * 8 + [429] * 3  # the replayed one locks itself at its fifth failure
    # A classmate behind the same address signs in with the campus account.
    classmate = Client()
    assert _sign_in(classmate, cas_on, STUDENT_NO, REMOTE_ADDR=ADDRESS).status_code == 302
    assert _signed_in_as(classmate) == people["student"].pk


def test_a_script_flooding_bad_tickets_is_stopped_by_the_address_limit(people, cas_on, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    attacker = Client()
    service = _start(attacker, cas_on, REMOTE_ADDR=ADDRESS)
    statuses = [_return_with(attacker, service, f"ST-flood-{n}", REMOTE_ADDR=ADDRESS).status_code for n in range(10)]
    assert statuses == [403] * 7 + [429] * 3
    # Now even a real ticket from that address is refused, and the CAS server is not asked: the ticket stays unspent.
    victim = Client()
    service = _start(victim, cas_on, REMOTE_ADDR=ADDRESS)
    ticket = cas_on.ticket(service, STUDENT_NO)
    locked = _return_with(victim, service, ticket, REMOTE_ADDR=ADDRESS)
    assert locked.status_code == 429 and 'data-testid="locked-out"' in locked.content.decode()
    # Another address is not affected; after the cool-off the unspent ticket still works from the address.
    assert _sign_in(Client(), cas_on, OTHER_STUDENT_NO, REMOTE_ADDR="10.9.9.9").status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES + 1)):
        assert _return_with(victim, service, ticket, REMOTE_ADDR=ADDRESS).status_code == 302
    assert _signed_in_as(victim) == people["student"].pk


# --- Single logout ---------------------------------------------------------------------------------------------


def _logout_request(ticket: str) -> str:
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1" Version="2.0" '
        'IssueInstant="2026-12-07T08:00:00Z"><saml:NameID>@NOT_USED@</saml:NameID>'
        f"<samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"
    )


@pytest.mark.django_db(transaction=True)
def test_the_cas_servers_single_logout_ends_the_portal_session(people, live_server, settings, cas_server):
    _cas_settings(settings, cas_server.url)
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    browser = requests.Session()
    # The CAS server signs this browser in as the student without a form (the test server's `cas_as` cookie).
    browser.cookies.set("cas_as", STUDENT_NO, domain="127.0.0.1", path="/")
    start = browser.get(live_server.url + reverse("sso_login"), timeout=10)
    assert start.status_code == 200 and start.url == live_server.url + reverse("portal:home")
    session_key = browser.cookies.get("sessionid")
    assert Session.objects.filter(session_key=session_key).exists()
    assert browser.get(live_server.url + "/", allow_redirects=False, timeout=10).status_code == 200

    # Signing out at the CAS server (another application's sign-out link) sends the logoutRequest POST.
    browser.get(cas_server.url + "logout", timeout=10)
    slo = [entry for entry in cas_server.control()["slo"] if entry["service"].startswith(live_server.url)]
    assert slo and slo[-1]["status"] == 200
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SessionTicket.objects.filter(session_key=session_key).exists()
    again = browser.get(live_server.url + "/", allow_redirects=False, timeout=10)
    assert again.status_code == 302 and reverse("login") in again.headers["Location"]
    assert AuditEvent.objects.filter(action="sso.single_logout").count() == 1


def test_a_forged_logout_request_ends_nothing_it_should_not(people, cas_on):
    alice, bob = Client(), Client()
    service = _start(alice, cas_on)
    alice_ticket = cas_on.ticket(service, STUDENT_NO)
    _return_with(alice, service, alice_ticket)
    _sign_in(bob, cas_on, OTHER_STUDENT_NO)
    assert _signed_in_as(alice) and _signed_in_as(bob)

    forger = Client(enforce_csrf_checks=True)  # the CAS server sends no CSRF token, nor does a forger
    url = reverse("sso_login")
    entity = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
        "<samlp:SessionIndex>&x;</samlp:SessionIndex></samlp:LogoutRequest>"
    )
    for payload in (_logout_request("ST-not-issued-123"), "not xml at all <", "", entity, _logout_request("")):
        answer = forger.post(url, {"logoutRequest": payload})
        assert answer.status_code == 200 and answer.content == b"ok 0\n", payload
    assert forger.post(url, {"something": "else"}).status_code == 400
    assert _signed_in_as(alice) and _signed_in_as(bob)
    assert alice.get("/").status_code == 200 and bob.get("/").status_code == 200

    # Naming Alice's ticket ends Alice's session only.
    assert forger.post(url, {"logoutRequest": _logout_request(alice_ticket)}).content == b"ok 1\n"
    assert alice.get("/").status_code == 302
    assert bob.get("/").status_code == 200


def test_portal_sign_out_also_signs_out_of_cas(people, client, cas_on):
    _sign_in(client, cas_on, STUDENT_NO)
    key = client.session.session_key
    out = client.post(reverse("logout"))
    assert out.status_code == 302 and out.url == reverse("sso_logout")
    assert not SessionTicket.objects.filter(session_key=key).exists()
    onward = client.get(out.url)
    assert onward.status_code == 302 and onward.url.startswith(cas_on.url + "logout?service=")
    assert parse_qs(urlsplit(onward.url).query)["service"] == ["http://testserver" + reverse("login")]


def test_portal_sign_out_while_the_cas_server_is_down_goes_to_the_sign_in_page(people, client, cas_down):
    client.post(reverse("login"), {"username": "admin", "password": TEST_PASSWORD})
    out = client.post(reverse("logout"))
    assert client.get(out.url).url == reverse("login")
