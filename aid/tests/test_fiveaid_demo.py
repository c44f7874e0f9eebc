"""The demo step of five-aid and work-study: cases, entries, a referral, posts, placements, hours; idempotent."""

import pytest

from aid.demo.support import seed_fiveaid_and_workstudy
from aid.models import FiveAidCase, FiveAidEntry, Timesheet, WorkStudyPlacement, WorkStudyPost
from aid.tests.factories import identified
from counseling.models import Report
from portal.demo import DemoSchool
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_step_builds_each_aid_and_a_second_run_writes_nothing(world):
    for student in (world.student_a, world.roommate_a, world.student_b, StudentFactory(class_group=world.class_a)):
        identified(student)
    school = DemoSchool(logins={"aidofficer": world["aidofficer"]})
    first = seed_fiveaid_and_workstudy(school)
    assert first["aid.fiveaidcase"] == 4
    assert FiveAidCase.objects.filter(psych_referral_report_id__isnull=False).count() == 1
    assert Report.objects.filter(source=Report.Source.AID_REFERRAL).count() == 1
    assert set(FiveAidEntry.objects.values_list("aid", flat=True)) == {"employment", "growth"}
    assert WorkStudyPost.objects.count() == 2
    assert WorkStudyPlacement.objects.filter(status="placed").count() == 2
    assert Timesheet.objects.filter(status="signed_off").count() == 1
    assert Timesheet.objects.filter(status="submitted").count() == 1
    counts = (FiveAidEntry.objects.count(), Timesheet.objects.count(), WorkStudyPlacement.objects.count())
    assert seed_fiveaid_and_workstudy(school) == {}
    assert (FiveAidEntry.objects.count(), Timesheet.objects.count(), WorkStudyPlacement.objects.count()) == counts


def test_without_identified_students_the_step_does_nothing(world):
    assert seed_fiveaid_and_workstudy(DemoSchool(logins={"aidofficer": world["aidofficer"]})) == {}
    assert not WorkStudyPost.objects.exists()
