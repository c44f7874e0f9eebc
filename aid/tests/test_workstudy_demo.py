"""The demo step of work-study, after the five-aid step: posts, placements, hours; idempotent."""

import pytest

from aid.demo.fiveaid import seed_fiveaid
from aid.demo.workstudy import seed_workstudy
from aid.models import Timesheet, WorkStudyPlacement, WorkStudyPost
from aid.tests.factories import identified
from portal.demo import DemoSchool
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_step_places_the_first_cases_students_and_a_second_run_writes_nothing(world):
    for student in (world.student_a, world.roommate_a, world.student_b, StudentFactory(class_group=world.class_a)):
        identified(student)
    school = DemoSchool(logins={"aidofficer": world["aidofficer"]})
    seed_fiveaid(school)
    first = seed_workstudy(school)
    assert first == {"aid.workstudypost": 2, "aid.workstudyplacement": 3, "aid.timesheet": 2}
    assert WorkStudyPost.objects.count() == 2
    assert WorkStudyPlacement.objects.filter(status="placed").count() == 2
    assert Timesheet.objects.filter(status="signed_off").count() == 1
    assert Timesheet.objects.filter(status="submitted").count() == 1
    counts = (Timesheet.objects.count(), WorkStudyPlacement.objects.count())
    assert seed_workstudy(school) == {}
    assert (Timesheet.objects.count(), WorkStudyPlacement.objects.count()) == counts


def test_without_five_aid_cases_the_step_does_nothing(world):
    assert seed_workstudy(DemoSchool(logins={"aidofficer": world["aidofficer"]})) == {}
    assert not WorkStudyPost.objects.exists()
