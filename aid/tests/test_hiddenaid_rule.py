"""The rule per sex (meals and spend boundaries), top-up and fixed amounts, and set-based evaluation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate
from aid.services import hiddenaid as services
from aid.tests.test_hiddenaid_helpers import (
    MONTH,
    add_record,
    english,  # noqa: F401 - a fixture
    evaluated_batch,
    set_rules,
)
from portal.models import Gender, Student
from portal.services import DomainError
from portal.tests.factories import StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
BASE = {"M": {"min_meals": 60, "max_spend": "350"}, "F": {"min_meals": 60, "max_spend": "300"}}


@pytest.mark.parametrize(
    ("gender", "meals", "spend", "candidate"),
    [
        (Gender.MALE, 59, "100.00", False),
        (Gender.MALE, 60, "100.00", True),
        (Gender.MALE, 60, "349.99", True),
        (Gender.MALE, 60, "350.00", False),
        (Gender.MALE, 60, "350.01", False),
        (Gender.FEMALE, 59, "100.00", False),
        (Gender.FEMALE, 60, "299.99", True),
        (Gender.FEMALE, 60, "300.00", False),
        (Gender.FEMALE, 60, "300.01", False),
        (Gender.FEMALE, 60, "349.99", False),  # a man's threshold is not a woman's
        (Gender.FEMALE, 120, "0.00", True),
    ],
)
def test_the_rule_per_sex_at_its_boundaries(world, gender, meals, spend, candidate):
    student = world.student_a
    Student.objects.filter(pk=student.pk).update(gender=gender)
    add_record(student, meals, spend)
    batch, written = services.hiddenaid_batch_evaluate(actor=world["aidofficer"], month=MONTH)
    assert written == int(candidate)
    assert batch.candidates.filter(student=student).exists() is candidate
    rule = services.hiddenaid_rules()[gender]
    assert rule.matches(meals=meals, spend=Decimal(spend)) is candidate


def test_top_up_pays_exactly_the_difference_to_the_threshold(world):
    Student.objects.filter(pk=world.student_a.pk).update(gender=Gender.MALE)
    Student.objects.filter(pk=world.student_b.pk).update(gender=Gender.FEMALE)
    add_record(world.student_a, 70, "123.45")
    add_record(world.student_b, 61, "299.99")
    batch = evaluated_batch(world["aidofficer"])
    amounts = dict(batch.candidates.values_list("student_id", "amount"))
    assert amounts == {world.student_a.pk: Decimal("226.55"), world.student_b.pk: Decimal("0.01")}
    assert batch.rules["M"] == {"min_meals": 60, "max_spend": "350.00", "mode": "top_up"}


@pytest.mark.parametrize(
    "rules",
    [
        {
            "M": {"min_meals": 60, "max_spend": "350.00"},
            "F": {"min_meals": 60, "max_spend": "300.00"},
            "mode": "fixed",
            "amount": "150.00",
        },
        {
            "M": {"min_meals": 60, "max_spend": "350.00"},
            "F": {"min_meals": 60, "max_spend": "300.00"},
            "mode": {"mode": "fixed", "amount": "150.00"},
        },
    ],
)
def test_fixed_mode_pays_the_fixed_amount(world, rules):
    set_rules(rules)
    add_record(world.student_a, 70, "123.45")
    add_record(world.student_b, 60, "299.99")
    batch = evaluated_batch(world["aidofficer"])
    assert set(batch.candidates.values_list("amount", flat=True)) == {Decimal("150.00")}
    assert batch.rules["F"]["mode"] == "fixed"


def test_the_mode_may_differ_per_sex(world):
    set_rules(
        {
            "M": {"min_meals": 50, "max_spend": "400.00", "mode": "fixed", "amount": "88.80"},
            "F": {"min_meals": 60, "max_spend": "300.00"},
            "mode": "top_up",
        }
    )
    Student.objects.filter(pk=world.student_a.pk).update(gender=Gender.MALE)
    add_record(world.student_a, 55, "390.00")
    add_record(world.student_b, 60, "250.50")  # the factory's students are women
    batch = evaluated_batch(world["aidofficer"])
    amounts = dict(batch.candidates.values_list("student_id", "amount"))
    assert amounts == {world.student_a.pk: Decimal("88.80"), world.student_b.pk: Decimal("49.50")}


@pytest.mark.parametrize(
    "rules",
    [
        "not a dict",
        {"M": {"min_meals": 60, "max_spend": "350.00"}},
        {"M": {"min_meals": -1, "max_spend": "350"}, "F": {"min_meals": 60, "max_spend": "300"}},
        {"M": {"min_meals": 60, "max_spend": "lots"}, "F": {"min_meals": 60, "max_spend": "300"}},
        {**BASE, "mode": "weekly"},
        {**BASE, "mode": "fixed"},
        {
            "M": {"min_meals": 60, "max_spend": "350"},
            "F": {"min_meals": 60, "max_spend": "300"},
            "mode": "fixed",
            "amount": "-5",
        },
    ],
)
def test_a_broken_rule_setting_is_a_message_not_a_crash(world, client_for, rules):
    set_rules(rules)
    add_record(world.student_a, 70, "100")
    with pytest.raises(DomainError, match="hidden-aid rule setting"):
        services.hiddenaid_batch_evaluate(actor=world["aidofficer"], month=MONTH)
    response = client_for(world["aidofficer"]).post(
        reverse("aid:hiddenaid_evaluate"), {"month": "2025-03"}, follow=True
    )
    assert response.status_code == 200
    assert "hidden-aid rule setting" in response.content.decode()
    assert not HiddenAidBatch.objects.exists()


def test_only_enrolled_students_qualify(world):
    add_record(world.student_a, 70, "100")
    add_record(world.student_b, 70, "100")
    Student.objects.filter(pk=world.student_b.pk).update(status=Student.Status.GRADUATED)
    batch = evaluated_batch(world["aidofficer"])
    assert list(batch.candidates.values_list("student_id", flat=True)) == [world.student_a.pk]


def test_a_month_without_data_is_refused(world):
    with pytest.raises(DomainError, match="no canteen data for 2025-03"):
        services.hiddenaid_batch_evaluate(actor=world["aidofficer"], month=MONTH)


def test_evaluating_again_keeps_hand_changes_and_follows_the_new_rule(world):
    officer = world["aidofficer"]
    add_record(world.student_a, 70, "100")
    add_record(world.student_b, 70, "280")
    add_record(world.roommate_a, 70, "250")
    batch = evaluated_batch(officer)
    removed = batch.candidates.get(student=world.roommate_a)
    services.hiddenaid_candidate_remove(actor=world["station"], candidate=removed, reason="已有其他资助")
    set_rules({"M": {"min_meals": 60, "max_spend": "350.00"}, "F": {"min_meals": 60, "max_spend": "200.00"}})
    batch, written = services.hiddenaid_batch_evaluate(actor=officer, month=MONTH)
    assert written == 1  # student_a; student_b no longer qualifies; roommate_a keeps the hand change
    state = dict(batch.candidates.values_list("student_id", "included"))
    assert state == {world.student_a.pk: True, world.roommate_a.pk: False}
    assert batch.candidates.get(student=world.student_a).amount == Decimal("100.00")


def test_an_approved_batch_cannot_be_evaluated_again(world):
    add_record(world.student_a, 70, "100")
    batch = evaluated_batch(world["aidofficer"])
    HiddenAidBatch.objects.filter(pk=batch.pk).update(status=HiddenAidBatch.Status.APPROVED)
    with pytest.raises(DomainError, match="already approved"):
        services.hiddenaid_batch_evaluate(actor=world["aidofficer"], month=MONTH)


def test_evaluation_is_set_based_whatever_the_number_of_rows(world, django_assert_max_num_queries):
    class_group = world.class_a
    students = StudentFactory.create_batch(60, class_group=class_group, gender=Gender.MALE)
    source = CanteenImport.objects.create(month=MONTH, filename="x.csv", rows=len(students))
    CanteenRecord.objects.bulk_create(
        CanteenRecord(student=s, month=MONTH, meals=60 + i % 3, total_spend=Decimal(300 + i), source=source)
        for i, s in enumerate(students)
    )
    with django_assert_max_num_queries(12):
        batch, written = services.hiddenaid_batch_evaluate(actor=world["aidofficer"], month=MONTH)
    assert written == 50  # spend 300 … 349 is below 350
    assert HiddenAidCandidate.objects.filter(batch=batch).count() == 50


def test_the_evaluate_view_is_for_officers_and_refuses_a_month_without_data(world, client_for):
    url = reverse("aid:hiddenaid_evaluate")
    add_record(world.student_a, 70, "100")
    assert client_for(world["aidreviewer"]).post(url, {"month": "2025-03"}).status_code == 403
    client = client_for(world["aidofficer"])
    response = client.post(url, {"month": "2025-04"}, follow=True)
    assert "Month: Select a valid choice" in response.content.decode()
    response = client.post(url, {"month": "2025-03"})
    batch = HiddenAidBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("aid:hiddenaid_batch", args=[batch.pk])
