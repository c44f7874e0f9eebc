"""Attacker stories of signing in (issue 13, finding 4): password spraying, and what a campus NAT needs.

The limits (portal/login_limits.py): LOGIN_FAILURES_PER_USER (5) failures for one account from one address lock
that pair; LOGIN_FAILURES_PER_ADDRESS (30) failures from one address, whatever the user names, lock the address
for every account; both for LOGIN_COOLOFF_MINUTES (15). Addresses in LOGIN_ADDRESS_ALLOWLIST (the campus NAT)
are never locked address-wide, but the per-account limit still holds there. Real PostgreSQL, real axes rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import TEST_PASSWORD, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db

SPRAYER = "10.20.30.40"
ELSEWHERE = "10.99.0.7"
CAMPUS_NAT = "202.114.64.10"
WRONG = "wrong-password-1"


@pytest.fixture
def students(db) -> list:
    """41 students' accounts (their 学号 are the user names): 40 sprayed, the 41st signed in to."""
    return [StudentFactory(user=UserFactory(username=f"2024{n:06d}")).user for n in range(900001, 900042)]


def _sign_in(client: Client, username: str, password: str, address: str, **extra: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _spray(client: Client, usernames: list[str], address: str, **extra: str) -> list[int]:
    """One wrong guess for each user name from one address: the status of each answer."""
    return [_sign_in(client, name, WRONG, address, **extra).status_code for name in usernames]


def test_a_sprayer_is_locked_out_address_wide_even_with_a_correct_password(students, settings):
    sprayer = Client()
    statuses = _spray(sprayer, [user.username for user in students[:40]], SPRAYER)
    # Refused as usual until the 30th failure, then the locked-out page for every further name.
    limit = settings.LOGIN_FAILURES_PER_ADDRESS
    assert statuses == [200] * (limit - 1) + [429] * (40 - limit + 1)

    # A correct password for a 41st account is refused from that address, with the friendly page, translated.
    sprayer.cookies["django_language"] = "zh-hans"
    locked = _sign_in(sprayer, students[40].username, TEST_PASSWORD, SPRAYER)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page
    assert 'data-testid="locked-out"' in page
    assert not _signed_in(sprayer)

    # The same account from another address signs in.
    elsewhere = Client()
    assert _sign_in(elsewhere, students[40].username, TEST_PASSWORD, ELSEWHERE).status_code == 302
    assert _signed_in(elsewhere)


def test_the_per_account_limit_still_locks_below_the_address_limit(students, settings):
    client = Client()
    victim, neighbour = students[0], students[1]
    statuses = [_sign_in(client, victim.username, WRONG, SPRAYER).status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert _sign_in(client, victim.username, TEST_PASSWORD, SPRAYER).status_code == 429
    assert not _signed_in(client)
    # Five failures are far below the address limit: another account from the same address signs in.
    assert _sign_in(client, neighbour.username, TEST_PASSWORD, SPRAYER).status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(students, settings):
    """A sprayer with an account of their own (every student has one) cannot sign in between rounds to start
    the address count again: a success resets that account's count only."""
    client = Client()
    own, sprayed = students[40], [user.username for user in students[:40]]
    assert _spray(client, sprayed[:29], SPRAYER) == [200] * 29
    assert _sign_in(client, own.username, TEST_PASSWORD, SPRAYER).status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR=SPRAYER)
    assert _spray(client, sprayed[29:31], SPRAYER) == [429, 429]


def test_an_allow_listed_campus_nat_is_never_locked_address_wide_but_accounts_are(students, settings):
    settings.LOGIN_ADDRESS_ALLOWLIST = ["202.114.64.0/24"]
    campus = Client()
    # 40 students behind the NAT mistype once each: nobody is locked out.
    assert _spray(campus, [user.username for user in students[:40]], CAMPUS_NAT) == [200] * 40
    assert _sign_in(campus, students[40].username, TEST_PASSWORD, CAMPUS_NAT).status_code == 302
    # A guesser behind the NAT is still held to five tries per account (the 41st: its one sign-in reset it).
    guesser = Client()
    statuses = [_sign_in(guesser, students[40].username, WRONG, CAMPUS_NAT).status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert _sign_in(guesser, students[40].username, TEST_PASSWORD, CAMPUS_NAT).status_code == 429
    assert not _signed_in(guesser)


def test_the_address_lock_ends_after_the_cool_off(students, settings):
    client = Client()
    _spray(client, [user.username for user in students[:40]], SPRAYER)
    assert _sign_in(client, students[40].username, TEST_PASSWORD, SPRAYER).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES - 1)):
        assert _sign_in(client, students[40].username, TEST_PASSWORD, SPRAYER).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=2 * settings.LOGIN_COOLOFF_MINUTES)):
        assert _sign_in(client, students[40].username, TEST_PASSWORD, SPRAYER).status_code == 302
        assert _signed_in(client)


def test_the_limits_come_from_the_settings(students, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    assert _spray(Client(), [user.username for user in students[:10]], SPRAYER) == [200] * 7 + [429] * 3


def test_a_forged_forwarded_for_header_does_not_change_the_address_without_a_proxy(students, settings):
    """Without BEHIND_PROXY the header is the client's own words: rotating it buys the sprayer nothing."""
    settings.BEHIND_PROXY = False
    client = Client()
    statuses = [
        _sign_in(client, user.username, WRONG, SPRAYER, HTTP_X_FORWARDED_FOR=f"10.0.{n}.1").status_code
        for n, user in enumerate(students[:31])
    ]
    assert statuses == [200] * 29 + [429] * 2


def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_saw(students, settings):
    """nginx appends the address it saw to X-Forwarded-For; whatever a client put before it is ignored."""
    settings.BEHIND_PROXY = True
    proxy = "127.0.0.1"
    sprayer = Client()
    statuses = [
        _sign_in(sprayer, user.username, WRONG, proxy, HTTP_X_FORWARDED_FOR=f"10.0.{n}.1, {SPRAYER}").status_code
        for n, user in enumerate(students[:30])
    ]
    assert statuses == [200] * 29 + [429]
    # Another client behind the same proxy is not the sprayer.
    other = Client()
    response = _sign_in(other, students[40].username, TEST_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert response.status_code == 302
