"""Capacity holds under concurrent sign-ups: 20 students, 20 threads, 5 places."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from counseling import services
from counseling.models import Event, EventSignup
from counseling.services.activities import EventData
from portal.models import Role
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory, grant


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_sign_ups_fill_five_places_and_waitlist_fifteen():
    counsellor = StaffFactory(user=UserFactory(username="centre")).user
    grant(counsellor, Role.CENTRE_COUNSELLOR)
    students = [StudentFactory() for _ in range(20)]
    now = timezone.now()
    event = services.event_create(
        actor=counsellor,
        data=EventData(
            title="团体辅导",
            kind=Event.Kind.GROUP,
            description="",
            audience=Event.Audience.ALL,
            colleges=[],
            enrolment_years=[],
            invited=[],
            place="团辅室",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            capacity=5,
            signup_opens_at=now - timedelta(hours=1),
            signup_closes_at=now + timedelta(days=1),
        ),
    )
    barrier = threading.Barrier(len(students))
    errors: list[BaseException] = []

    def sign_up(student):
        try:
            barrier.wait(timeout=30)
            services.event_signup(student=student, event=event)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=sign_up, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    counts = {
        status: EventSignup.objects.filter(event=event, status=status).count()
        for status in (EventSignup.Status.SIGNED_UP, EventSignup.Status.WAITLISTED)
    }
    assert counts == {EventSignup.Status.SIGNED_UP: 5, EventSignup.Status.WAITLISTED: 15}

    # The first of the waitlist (by sign-up time) moves up when a place frees.
    first_waiting = EventSignup.objects.filter(event=event, status="waitlisted").order_by("created_at", "id").first()
    seated = EventSignup.objects.filter(event=event, status="signed_up").first()
    services.event_signup_cancel(student=seated.student, event=event)
    first_waiting.refresh_from_db()
    assert first_waiting.status == "signed_up"
    assert EventSignup.objects.filter(event=event, status="signed_up").count() == 5
