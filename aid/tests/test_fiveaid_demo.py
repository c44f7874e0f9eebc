"""The demo step of five-aid cases: cases, plans, entries, a referral; idempotent."""

import pytest

from aid.demo.fiveaid import seed_fiveaid
from aid.models import FiveAidCase, FiveAidEntry, WorkStudyPost
from aid.tests.factories import identified
from counseling.models import Report
from portal.demo import DemoSchool
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_step_builds_each_aid_and_a_second_run_writes_nothing(world):
    for student in (world.student_a, world.roommate_a, world.student_b, StudentFactory(class_group=world.class_a)):
        identified(student)
    school = DemoSchool(logins={"aidofficer": world["aidofficer"]})
    first = seed_fiveaid(school)
    assert first["aid.fiveaidcase"] == 4
    assert FiveAidCase.objects.exclude(plan={}).count() == 4
    assert FiveAidCase.objects.filter(psych_referral_report_id__isnull=False).count() == 1
    assert Report.objects.filter(source=Report.Source.AID_REFERRAL).count() == 1
    assert set(FiveAidEntry.objects.values_list("aid", flat=True)) == {"employment", "growth"}
    entries = FiveAidEntry.objects.count()
    assert seed_fiveaid(school) == {}
    assert FiveAidEntry.objects.count() == entries
    assert not WorkStudyPost.objects.exists()  # the work-study step's


def test_without_identified_students_the_step_does_nothing(world):
    assert seed_fiveaid(DemoSchool(logins={"aidofficer": world["aidofficer"]})) == {}
    assert not FiveAidCase.objects.exists()
