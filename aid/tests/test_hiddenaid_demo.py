"""The demo step: last month's canteen data and a batch under review with a few candidates, never the
demo `student`; a second run creates nothing."""

from __future__ import annotations

import pytest

from aid.demo.hiddenaid import seed_hiddenaid
from aid.models import CanteenRecord, HiddenAidBatch
from portal.demo import DemoSchool
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_step_is_idempotent_and_spares_the_demo_student(world):
    others = StudentFactory.create_batch(12, class_group=world.class_a)
    school = DemoSchool(
        students=[world.student_a, world.roommate_a, world.student_b, *others],
        logins={"aidofficer": world["aidofficer"]},
        students_by_login={"student": world.student_a},
    )
    first = seed_hiddenaid(school)
    assert first["aid.canteenrecord"] == 15
    assert first["aid.hiddenaidbatch"] == 1
    batch = HiddenAidBatch.objects.get()
    assert batch.status == HiddenAidBatch.Status.DRAFT
    assert 1 <= batch.candidates.count() <= 5
    assert not batch.candidates.filter(student=world.student_a).exists()
    assert seed_hiddenaid(school) == {"aid.canteenrecord": 0, "aid.hiddenaidbatch": 0, "aid.hiddenaidcandidate": 0}
    assert CanteenRecord.objects.count() == 15
