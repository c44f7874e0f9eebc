"""Attacker stories against identification (家庭经济困难认定) and its notices (issue 13).

- The curious classmate: reads the notice to learn more than name, class and tier: an ID number, a phone, a
  home address, the family's income, the reason written in the statement. None of it is on the page.
- The student of another college, and anyone after the notice ends: the notice is the 404 of a notice that
  does not exist (existence does not leak), and so is lodging an objection against a row not shown to them.
- The evaluation-group member: looks for income and family figures (they get bands only, never the figures,
  aid/access/identification.py), evaluates their own application, or a student of another class.
- The student who wants to be poorer on paper: edits someone else's identification by adding ids to the POST,
  or changes their own after submission by posting to the edit page again.

The clock is pinned (a Wednesday noon, Asia/Shanghai): notice periods and the application window are dates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aid.models import ClassEvaluation, FamilyMember, Identification, Notice, Objection, Tier
from aid.selectors.identification import evaluation_rows_for_member
from aid.services import identification as services
from aid.tests.factories import AcademicYearFactory, FamilyMemberFactory, identification_in, notice_for
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

S = Identification.Status
MISSING = 2_000_000_000
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STATEMENT = "父亲在工地摔伤，母亲患尿毒症每周透析"
EDIT = reverse("aid:identification_edit")


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def year(world):
    return AcademicYearFactory()


@pytest.fixture
def applicant(world, year):
    """student_a's identification with every secret a notice must never show."""
    student = world.student_a
    student.hometown_address = "喀什地区疏附县托克扎克镇阿亚格曼干村"
    student.save()
    ident = identification_in(
        student,
        S.SUBMITTED,
        year=year,
        statement=STATEMENT,
        household_income=Decimal("9876.54"),
        household_debt=Decimal("45678.00"),
        household_size=5,
        special_statuses=["dibao"],
    )
    FamilyMemberFactory(identification=ident, relation="母亲", occupation="无业（透析）", annual_income=Decimal("1357"))
    return ident


def _secrets(world) -> list[str]:
    s = world.student_a
    return [
        s.id_card_number,
        s.id_card_number[6:14],  # the birth date inside it
        s.id_card_masked,
        s.phone,
        s.hometown_address,
        STATEMENT,
        "9876",
        "9,876",
        "45678",
        "45,678",
        "1357",
        "无业（透析）",
    ]


