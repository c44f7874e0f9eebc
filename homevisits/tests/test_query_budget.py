"""Every list and dashboard page of home visits costs a fixed number of queries, whatever the number of rows
(issue 9): each page is rendered with 5 and with 50 rows, and the rows' related data is checked on the page."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from homevisits.models import FollowUp, GuardianContact, Trip, VisitRecord
from homevisits.tests.factories import TripFactory, TripStopFactory, plan
from portal.tests.factories import GuardianFactory, StudentFactory
from portal.tests.querybudget import assert_bounded

pytestmark = pytest.mark.django_db


def _trips(world, *, shown="title"):
    def make(n):
        trips = TripFactory.create_batch(n, leader=world["visitor"])
        for trip in trips:
            plan(trip, StudentFactory(class_group=world.class_a))
        return [getattr(t, shown) for t in trips]

    return make


@pytest.mark.parametrize("persona", ["visitor", "aidofficer"])
def test_the_trip_list_is_bounded(world, client_for, persona):
    assert_bounded(client_for(world[persona]), reverse("homevisits:trip_list"), _trips(world))


@pytest.mark.parametrize("persona", ["visitor", "aidofficer"])
def test_the_home_visits_home_is_bounded(world, client_for, persona):
    def make(n):
        _trips(world)(n)
        return [t.title for t in Trip.objects.order_by("-starts_on", "pk")[:5]]

    assert_bounded(client_for(world[persona]), reverse("homevisits:index"), make)


@pytest.fixture
def trip(world):
    trip = TripFactory(leader=world["visitor"], status=Trip.Status.TRAVELLING)
    TripStopFactory(trip=trip, position=1, province="湖北省", prefecture="黄冈市")
    return trip


def _planned(world, trip, *, guardians=False):
    def make(n):
        students = StudentFactory.create_batch(n, class_group=world.class_a)
        for s in students:
            GuardianFactory(student=s, name=f"家长{s.pk}")
            plan(trip, s, reasons=["first_year"])
        shown = [s.name for s in students]
        return shown + [f"家长{s.pk}" for s in students] if guardians else shown

    return make


@pytest.mark.parametrize("persona", ["visitor", "aidofficer"])
def test_a_trip_page_is_bounded(world, client_for, trip, persona):
    url = reverse("homevisits:trip_detail", args=[trip.pk])
    assert_bounded(client_for(world[persona]), url, _planned(world, trip))


def test_the_itinerary_is_bounded(world, client_for, trip):
    url = reverse("homevisits:itinerary", args=[trip.pk])
    assert_bounded(client_for(world["visitor"]), url, _planned(world, trip, guardians=True))


def test_the_candidates_are_bounded(world, client_for, trip):
    def make(n):
        students = StudentFactory.create_batch(n, class_group=world.class_a, hometown_prefecture="黄冈市")
        return [s.name for s in students[: max(1, n - 10)]]

    # Priority reasons come from six sources (first year, identification, five-aid, the counselling centre's
    # visit recommendations, mid-year hardship, other trips): one query each, so 20 rather than 15.
    # Candidates are listed while the trip is approved (students are chosen then).
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.APPROVED)
    url = reverse("homevisits:trip_candidates", args=[trip.pk])
    assert_bounded(client_for(world["visitor"]), url, make, budget=20)


def _records(world, trip):
    def make(n):
        students = StudentFactory.create_batch(n, class_group=world.class_a)
        for s in students:
            plan(trip, s)
            record = VisitRecord.objects.create(
                trip=trip,
                student=s,
                visited_on=timezone.localdate(),
                needs=["financial"],
                idempotency_key=uuid.uuid4(),
                created_by=world["visitor"],
            )
            FollowUp.objects.create(
                record=record,
                kind=FollowUp.Kind.TASK,
                title=f"跟进 {s.name}",
                owner=world["visitor"],
                due_on=timezone.localdate() + timedelta(days=7),
                created_by=world["visitor"],
            )
        return [s.name for s in students]

    return make


@pytest.mark.parametrize("persona", ["visitor", "aidofficer"])
def test_the_trip_report_is_bounded(world, client_for, trip, persona):
    url = reverse("homevisits:trip_report", args=[trip.pk])
    assert_bounded(client_for(world[persona]), url, _records(world, trip))


def test_my_follow_ups_are_bounded(world, client_for, trip):
    make = _records(world, trip)

    def titles(n):
        return [f"跟进 {name}" for name in make(n)]

    assert_bounded(client_for(world["visitor"]), reverse("homevisits:my_follow_ups"), titles)


def test_the_year_dashboard_is_bounded(world, client_for, trip):
    make = _records(world, trip)

    def provinces(n):
        make(n)
        return ["湖北省"]

    assert_bounded(client_for(world["aidofficer"]), reverse("homevisits:dashboard"), provinces)


@pytest.mark.parametrize("persona", ["station", "aidofficer"])
def test_the_guardian_contact_log_is_bounded(world, client_for, persona):
    def make(n):
        start = GuardianContact.objects.count()
        contacts = [
            GuardianContact.objects.create(
                student=world.student_a,
                kind=GuardianContact.Kind.CALL,
                contacted_on=timezone.localdate() - timedelta(days=i),
                by=world[persona],
                summary=f"电话 {i}",
                side=GuardianContact.Side.COUNSELLING if persona == "station" else GuardianContact.Side.AID,
            )
            for i in range(start, start + n)
        ]
        return [c.summary for c in contacts]

    url = reverse("homevisits:guardian_contacts", args=[world.student_a.pk])
    assert_bounded(client_for(world[persona]), url, make)


def test_the_trip_list_comes_in_pages_of_50_with_the_total(world, client_for):
    pks = _trips(world, shown="pk")(51)
    client = client_for(world["visitor"])
    first = client.get(reverse("homevisits:trip_list"))
    assert len(first.context["page"]) == 50
    assert "51 in total" in first.content.decode() and "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("homevisits:trip_list"), {"page": 2}).content.decode()
    assert sum(f'href="{reverse("homevisits:trip_detail", args=[pk])}"' in second for pk in pks) == 1
