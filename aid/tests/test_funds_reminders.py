"""Beat reminders of the funds area (run twice: sent once) and the demo step (run twice: created once)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aid.models import Application, Fund, PaymentBatch
from aid.tasks import funds as tasks
from aid.tests.factories_funds import application_in, programme
from portal.models import Reminder

pytestmark = pytest.mark.django_db


def test_overdue_reviews_remind_the_colleges_reviewers_once_a_day(world):
    app = application_in(
        Application.Status.SUBMITTED,
        student=world.student_a,
        officer=world["aidofficer"],
        prog=programme("national-grant"),
    )
    Application.objects.filter(pk=app.pk).update(submitted_at=timezone.now() - timedelta(days=8))
    application_in(
        Application.Status.SUBMITTED,
        student=world.student_b,
        officer=world["aidofficer"],
        prog=programme("national-grant"),
    )
    assert tasks.aid_remind_overdue_reviews() == 1
    tasks.aid_remind_overdue_reviews()
    reminders = Reminder.objects.filter(dedupe_key__startswith="aid:reviews_overdue:")
    assert set(reminders.values_list("recipient__username", flat=True)) == {"aidreviewer"}
    assert reminders.filter(channel="in_app").count() == 1


def test_unbatched_payments_due_soon_remind_officers_once_a_day(world):
    application_in(
        Application.Status.PAYING,
        student=world.student_a,
        officer=world["aidofficer"],
        prog=programme("national-grant"),
    )
    assert tasks.aid_remind_unbatched_payments() == 1
    tasks.aid_remind_unbatched_payments()
    assert Reminder.objects.filter(dedupe_key__startswith="aid:payments_unbatched:").count() == 1


@pytest.mark.slow
def test_the_demo_step_is_idempotent_and_fills_the_reviewers_queue(db):
    from portal.demo import seed_demo

    first = seed_demo()["created"]
    assert first["aid.application"] >= 10
    assert first["aid.paymentbatch"] == 1
    assert set(Fund.objects.values_list("party", flat=True)) == {"state", "school", "society", "self_help"}
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"submitted", "college_reviewed", "notice", "approved", "committed", "paying", "paid"} <= statuses
    assert PaymentBatch.objects.get().payments.filter(status="paid").exists()
    queue = Application.objects.filter(status="submitted", student__college__code="CS")
    assert queue.exists()
    assert not Application.objects.filter(student__user__username="student").exists()
    second = seed_demo()["created"]
    mine = ("aid.academicyear", "aid.programme", "aid.fund", "aid.quota", "aid.application", "aid.paymentbatch")
    assert all(second.get(label, 0) == 0 for label in mine), second
