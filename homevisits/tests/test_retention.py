"""Retention of visit-record drafts: deleted 30 days (a setting) after their last change."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from homevisits.models import VisitDraft
from homevisits.tests.factories import TripFactory, plan
from portal.models import AuditEvent, Setting
from portal.retention import apply_retention

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(world):
    visitor = world["visitor"]
    trip = TripFactory(leader=visitor)

    def draft(student, days_ago: int) -> VisitDraft:
        return VisitDraft.objects.create(
            trip_student=plan(trip, student),
            author=visitor,
            data=json.dumps({"summary": "家里三口人"}),
            updated_at=timezone.now() - timedelta(days=days_ago),
        )

    return {"old": draft(world.student_a, 31), "fresh": draft(world.roommate_a, 29)}


def test_drafts_untouched_for_more_than_30_days_are_deleted(drafts):
    assert apply_retention()["homevisits.delete_expired_drafts"] == 1
    assert list(VisitDraft.objects.values_list("pk", flat=True)) == [drafts["fresh"].pk]


def test_a_dry_run_deletes_nothing(drafts):
    assert apply_retention(dry_run=True)["homevisits.delete_expired_drafts"] == 1
    assert VisitDraft.objects.count() == 2
    assert not AuditEvent.objects.filter(action="retention.apply").exists()


def test_the_admin_setting_and_the_override_decide_the_age(drafts):
    Setting.objects.create(key="homevisits.draft_retention_days", value=60)
    assert apply_retention()["homevisits.delete_expired_drafts"] == 0
    assert apply_retention(overrides={"homevisits.draft_retention_days": 10})["homevisits.delete_expired_drafts"] == 2
    assert not VisitDraft.objects.exists()


def test_the_audit_trail_survives_and_records_each_run(drafts, world):
    old_event = AuditEvent.objects.create(
        action="test.before", object_type="x", object_id="1", at=timezone.now() - timedelta(days=20 * 365)
    )
    apply_retention(overrides={"homevisits.draft_retention_days": 1})
    apply_retention(overrides={"homevisits.draft_retention_days": 1})
    assert AuditEvent.objects.filter(pk=old_event.pk).exists()
    runs = AuditEvent.objects.filter(action="retention.apply").order_by("id")
    assert [r.changes["homevisits.delete_expired_drafts"] for r in runs] == [2, 0]