def test_a_classmate_reads_the_notice_and_learns_only_name_class_and_tier(world, client_for, applicant):
    notice = notice_for([applicant], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"], tier=Tier.SPECIAL)
    html = client_for(world.roommate_a.user).get(reverse("aid:notice_detail", args=[notice.pk])).content.decode()
    assert world.student_a.name in html and world.class_a.name in html and "especially difficult" in html
    leaked = [secret for secret in _secrets(world) if secret and secret in html]
    assert leaked == []
    assert "低保" not in html and "dibao" not in html  # the special status is a reason too


def test_the_notice_is_the_404_of_a_missing_notice_for_another_college_and_outside_its_period(
    world, client_for, applicant
):
    notice = notice_for([applicant], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"])
    url, missing = (reverse("aid:notice_detail", args=[pk]) for pk in (notice.pk, MISSING))
    other_college = client_for(world.student_b.user)
    assert (other_college.get(url).status_code, other_college.get(missing).status_code) == (404, 404)
    assert world.student_a.name not in other_college.get(reverse("aid:notice_list")).content.decode()

    classmate = world.roommate_a.user
    assert client_for(classmate).get(url).status_code == 200
    for moment in (timezone.localtime() + timedelta(days=8), timezone.localtime() - timedelta(days=2)):
        with time_machine.travel(moment, tick=False):
            assert client_for(classmate).get(url).status_code == 404
            assert world.student_a.name not in client_for(classmate).get(reverse("aid:notice_list")).content.decode()
            objection = client_for(classmate).post(
                reverse("aid:notice_object", args=[notice.pk, applicant.pk]), {"reason": "他家有车"}
            )
            assert objection.status_code == 404
    assert not Objection.objects.exists()


def test_an_objection_can_target_only_a_row_the_objector_is_shown(world, client_for, applicant, year):
    notice = notice_for([applicant], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"])
    elsewhere = identification_in(world.student_b, S.COLLEGE_NOTICE, year=year)
    client = client_for(world.roommate_a.user)
    for pk in (elsewhere.pk, MISSING):
        response = client.post(reverse("aid:notice_object", args=[notice.pk, pk]), {"reason": "听说他家有车"})
        assert response.status_code == 404
    assert not Objection.objects.exists()


def _group(world, year, members):
    return services.evaluation_group_set(
        actor=world["aidreviewer"], class_group=world.class_a, year=year, members=members
    )


def test_an_evaluation_group_member_sees_bands_never_the_income_or_family_figures(world, client_for, applicant, year):
    member = StudentFactory(class_group=world.class_a)
    _group(world, year, [world["committee"], world["liaison"], member.user])
    page = client_for(member.user).get(reverse("aid:evaluation_mine")).content.decode()
    assert world.student_a.name in page
    leaked = [secret for secret in _secrets(world) if secret and secret in page]
    assert leaked == []
    # Not through the identification pages either.
    assert client_for(member.user).get(reverse("aid:identification_detail", args=[applicant.pk])).status_code == 404


def test_an_evaluation_group_member_cannot_evaluate_their_own_application_or_another_class(world, client_for, year):
    _group(world, year, [world["committee"], world["liaison"], world.roommate_a.user])
    own = identification_in(world.roommate_a, S.SUBMITTED, year=year)  # the member applies after joining
    other_class = identification_in(world.student_b, S.SUBMITTED, year=year)
    client = client_for(world.roommate_a.user)
    for pk in (own.pk, other_class.pk):
        response = client.post(
            reverse("aid:evaluation_record", args=[pk]), {"suggested_tier": "special", "reason": "x"}
        )
        assert response.status_code in (403, 404)
    assert evaluation_rows_for_member(world.roommate_a.user, year) == []
    # A member who has not applied still cannot reach another class's applicant.
    response = client_for(world["committee"]).post(
        reverse("aid:evaluation_record", args=[other_class.pk]), {"suggested_tier": "special", "reason": "x"}
    )
    assert response.status_code == 404
    assert not ClassEvaluation.objects.exists()


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "household_size": "6",
        "household_income": "100",
        "household_debt": "900000",
        "special_statuses": ["dibao"],
        "statement": "改过的说明",
        "family-TOTAL_FORMS": "1",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
        "family-0-relation": "父亲",
        "family-0-age": "50",
        "family-0-occupation": "务农",
        "family-0-annual_income": "0",
        "save": "1",
    }
    data.update(overrides)
    return data


def test_a_student_cannot_edit_someone_elses_identification_by_adding_ids_to_the_post(world, client_for, year):
    theirs = identification_in(world.roommate_a, S.DRAFT, year=year, household_income=Decimal("50000"))
    client = client_for(world["student"])
    response = client.post(
        EDIT,
        _form(pk=theirs.pk, id=theirs.pk, identification=theirs.pk, student=world.roommate_a.pk, status="approved"),
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.household_income, theirs.status) == (Decimal("50000.00"), S.DRAFT)
    mine = Identification.objects.get(student=world.student_a)
    assert mine.status == S.DRAFT and mine.tier in ("", None)
    # Their identification by id, through every student-facing door: 404, as for an id that does not exist.
    for pk in (theirs.pk, MISSING):
        assert client.get(reverse("aid:identification_detail", args=[pk])).status_code == 404
        assert client.post(reverse("aid:identification_appeal", args=[pk]), {"reason": "不服"}).status_code == 404
    # Staff transitions are not the student's, whoever's identification it is.
    for pk in (mine.pk, theirs.pk):
        response = client.post(reverse("aid:identification_approve", args=[pk]), {"tier": "special"})
        assert response.status_code in (403, 404)
    mine.refresh_from_db()
    assert mine.status == S.DRAFT


def test_a_student_cannot_change_their_identification_after_submitting_it(world, client_for, applicant):
    before = (applicant.household_income, applicant.household_debt, applicant.statement, applicant.status)
    members_before = list(FamilyMember.objects.filter(identification=applicant).values_list("annual_income", flat=True))
    client = client_for(world["student"])
    for extra in ({}, {"submit": "1", "pledge": "on"}):
        response = client.post(EDIT, _form(**extra), follow=True)
        assert "can no longer be changed" in response.content.decode()
    applicant.refresh_from_db()
    assert (applicant.household_income, applicant.household_debt, applicant.statement, applicant.status) == before
    assert (
        list(FamilyMember.objects.filter(identification=applicant).values_list("annual_income", flat=True))
        == members_before
    )
    assert Identification.objects.filter(student=world.student_a).count() == 1
