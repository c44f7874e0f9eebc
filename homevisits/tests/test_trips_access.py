"""Each persona × each trip view; status transitions by role; priority reasons show reasons only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from aid.models import Tier
from aid.tests.factories import fiveaid_case_for, identified
from counseling.models import VisitRecommendation
from counseling.tests.factories import open_case
from homevisits import services
from homevisits.models import Trip
from homevisits.tests.factories import TripFactory, TripStopFactory, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def trips(world):
    mine = TripFactory(leader=world["aidofficer"], members=[world["visitor"]], title="Mine")
    other = TripFactory(leader=world["aidofficer"], title="Other")
    for trip in (mine, other):
        stop = TripStopFactory(trip=trip, position=1)
        plan(trip, world.student_a, stop=stop)
    return mine, other


VIEWS = ["trip_detail", "itinerary", "trip_report", "trip_report_xlsx"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("persona", "mine", "other"),
    [
        ("visitor", 200, 404),
        ("aidofficer", 200, 200),
        ("admin", 200, 200),
        ("student", 404, 404),
        ("counselor", 404, 404),
        ("station", 404, 404),
        ("aidreviewer", 404, 404),
    ],
)
def test_each_persona_sees_only_their_trips(world, client_for, trips, view, persona, mine, other):
    client = client_for(world[persona])
    assert client.get(reverse(f"homevisits:{view}", args=[trips[0].pk])).status_code == mine
    assert client.get(reverse(f"homevisits:{view}", args=[trips[1].pk])).status_code == other


@pytest.mark.parametrize(
    ("persona", "status"), [("visitor", 200), ("aidofficer", 200), ("student", 403), ("counselor", 403)]
)
def test_trip_list_by_persona(world, client_for, trips, persona, status):
    response = client_for(world[persona]).get(reverse("homevisits:trip_list"))
    assert response.status_code == status
    if persona == "visitor":
        assert b"Mine" in response.content and b"Other" not in response.content


@pytest.mark.parametrize(
    ("persona", "status"), [("aidofficer", 200), ("admin", 200), ("visitor", 403), ("student", 403)]
)
def test_dashboard_is_for_the_office(world, client_for, persona, status):
    assert client_for(world[persona]).get(reverse("homevisits:dashboard")).status_code == status


def test_member_cannot_plan_or_approve_but_office_can(world, client_for, trips):
    mine = trips[0]
    visitor = client_for(world["visitor"])
    assert visitor.get(reverse("homevisits:trip_candidates", args=[mine.pk])).status_code == 403
    assert visitor.post(reverse("homevisits:trip_transition", args=[mine.pk]), {"to": "approved"}).status_code == 403
    office = client_for(world["aidofficer"])
    office.post(reverse("homevisits:trip_transition", args=[mine.pk]), {"to": "approved"})
    mine.refresh_from_db()
    assert mine.status == Trip.Status.APPROVED


def test_leader_moves_trip_along_and_office_closes(world, client_for, trips):
    trip = TripFactory(leader=world["visitor"])
    TripStopFactory(trip=trip, position=1)
    visitor = client_for(world["visitor"])
    url = reverse("homevisits:trip_transition", args=[trip.pk])
    assert visitor.post(url, {"to": "approved"}).status_code == 403
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    visitor.post(url, {"to": "travelling"})
    visitor.post(url, {"to": "reporting"})
    trip.refresh_from_db()
    assert trip.status == Trip.Status.REPORTING
    assert visitor.post(url, {"to": "closed"}).status_code == 403
    office = client_for(world["aidofficer"])
    response = office.post(url, {"to": "closed"}, follow=True)
    assert b"has not been submitted" in response.content
    services.trip_report_save(actor=world["visitor"], trip=trip, report="All visited.")
    office.post(url, {"to": "closed"})
    trip.refresh_from_db()
    assert trip.status == Trip.Status.CLOSED


def test_wrong_transition_is_a_message_not_a_500(world, client_for, trips):
    response = client_for(world["aidofficer"]).post(
        reverse("homevisits:trip_transition", args=[trips[0].pk]), {"to": "travelling"}, follow=True
    )
    assert response.status_code == 200
    assert b"cannot be moved" in response.content


def test_priority_reasons_show_no_clinical_or_financial_detail(world, client_for, trips):
    student = world.student_a
    ident = identified(student, Tier.SPECIAL)
    ident.household_income = Decimal("12345.67")
    ident.save(update_fields=["household_income"])
    fiveaid_case_for(world.roommate_a, Tier.DIFFICULT)
    open_case(student=student, level_signs=["self_harm"])
    response = client_for(world["aidofficer"]).get(reverse("homevisits:trip_candidates", args=[trips[0].pk]))
    body = response.content.decode()
    assert "identified: 特别困难" in body
    assert "care list" not in body  # an open case never reaches home-visit or aid staff (issue 13)
    assert "recommended for a visit" not in body
    assert "active five-aid case" in body
    VisitRecommendation.objects.create(student=student, reason="secret", set_by=world["counselor"])
    again = client_for(world["aidofficer"]).get(reverse("homevisits:trip_candidates", args=[trips[0].pk])).content
    assert b"recommended for a visit by the counselling centre" in again and b"secret" not in again
    assert "12345" not in body and "12,345" not in body
    assert "level 3" not in body.lower() and "self-harm" not in body.lower() and "difficult</" not in body


def test_conflict_with_another_trip_this_year_is_flagged(world, client_for, trips):
    trip = TripFactory(leader=world["aidofficer"], title="Third")
    stop = TripStopFactory(trip=trip, position=1)
    services.trip_approve(actor=world["aidofficer"], trip=trip)  # students are chosen after approval
    response = client_for(world["aidofficer"]).post(
        reverse("homevisits:trip_student_add", args=[trip.pk]),
        {"student": world.student_a.pk, "stop": stop.pk},
        follow=True,
    )
    assert b"Conflict" in response.content and b"Mine" in response.content
    page = client_for(world["aidofficer"]).get(reverse("homevisits:trip_detail", args=[trip.pk]))
    assert b'data-testid="conflict"' in page.content


def test_guardian_log_scope(world, client_for, trips):
    services.trip_approve(actor=world["aidofficer"], trip=trips[0])  # a planning trip opens no guardian log
    url = reverse("homevisits:guardian_contacts", args=[world.student_a.pk])
    other = reverse("homevisits:guardian_contacts", args=[world.student_b.pk])
    assert client_for(world["visitor"]).get(url).status_code == 200
    assert client_for(world["visitor"]).get(other).status_code == 404
    assert client_for(world["station"]).get(url).status_code == 200
    assert client_for(world["station"]).get(other).status_code == 404
    assert client_for(world["counselor"]).get(other).status_code == 200
    assert client_for(world["student"]).get(url).status_code == 403
    assert client_for(world["assessor"]).get(url).status_code == 403


def test_index_links_by_role(world, client_for):
    body = client_for(world["aidofficer"]).get(reverse("homevisits:index")).content
    assert reverse("homevisits:dashboard").encode() in body
    body = client_for(world["visitor"]).get(reverse("homevisits:index")).content
    assert reverse("homevisits:dashboard").encode() not in body


def test_trip_list_query_count_is_bounded(world, client_for, django_assert_max_num_queries):
    for _i in range(15):
        TripFactory(leader=world["aidofficer"], members=[world["visitor"]])
    client = client_for(world["visitor"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("homevisits:trip_list")).status_code == 200


def test_index_links_the_follow_up_task_list(world, client_for):
    url = reverse("homevisits:my_follow_ups")
    assert url.encode() in client_for(world["visitor"]).get(reverse("homevisits:index")).content
