"""The visit form's service worker script (homevisits.views.offline): where it is served, with which headers,
to whom; and the form page carries what the page script needs. The browser behaviour is in
test_offline_queue_browser.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from homevisits.models import Trip
from homevisits.tests.factories import TripFactory, plan

pytestmark = pytest.mark.django_db


def test_worker_is_served_with_a_root_scope_to_anyone(client):
    url = reverse("homevisits:service_worker")
    assert url == "/homevisits/sw.js"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert 'const CACHE = "nuanxin-visit-v' in body


@pytest.mark.parametrize("persona", ["student", "visitor", "aidofficer"])
def test_worker_is_the_same_for_everyone(world, client_for, persona):
    anonymous = client_for(world["visitor"]).get("/homevisits/sw.js").content
    assert client_for(world[persona]).get("/homevisits/sw.js").content == anonymous


def test_worker_refuses_writes(client):
    assert client.post("/homevisits/sw.js").status_code == 405


def test_form_page_names_the_worker_and_the_waiting_messages(world, client_for):
    visitor = world["visitor"]
    trip = TripFactory(
        leader=visitor, status=Trip.Status.TRAVELLING, starts_on=timezone.localdate() - timedelta(days=1)
    )
    ts = plan(trip, world.student_a)
    html = client_for(visitor).get(reverse("homevisits:record_new", args=[ts.pk])).content.decode()
    assert 'data-worker-url="/homevisits/sw.js"' in html
    assert "Waiting to send ({n})" in html
    assert f"/accounts/login/?next=/homevisits/planned/{ts.pk}/record/" in html.replace("%2F", "/")
