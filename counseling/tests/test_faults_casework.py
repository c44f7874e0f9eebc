"""Two staff acknowledging the same new case in the same moment, through the views: one acknowledgement on
the timeline, no error page. Real PostgreSQL transactions from two threads, released together."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from counseling.models import Case, CaseEvent
from counseling.tests.factories import submit_report

pytestmark = pytest.mark.django_db(transaction=True)


def test_station_and_centre_acknowledging_the_same_case_at_once_acknowledge_it_once(world):
    staff = [world["station"], world["counselor"]]
    for _ in range(3):  # a race: a few rounds, each on a new case
        Case.objects.filter(status__in=Case.OPEN_STATUSES).update(status=Case.Status.CLOSED)
        case = submit_report(reporter=world["student"], student=world.roommate_a).case
        barrier = threading.Barrier(2)
        statuses: list[int] = []
        errors: list[BaseException] = []

        def acknowledge(user, case=case, barrier=barrier, statuses=statuses, errors=errors) -> None:
            try:
                client = Client(HTTP_ACCEPT_LANGUAGE="en")
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                barrier.wait(timeout=10)
                statuses.append(client.post(reverse("counseling:case_acknowledge", args=[case.pk])).status_code)
            except BaseException as exc:  # re-raised below, in the test's thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=acknowledge, args=(user,)) for user in staff]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert errors == []
        assert len(statuses) == 2 and all(status < 500 for status in statuses), statuses
        assert 302 in statuses
        case.refresh_from_db()
        assert case.status == Case.Status.ACKNOWLEDGED and case.acknowledged_at is not None
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ACKNOWLEDGED).count() == 1
