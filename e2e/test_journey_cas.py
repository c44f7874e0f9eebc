"""Journey: campus single sign-on through the real redirects of a CAS server process (portal/tests/cas_server.py).

A roster student presses "sign in with the campus account", signs in on the CAS server's own form and lands on
their home page; signing out at the CAS server (another campus system's sign-out) ends the portal session through
the server's single-logout POST. A campus account on no roster gets the portal's clear page, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test.utils import override_settings

from portal import sso
from portal.models import Student
from portal.tests.test_sso import CasProcess

pytestmark = pytest.mark.browser

CAS_PASSWORD = "campus-pw-1"


@pytest.fixture(scope="module")
def cas(demo_server: str, django_db_blocker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The CAS server, knowing the demo student and a stranger; CAS on for the module's live server."""
    with django_db_blocker.unblock():
        student = Student.objects.select_related("user").get(user__username="student")
    accounts = {
        student.student_no: {"password": CAS_PASSWORD, "attributes": {}},
        "stranger": {"password": CAS_PASSWORD, "attributes": {}},
    }
    users = tmp_path_factory.mktemp("cas-e2e") / "users.json"
    users.write_text(json.dumps(accounts), encoding="utf-8")
    server = CasProcess(users)
    try:
        with override_settings(
            CAS_SERVER_URL=server.url,
            CAS_VERSION="3",
            CAS_USERNAME_ATTRIBUTE="",
            STUDENTS_MAY_USE_LOCAL_PASSWORD=False,
            LOGOUT_REDIRECT_URL="sso_logout",
        ):
            cache.delete(sso._reachable_key())
            yield {"server": server, "student": student}
    finally:
        server.stop()


def _campus_sign_in(visit: Any, cas_url: str, account: str) -> Any:
    """From the portal's sign-in page through the CAS server's form and back."""
    page = visit.goto("/accounts/login/", screenshot="cas-sign-in")
    button = page.locator("[data-testid=cas-sign-in]")
    assert button.is_visible()
    assert "统一身份认证登录" in button.inner_text() or "Sign in with the campus account" in button.inner_text()
    with page.expect_navigation():
        button.click()
    assert page.url.startswith(cas_url + "login?service=")
    page.fill("#username", account)
    page.fill("#password", CAS_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def test_a_roster_student_signs_in_through_cas_and_a_cas_logout_ends_the_session(browse, cas):
    me = browse()
    page = _campus_sign_in(me, cas["server"].url, cas["student"].student_no)
    assert page.url == me.url("/")
    me.check(screenshot="cas-student-home")
    assert cas["student"].user.display_name in page.locator("nav .dropdown-toggle").text_content()  # folded on a phone

    # Another campus system's sign-out: the CAS server tells the portal, which ends the session.
    page.goto(cas["server"].url + "logout?service=" + me.url("/accounts/login/"))
    me.check()
    assert page.url.startswith(me.url("/accounts/login/"))
    me.goto("/")
    assert "/accounts/login/" in page.url, "the portal session outlived the CAS logout"


def test_an_unknown_campus_user_gets_the_clear_page(browse, cas):
    me = browse()
    me.expect_failure("/accounts/sso/login/")  # the refusal is a 403 on purpose
    page = _campus_sign_in(me, cas["server"].url, "stranger")
    me.check(screenshot="cas-unknown-user")
    refused = page.locator("[data-testid=sso-refused]")
    assert refused.get_attribute("data-reason") == "unknown"
    text = refused.inner_text()
    assert "你的账号还没有开通" in text or "has not been opened yet" in text
    me.goto("/")
    assert "/accounts/login/" in page.url
