"""Attacker stories: a link that signs a student in and then sends them somewhere else (open redirect), and
a stolen copy of the user table (how passwords are stored)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from portal.models import User
from portal.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EVIL = ["https://evil.example/login", "//evil.example/", "http:/\\evil.example", "https:evil.example"]


@override_settings(AXES_ENABLED=False)
@pytest.mark.parametrize("target", EVIL)
def test_a_phishing_link_with_next_never_leaves_the_portal_after_sign_in(target):
    UserFactory(username="victim")
    response = Client().post(
        f"{reverse('login')}?next={target}", {"username": "victim", "password": TEST_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_the_language_switch_never_redirects_off_site(target):
    response = Client().post(reverse("set_language"), {"language": "en", "next": target})
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_passwords_are_stored_as_argon2_hashes(real_password_hashers):
    """ASVS V2.4.1: a copy of the user table yields salted, work-factored hashes, never a password."""
    user = User.objects.create_user(username="stored", password="晴天-湖边-散步-喝茶-9")
    assert user.password.startswith("argon2$argon2id$")
    assert "晴天" not in user.password
