"""Session lifetimes: staff 30 idle minutes and 12 hours in all; students 14 idle days and 30 days in all."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.middleware_sessions import SEEN_KEY, STARTED_KEY

HOME = "portal:home"


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def get_home(client):
    return client.get(reverse(HOME))


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["station", "counselor", "aidofficer", "visitor", "admin"])
def test_staff_are_signed_out_after_30_idle_minutes(world, client_for, clock, persona):
    client = client_for(world[persona])
    assert get_home(client).status_code == 200
    clock.shift(timedelta(minutes=29))
    assert get_home(client).status_code == 200 and signed_in(client)
    clock.shift(timedelta(minutes=31))
    response = get_home(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(client)


@pytest.mark.django_db
def test_staff_are_signed_out_after_12_hours_even_when_active(world, client_for, clock):
    client = client_for(world["station"])
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
        assert get_home(client).status_code == 200
        clock.shift(timedelta(minutes=20))
    assert get_home(client).status_code == 200 and signed_in(client)
    clock.shift(timedelta(minutes=21))
    assert get_home(client).status_code == 302
    assert not signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["student", "liaison", "committee"])
def test_students_stay_signed_in_for_13_idle_days_but_not_15(world, client_for, clock, persona):
    client = client_for(world[persona])
    assert get_home(client).status_code == 200
    clock.shift(timedelta(days=13))
    assert get_home(client).status_code == 200 and signed_in(client)
    clock.shift(timedelta(days=15))
    assert get_home(client).status_code == 302
    assert not signed_in(client)


@pytest.mark.django_db
def test_students_sign_in_again_after_30_days_even_when_active(world, client_for, clock):
    client = client_for(world["student"])
    for _ in range(7):
        assert get_home(client).status_code == 200
        clock.shift(timedelta(days=4))
    assert get_home(client).status_code == 200  # day 28
    clock.shift(timedelta(days=3))
    assert get_home(client).status_code == 302


@pytest.mark.django_db
def test_a_student_who_becomes_a_station_counsellor_gets_the_staff_limit(world, client_for, clock):
    from portal.models import Role
    from portal.tests.factories import grant

    user = world["student"]
    client = client_for(user)
    assert get_home(client).status_code == 200
    grant(user, Role.STATION_COUNSELLOR, college=world.college_a)
    clock.shift(timedelta(minutes=31))
    assert get_home(client).status_code == 302


def backdate_start(client, **delta: float) -> None:
    """A session whose stored expiry does not match its start (e.g. one created before these limits)."""
    session = client.session
    session[STARTED_KEY] -= int(timedelta(**delta).total_seconds())
    session.save()


@pytest.mark.django_db
def test_the_server_checks_the_absolute_limit_whatever_the_stored_expiry(world, client_for):
    client = client_for(world["station"])
    assert get_home(client).status_code == 200
    backdate_start(client, hours=12, minutes=1)
    response = get_home(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not signed_in(client)


@pytest.mark.django_db
def test_an_htmx_request_past_the_limit_is_sent_to_the_sign_in_page(world, client_for):
    client = client_for(world["counselor"])
    get_home(client)
    backdate_start(client, hours=13)
    response = client.get(reverse(HOME), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")
    assert not signed_in(client)


@pytest.mark.django_db
def test_the_sign_in_starts_the_clock_and_the_cookie_follows_the_idle_limit(world, client, password):
    response = client.post(reverse("login"), {"username": world["station"].username, "password": password})
    assert response.status_code == 302
    session = client.session
    assert session[STARTED_KEY] == session[SEEN_KEY]
    assert 29 * 60 <= session.get_expiry_age() <= 30 * 60
    assert 29 * 60 <= client.cookies["sessionid"]["max-age"] <= 30 * 60


@pytest.mark.django_db
def test_a_signed_in_page_view_within_a_minute_does_not_write_the_session_again(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world["student"])
    get_home(client)
    with django_assert_max_num_queries(40) as queries:
        get_home(client)
    assert not any("django_session" in q["sql"] and q["sql"].startswith("UPDATE") for q in queries.captured_queries)
