"""The counselling centre recommends a student for a home visit without saying why (issue 13, finding 2).

Who may (the centre, the student's own station; nobody else), bad input (a DomainError or a form error, never a
500), the audit entry (written, without the reason), and what leaves counselling (student ids only).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from counseling.models import VisitRecommendation
from counseling.services.visit_recommendations import (
    students_recommended_for_visit,
    visit_recommendation_set,
    visit_recommendation_withdraw,
)
from portal.models import AuditEvent, Student
from portal.services import DomainError
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

REASON = "母亲重病住院，学生情绪低落"


def _url(student: Student) -> str:
    return reverse("counseling:visit_recommendation", args=[student.pk])


@pytest.mark.parametrize("persona", ["counselor", "station", "admin"])
def test_the_centre_and_the_students_station_may_recommend(world, persona):
    row = visit_recommendation_set(actor=world[persona], student=world.student_a, reason=REASON)
    assert row.reason == REASON and row.cleared_at is None
    assert students_recommended_for_visit([world.student_a.pk, world.student_b.pk]) == {world.student_a.pk}


@pytest.mark.parametrize("persona", ["station_b", "aidofficer", "aidreviewer", "visitor", "assessor", "student"])
def test_nobody_else_may_recommend_or_withdraw(world, persona):
    with pytest.raises(DomainError):
        visit_recommendation_set(actor=world[persona], student=world.student_a, reason=REASON)
    VisitRecommendation.objects.create(student=world.student_a, reason=REASON, set_by=world["counselor"])
    with pytest.raises(DomainError):
        visit_recommendation_withdraw(actor=world[persona], student=world.student_a)
    assert VisitRecommendation.objects.get().cleared_at is None


@pytest.mark.parametrize(
    "reason",
    ["", "   ", "x" * 2001, "bad\x00text"],
    ids=["empty", "blank", "too-long", "nul"],
)
def test_bad_reasons_are_refused(world, reason):
    with pytest.raises(DomainError):
        visit_recommendation_set(actor=world["counselor"], student=world.student_a, reason=reason)
    assert not VisitRecommendation.objects.exists()


def test_a_student_who_left_cannot_be_recommended_and_withdrawing_nothing_is_an_error(world):
    graduated = StudentFactory(class_group=world.class_a, status=Student.Status.GRADUATED)
    with pytest.raises(DomainError):
        visit_recommendation_set(actor=world["counselor"], student=graduated, reason=REASON)
    with pytest.raises(DomainError):
        visit_recommendation_withdraw(actor=world["counselor"], student=world.student_a)


def test_recommending_again_replaces_and_withdrawing_keeps_history_and_audits_without_the_reason(world):
    counselor = world["counselor"]
    visit_recommendation_set(actor=counselor, student=world.student_a, reason=REASON)
    visit_recommendation_set(actor=world["station"], student=world.student_a, reason="另一个原因")
    assert VisitRecommendation.objects.filter(cleared_at__isnull=True).get().reason == "另一个原因"
    visit_recommendation_withdraw(actor=counselor, student=world.student_a)
    assert VisitRecommendation.objects.count() == 2
    assert not VisitRecommendation.objects.filter(cleared_at__isnull=True).exists()
    assert students_recommended_for_visit([world.student_a.pk]) == set()
    events = AuditEvent.objects.filter(action__startswith="visit_recommendation.").order_by("pk")
    assert [e.action for e in events] == [
        "visit_recommendation.set",
        "visit_recommendation.set",
        "visit_recommendation.withdrawn",
    ]
    assert all(e.object_id == str(world.student_a.pk) for e in events)
    for e in events:
        assert REASON not in str(e.changes) and "另一个原因" not in str(e.changes)


def test_the_reason_is_encrypted_at_rest(world):
    from django.db import connection

    row = visit_recommendation_set(actor=world["counselor"], student=world.student_a, reason=REASON)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM counseling_visitrecommendation WHERE id = %s", [row.pk])
        (stored,) = cursor.fetchone()
    assert REASON not in stored
    assert REASON not in str(row)


# --- The view on the care file -------------------------------------------------------------------------------


def test_a_counsellor_marks_and_unmarks_on_the_care_file(world, client_for):
    client = client_for(world["counselor"])
    page = client.get(reverse("counseling:care_file", args=[world.student_a.pk])).content.decode()
    assert _url(world.student_a) in page and "Not recommended for a home visit." in page
    response = client.post(_url(world.student_a), {"decision": "recommend", "reason": REASON})
    assert response.status_code == 302
    page = client.get(reverse("counseling:care_file", args=[world.student_a.pk])).content.decode()
    assert "Recommended for a home visit by" in page and REASON in page
    assert client.post(_url(world.student_a), {"decision": "withdraw"}).status_code == 302
    assert students_recommended_for_visit([world.student_a.pk]) == set()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "recommend", "reason": ""}, b"Say why a visit is recommended"),
        ({"decision": "recommend", "reason": "x" * 2001}, b"at most 2000"),
        ({"decision": "recommend", "reason": "bad\x00"}, b"control characters"),
        ({"decision": "nonsense"}, b"Select a valid choice"),
        ({"decision": "withdraw"}, b"not recommended for a home visit"),
    ],
)
def test_bad_input_through_the_view_is_a_form_error(world, client_for, data, message):
    response = client_for(world["counselor"]).post(_url(world.student_a), data)
    assert response.status_code == 400
    assert message in response.content.replace(b",", b"")
    assert not VisitRecommendation.objects.filter(cleared_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("persona", "student", "status"),
    [
        ("station", "student_a", 302),
        ("station", "student_b", 404),  # another college: not in scope, existence not told
        ("station_b", "student_a", 404),
        ("aidofficer", "student_a", 403),
        ("visitor", "student_a", 403),
        ("assessor", "student_a", 403),
        ("student", "student_a", 403),
    ],
)
def test_who_may_post_the_recommendation(world, client_for, persona, student, status):
    target = getattr(world, student)
    response = client_for(world[persona]).post(_url(target), {"decision": "recommend", "reason": REASON})
    assert response.status_code == status
    assert VisitRecommendation.objects.filter(student=target).exists() is (status == 302)


def test_the_view_refuses_get(world, client_for):
    assert client_for(world["counselor"]).get(_url(world.student_a)).status_code == 405
