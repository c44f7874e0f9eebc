"""Each persona × each view of the identification area, with objects in and out of scope, and the notices:
who sees them, for how long, and what they never contain."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aid.models import Identification, Notice, Tier
from aid.tests.factories import AcademicYearFactory, identification_in, notice_for
from portal.models import AuditEvent

S = Identification.Status
PERSONAS = [
    "student",
    "roommate",
    "committee",
    "liaison",
    "station",
    "station_b",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]


def user_of(world, name):
    return world.roommate_a.user if name == "roommate" else world[name]


@pytest.fixture
def setup(world):
    year = AcademicYearFactory()
    mine = identification_in(world.student_a, S.SUBMITTED, year=year, statement="母亲常年生病住院")
    other = identification_in(world.student_b, S.SUBMITTED, year=year)
    return {"year": year, "in": mine, "out": other}


STUDENT_PAGES = {"student", "roommate", "committee", "liaison"}
REVIEWERS = {"aidreviewer", "aidofficer", "admin"}


@pytest.mark.parametrize("name", PERSONAS)
def test_every_page_for_every_persona(world, client_for, setup, name):
    client = client_for(user_of(world, name))
    is_student, is_reviewer = name in STUDENT_PAGES, name in REVIEWERS
    expected = {
        reverse("aid:index"): 200,
        reverse("aid:identification_mine"): 200 if is_student else 403,
        reverse("aid:identification_edit"): 302 if name == "student" else 200 if is_student else 403,
        reverse("aid:identification_list"): 200 if is_reviewer else 403,
        reverse("aid:evaluation_groups"): 200 if is_reviewer else 403,
        reverse("aid:evaluation_group_edit", args=[world.class_a.pk]): 200 if is_reviewer else 403,
        reverse("aid:evaluation_group_edit", args=[world.class_b.pk]): (
            200 if name in ("aidofficer", "admin") else 404 if is_reviewer else 403
        ),
        reverse("aid:evaluation_mine"): 200 if is_student else 403,
        reverse("aid:notice_list"): 200 if is_student or is_reviewer else 403,
        reverse("aid:notice_publish"): 200 if is_reviewer else 403,
        reverse("aid:identification_detail", args=[setup["in"].pk]): (
            302 if name == "student" else 200 if is_reviewer else 404
        ),
        reverse("aid:identification_detail", args=[setup["out"].pk]): 200 if name in ("aidofficer", "admin") else 404,
    }
    got = {url: client.get(url).status_code for url in expected}
    assert got == expected
    # POST-only endpoints refuse GET.
    assert client.get(reverse("aid:identification_return", args=[setup["in"].pk])).status_code == 405


@pytest.mark.parametrize("name", ["station", "counselor", "assessor", "visitor", "committee", "liaison", "roommate"])
def test_counselling_staff_and_student_roles_see_nothing_of_an_identification(world, client_for, setup, name):
    client = client_for(user_of(world, name))
    page = client.get(reverse("aid:identification_detail", args=[setup["in"].pk]))
    assert page.status_code == 404
    assert "母亲常年生病住院" not in client.get(reverse("aid:index")).content.decode()
    assert world.student_a.name not in client.get(reverse("aid:notice_list")).content.decode()


def test_opening_an_identification_is_audited(world, client_for, setup):
    client_for(world["aidreviewer"]).get(reverse("aid:identification_detail", args=[setup["in"].pk]))
    assert AuditEvent.objects.filter(
        action="read", object_type="aid.identification", object_id=str(setup["in"].pk), actor=world["aidreviewer"]
    ).exists()


def test_the_review_list_is_scoped_to_the_college(world, client_for, setup):
    page = client_for(world["aidreviewer"]).get(reverse("aid:identification_list")).content.decode()
    assert world.student_a.name in page and world.student_b.name not in page
    page = client_for(world["aidofficer"]).get(reverse("aid:identification_list")).content.decode()
    assert world.student_a.name in page and world.student_b.name in page


def test_the_review_list_costs_a_fixed_number_of_queries(world, client_for, setup, django_assert_max_num_queries):
    from portal.tests.factories import StudentFactory

    for _ in range(15):
        identification_in(StudentFactory(class_group=world.class_a), S.SUBMITTED, year=setup["year"])
    client = client_for(world["aidofficer"])
    with django_assert_max_num_queries(15):
        assert client.get(reverse("aid:identification_list")).status_code == 200


# --- Notices ----------------------------------------------------------------------------------------------


@pytest.fixture
def college_notice(world, setup):
    ident = setup["in"]
    return notice_for([ident], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"], tier=Tier.SPECIAL)


NEVER_ON_A_NOTICE = ("id_card_number", "phone", "hometown_address")


def test_a_classmate_sees_the_notice_with_name_class_and_tier_only(world, client_for, college_notice):
    world.student_a.hometown_address = "喀什地区疏附县托克扎克镇"
    world.student_a.save()
    page = client_for(world.roommate_a.user).get(reverse("aid:notice_detail", args=[college_notice.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.student_a.name in html and world.class_a.name in html and "especially difficult" in html
    for field in NEVER_ON_A_NOTICE:
        assert getattr(world.student_a, field) not in html
    assert world.student_a.id_card_masked not in html
    assert "母亲常年生病住院" not in html
    assert str(world.student_a.user.student.id_card_number)[6:14] not in html  # the birth date


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("roommate", 200),
        ("committee", 200),
        ("aidreviewer", 200),
        ("aidofficer", 200),
        ("student_b", 404),
        ("station", 404),
        ("counselor", 404),
        ("visitor", 404),
    ],
)
def test_the_notice_is_shown_only_to_its_audience(world, client_for, college_notice, name, status):
    user = world.student_b.user if name == "student_b" else user_of(world, name)
    assert client_for(user).get(reverse("aid:notice_detail", args=[college_notice.pk])).status_code == status


def test_nobody_sees_the_notice_after_its_last_day(world, client_for, college_notice):
    after = timezone.localtime() + timedelta(days=8)
    with time_machine.travel(after, tick=False):
        for user in (world.roommate_a.user, world["aidreviewer"], world["aidofficer"], world["admin"]):
            assert client_for(user).get(reverse("aid:notice_detail", args=[college_notice.pk])).status_code == 404
        assert "公示" not in client_for(world.roommate_a.user).get(reverse("aid:notice_list")).content.decode()


def test_a_school_notice_shows_a_student_only_the_rows_of_their_class(world, client_for, setup):
    from portal.tests.factories import ClassGroupFactory, StudentFactory

    other_class = StudentFactory(class_group=ClassGroupFactory(college=world.college_a), name="赵敏")
    ident_other = identification_in(other_class, S.SCHOOL_REVIEWED, year=setup["year"])
    notice = notice_for([setup["in"], ident_other], kind=Notice.Kind.SCHOOL, created_by=world["aidofficer"])
    html = client_for(world.roommate_a.user).get(reverse("aid:notice_detail", args=[notice.pk])).content.decode()
    assert world.student_a.name in html and "赵敏" not in html
    html = client_for(world["aidofficer"]).get(reverse("aid:notice_detail", args=[notice.pk])).content.decode()
    assert world.student_a.name in html and "赵敏" in html


def test_a_not_identified_row_is_never_listed(world, client_for, setup):
    notice = notice_for([setup["in"]], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"], tier=Tier.NONE)
    html = client_for(world.roommate_a.user).get(reverse("aid:notice_detail", args=[notice.pk])).content.decode()
    assert world.student_a.name not in html


def test_opening_an_identification_in_the_admin_is_audited(world, client_for, setup):
    client = client_for(world["admin"])
    assert client.get(reverse("admin:aid_identification_changelist")).status_code == 200
    assert client.get(reverse("admin:aid_academicyear_changelist")).status_code == 200
    assert client.get(reverse("admin:aid_identificationevent_changelist")).status_code == 200
    url = reverse("admin:aid_identification_change", args=[setup["in"].pk])
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="read", object_type="aid.identification", object_id=str(setup["in"].pk), changes__via="admin"
    ).exists()
