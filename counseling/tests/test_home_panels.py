"""The portal home shows students their next appointment and quick actions; staff do not get them."""

import pytest
from django.urls import reverse

from counseling.tests.test_appointments_helpers import book, make_slot

pytestmark = pytest.mark.django_db


def test_a_student_sees_their_next_appointment_and_the_quick_actions(world, client_for):
    slot = make_slot(world["counselor"], in_hours=30)
    book(world.student_a, slot)
    body = client_for(world["student"]).get(reverse("portal:home")).content.decode()
    assert 'data-testid="student-quick-actions"' in body
    assert 'data-testid="next-booking"' in body
    assert reverse("counseling:report_new") in body and reverse("counseling:slots") in body


def test_a_student_without_a_booking_gets_the_actions_only(world, client_for):
    body = client_for(world["student"]).get(reverse("portal:home")).content.decode()
    assert 'data-testid="student-quick-actions"' in body
    assert 'data-testid="next-booking"' not in body


@pytest.mark.parametrize("persona", ["station", "counselor", "aidofficer", "visitor", "admin"])
def test_staff_do_not_get_the_student_panel(world, client_for, persona):
    body = client_for(world[persona]).get(reverse("portal:home")).content.decode()
    assert 'data-testid="student-quick-actions"' not in body
