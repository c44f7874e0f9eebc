"""Opening five-aid cases: idempotent, only for identified students, once per year for all."""

import pytest

from aid.models import FiveAidCase, Identification, Tier
from aid.services import fiveaid as services
from aid.tests.factories import current_academic_year, identification_in, identified
from portal.models import AuditEvent
from portal.services import DomainError
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_opening_a_case_twice_returns_the_same_case(world):
    identification = identified(world.student_a, Tier.SPECIAL)
    first = services.fiveaid_open_for(identification)
    second = services.fiveaid_open_for(identification=identification, actor=world["aidofficer"])
    assert first.pk == second.pk
    assert FiveAidCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="fiveaid.opened").count() == 1


def test_a_case_is_opened_only_for_an_approved_identification_with_a_hardship_tier(world):
    submitted = identification_in(world.student_a, Identification.Status.SUBMITTED, year=current_academic_year())
    with pytest.raises(DomainError):
        services.fiveaid_open_for(submitted)
    not_identified = identification_in(
        world.student_b, Identification.Status.APPROVED, year=current_academic_year(), tier=Tier.NONE
    )
    with pytest.raises(DomainError):
        services.fiveaid_open_for(not_identified)
    assert not FiveAidCase.objects.exists()


def test_students_from_xinjiang_start_in_the_xinjiang_programme(world):
    student = StudentFactory(class_group=world.class_a, hometown_province="新疆维吾尔自治区")
    assert services.fiveaid_open_for(identified(student)).xinjiang_programme
    assert not services.fiveaid_open_for(identified(world.student_b)).xinjiang_programme


def test_opening_for_the_year_skips_existing_cases_and_unidentified_students(world):
    services.fiveaid_open_for(identified(world.student_a))
    identified(world.student_b, Tier.GENERAL)
    identification_in(world.roommate_a, Identification.Status.REJECTED, year=current_academic_year(), tier=Tier.NONE)
    year = current_academic_year()
    assert services.fiveaid_open_for_year(actor=world["aidofficer"], year=year) == 1
    assert services.fiveaid_open_for_year(actor=world["aidofficer"], year=year) == 0
    assert set(FiveAidCase.objects.values_list("student_id", flat=True)) == {world.student_a.pk, world.student_b.pk}
