"""The admin speaks the user's language for third-party apps too: django-axes ships no Chinese catalogue, so its
app and models are named through our own (portal/axes_app.py)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from portal.axes_app import AXES_MSGIDS, AxesConfig
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_axes_keeps_its_label_and_gets_a_translatable_name():
    config = apps.get_app_config("axes")
    assert isinstance(config, AxesConfig)
    assert str(config.verbose_name) == "Sign-in protection"
    assert "access attempts" in AXES_MSGIDS


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", ["Sign-in protection", "Access attempts"], []),
        ("zh-hans", ["登录保护", "登录尝试", "登录记录"], ["Access attempts", "Access logs", "Axes"]),
    ],
)
def test_the_admin_index_names_axes_in_the_users_language(language, expected, absent):
    client = Client()
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True), backend="django.contrib.auth.backends.ModelBackend"
    )
    client.cookies["django_language"] = language
    html = client.get("/admin/").content.decode()
    for text in expected:
        assert text in html
    for text in absent:
        assert f">{text}<" not in html
