"""Platform guarantees: health check, login lockout, deploy checks, the append-only audit trail."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_log
from portal.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with the project's settings and the given environment."""
    full_env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_CURRENT_TEST"}}
    full_env.update({"ALLOWED_HOSTS": "testserver", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


HEALTHZ = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); django.setup();"
    "from django.test import Client; r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
)


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "broker": "ok"}


def test_healthz_names_the_broker_when_redis_is_down():
    result = run_django(HEALTHZ, REDIS_URL="redis://127.0.0.1:1/0")
    status, body = result.stdout.strip().split(" ", 1)
    assert (status, json.loads(body)) == ("503", {"db": "ok", "broker": "down"}), result.stderr


def test_healthz_names_the_database_when_it_is_down():
    result = run_django(HEALTHZ, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    status, body = result.stdout.strip().split(" ", 1)
    assert (status, json.loads(body)) == ("503", {"db": "down", "broker": "ok"}), result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "DEBUG": "0",
        "NUANXIN_TESTING": "0",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "ALLOWED_HOSTS": "xinli.example.edu.cn",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SECURE_SSL_REDIRECT": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_keys():
    result = run_django(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup()",
        DEBUG="0",
        NUANXIN_TESTING="0",
        SECRET_KEY="x" * 60,
        FIELD_ENCRYPTION_KEYS="",
    )
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in result.stderr


@pytest.mark.django_db
def test_security_headers_and_csp_without_unsafe_inline(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()  # no inline script anywhere in the page


@pytest.mark.django_db
def test_login_locks_the_account_after_five_failures_for_fifteen_minutes(client, world, password):
    url = reverse("login")
    username = world["student"].username
    for _ in range(5):
        response = client.post(url, {"username": username, "password": "wrong-password"})
    client.cookies["django_language"] = "en"
    locked = client.post(url, {"username": username, "password": password})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(url, {"username": username, "password": password})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(world["student"].pk)


@pytest.mark.django_db
def test_a_failed_login_shows_a_message_not_an_error(client, world):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("login"), {"username": "nobody\x00", "password": "x" * 5000})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    response = client.post(reverse("login"), {"username": world["student"].username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


@pytest.mark.django_db
def test_audit_events_cannot_be_changed_or_deleted_in_the_database(world):
    event = audit_log(actor=world["admin"], action="test.action", object_type="x", object_id=1)
    for sql in (
        "UPDATE portal_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM portal_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "test.action"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_audit_rows_record_the_request(world, client_for):
    client = client_for(world["station"])
    response = client.get(reverse("portal:student_detail", args=[world.student_a.pk]))
    event = AuditEvent.objects.filter(action="read").latest("id")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"


@pytest.mark.django_db
def test_admin_shows_the_audit_trail_read_only(world, client_for):
    event = audit_log(actor=world["admin"], action="test.action", object_type="x", object_id=1)
    client = client_for(world["admin"])
    assert client.get(reverse("admin:portal_auditevent_changelist")).status_code == 200
    detail = client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.post(reverse("admin:portal_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "portal_student",
        "portal_college",
        "portal_classgroup",
        "portal_dormroom",
        "portal_staff",
        "portal_roleassignment",
        "portal_reminder",
        "portal_notification",
        "portal_user",
        "portal_holiday",
    ],
)
def test_admin_changelists_and_add_pages_render(world, client_for, name):
    client = client_for(world["admin"])
    assert client.get(reverse(f"admin:{name}_changelist"), {"q": "买买提"}).status_code == 200
    assert client.get(reverse(f"admin:{name}_add")).status_code == 200
