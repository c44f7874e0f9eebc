"""Two submits of one check-in's outcome at once (a double tap on a phone, two tabs): real PostgreSQL transactions
in threads, released together. One outcome, one report; opening the same plan twice at once opens one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from counseling import services
from counseling.models import CheckIn, PostventionPlan, Report
from counseling.services.postvention import worried_report_key
from counseling.tests.factories import open_case
from portal.tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_worried_submits_at_once_raise_one_report(world):
    case = open_case(student=world.student_a, in_danger=True)
    plan, _ = services.postvention_plan_open(actor=world["counselor"], case=case)
    contact = services.postvention_contact_add(
        actor=world["counselor"], plan=plan, relation="roommate", student=world.roommate_a
    )
    checkin = services.checkin_assign(
        actor=world["counselor"], contact=contact, assignee=world["liaison"], due_on=timezone.localdate()
    )
    liaison = world["liaison"]

    def submit():
        return services.checkin_record(
            actor=liaison, checkin=CheckIn.objects.get(pk=checkin.pk), outcome="worried", note="她一直在哭"
        )

    results, errors = race([submit, submit, submit])
    assert errors == []
    assert sorted(changed for _, changed in results) == [False, False, True]
    assert Report.objects.filter(idempotency_key=worried_report_key(checkin)).count() == 1
    assert Report.objects.filter(case__student=world.roommate_a).count() == 1
    done = CheckIn.objects.get(pk=checkin.pk)
    assert done.status == CheckIn.Status.DONE and done.report_id is not None


def test_opening_the_same_plan_twice_at_once_opens_one(world):
    case = open_case(student=world.student_a, in_danger=True)
    counselor = world["counselor"]
    results, errors = race([lambda: services.postvention_plan_open(actor=counselor, case=case)] * 2)
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert PostventionPlan.objects.filter(case=case).count() == 1
