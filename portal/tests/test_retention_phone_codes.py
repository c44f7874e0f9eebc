"""The core's retention steps: phone-code rows after portal.phone_code_retention_days, CAS tickets of ended sessions."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.models import AuditEvent, PhoneCode
from portal.retention import apply_retention

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 3, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


def code(days_old: int) -> PhoneCode:
    created = NOW - timedelta(days=days_old)
    return PhoneCode.objects.create(
        purpose=PhoneCode.Purpose.RESET,
        phone="13800000000",
        created_at=created,
        expires_at=created + timedelta(minutes=10),
    )


def test_old_codes_are_deleted_recent_ones_kept():
    old, edge, recent = code(31), code(29), code(0)
    assert apply_retention(now=NOW, dry_run=True)["portal.delete_old_phone_codes"] == 1
    assert PhoneCode.objects.count() == 3  # a dry run changes nothing
    results = apply_retention(now=NOW)
    assert results["portal.delete_old_phone_codes"] == 1
    assert set(PhoneCode.objects.values_list("pk", flat=True)) == {edge.pk, recent.pk}
    assert not PhoneCode.objects.filter(pk=old.pk).exists()
    event = AuditEvent.objects.get(action="retention.apply")
    assert event.changes["portal.delete_old_phone_codes"] == 1
    assert apply_retention(now=NOW)["portal.delete_old_phone_codes"] == 0  # idempotent


def test_the_days_can_be_overridden():
    code(8)
    results = apply_retention(now=NOW, overrides={"portal.phone_code_retention_days": 7})
    assert results["portal.delete_old_phone_codes"] == 1


def test_cas_tickets_of_ended_sessions_are_deleted():
    from django.contrib.sessions.models import Session
    from django_cas_ng.models import SessionTicket

    Session.objects.create(session_key="live", session_data="", expire_date=NOW + timedelta(days=1))
    Session.objects.create(session_key="expired", session_data="", expire_date=NOW - timedelta(seconds=1))
    SessionTicket.objects.create(session_key="live", ticket="ST-1")
    SessionTicket.objects.create(session_key="expired", ticket="ST-2")
    SessionTicket.objects.create(session_key="gone", ticket="ST-3")
    assert apply_retention(now=NOW)["portal.delete_stale_cas_tickets"] == 2
    assert list(SessionTicket.objects.values_list("ticket", flat=True)) == ["ST-1"]
