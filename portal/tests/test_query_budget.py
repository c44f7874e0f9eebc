"""Every list page of the core costs a fixed number of queries, whatever the number of rows (issue 9)."""

import pytest
from django.urls import reverse

from portal.models import Notification
from portal.tests.factories import StudentFactory
from portal.tests.querybudget import assert_bounded


def _notifications(user):
    def make(n: int) -> list[str]:
        rows = [
            Notification.objects.create(recipient=user, title=f"Notice {user.pk}-{i}-{Notification.objects.count()}")
            for i in range(n)
        ]
        return [r.title for r in rows]

    return make


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_student_list_is_bounded(world, client_for, persona):
    def make(n: int) -> list[str]:
        students = StudentFactory.create_batch(n, class_group=world.class_a)
        # The world's own four students of class A come first, so the last few new rows fall on page 2.
        return [s.name for s in students[: max(1, n - 5)]] + [world.college_a.name, world.class_a.name]

    assert_bounded(client_for(world[persona]), reverse("portal:student_list"), make)


def test_the_notification_list_is_bounded(world, client_for):
    user = world["student"]
    assert_bounded(client_for(user), reverse("portal:notifications"), _notifications(user))


@pytest.mark.parametrize("persona", ["student", "station", "counselor", "aidofficer", "visitor", "admin"])
def test_the_home_dashboard_is_bounded(world, client_for, persona):
    user = world[persona]

    def make(n: int) -> list[str]:
        return _notifications(user)(n)[-5:]  # the dashboard shows the latest five

    assert_bounded(client_for(user), reverse("portal:home"), make)
