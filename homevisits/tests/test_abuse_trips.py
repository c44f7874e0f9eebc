"""Attacker stories for trips (issue 13, finding 2: "home-visit self-escalation").

A hostile home-visit team member created a trip nobody approved, gave it a stop per province, and read every
student's priority reasons (including "on the care list") and their guardians' phones. Each test below is
one way in, tried on real PostgreSQL through the views (and the services where a view is not the only door).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from counseling.models import VisitRecommendation
from counseling.tests.factories import open_case
from homevisits import services
from homevisits.access import may_create_trip
from homevisits.models import Trip, TripStudent
from homevisits.services.trips import TripDetails
from homevisits.tests.factories import TripFactory, TripStopFactory, plan
from portal.models import Role, Setting
from portal.services import DomainError
from portal.tests.factories import GuardianFactory, StaffFactory, StudentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

FAR_PROVINCE = "新疆维吾尔自治区"
FAR_NAME = "远方·学生"
FAR_PHONE = "13712345678"
NEAR_PHONE = "13698765432"
SECRET_REASON = "自述有自伤念头，母亲住院"  # what only counsellors may read


@pytest.fixture
def people(world):
    """A student on the route (湖北 黄冈, with a guardian) and one from another province."""
    near = world.student_a
    GuardianFactory(student=near, name="近处家长", phone=NEAR_PHONE)
    far = StudentFactory(
        name=FAR_NAME,
        class_group=world.class_b,
        hometown_province=FAR_PROVINCE,
        hometown_prefecture="喀什地区",
        hometown_county="",
    )
    GuardianFactory(student=far, name="远方家长", phone=FAR_PHONE)
    return near, far


@pytest.fixture
def trip(world):
    """A trip the visitor leads, drafted with one stop in 湖北 黄冈, not yet approved."""
    trip = TripFactory(leader=world["visitor"], title="黄冈家访")
    TripStopFactory(trip=trip, position=1, province="湖北省", prefecture="黄冈市")
    return trip


def _details(leader, **over) -> TripDetails:
    from datetime import date
    from decimal import Decimal

    start = date.today() + timedelta(days=20)
    base = {
        "year": start.year,
        "title": "自建家访团",
        "regions": "全国",
        "leader": leader,
        "members": [],
        "starts_on": start,
        "ends_on": start + timedelta(days=3),
        "budget": Decimal("100.00"),
    }
    return TripDetails(**{**base, **over})


def _trip_form(leader_pk: int | None = None) -> dict:
    from datetime import date

    start = date.today() + timedelta(days=20)
    data = {
        "year": start.year,
        "title": "自建家访团",
        "regions": "全国",
        "starts_on": str(start),
        "ends_on": str(start + timedelta(days=3)),
        "budget": "100",
    }
    if leader_pk:
        data["leader"] = leader_pk
    return data


# --- 1. Creating a trip ------------------------------------------------------------------------------------------


def test_a_team_member_without_the_creator_role_cannot_create_a_trip(world, client_for):
    visitor = world["visitor"]
    client = client_for(visitor)
    assert client.get(reverse("homevisits:trip_create")).status_code == 403
    assert client.post(reverse("homevisits:trip_create"), _trip_form()).status_code == 403
    with pytest.raises(DomainError):
        services.trip_create(actor=visitor, details=_details(visitor))
    assert not Trip.objects.exists()
    # The list and the home page do not offer the button either.
    assert reverse("homevisits:trip_create").encode() not in client.get(reverse("homevisits:trip_list")).content


def test_the_office_creates_trips_and_may_name_visit_team_leads_as_creators(world, client_for):
    assert may_create_trip(world["aidofficer"]) and may_create_trip(world["admin"])
    lead = StaffFactory(user=UserFactory(username="lead"), name="lead").user
    assignment = grant(lead, Role.VISIT_TEAM)
    assignment.is_lead = True
    assignment.save(update_fields=["is_lead"])
    assert not may_create_trip(lead)  # by default only the office
    Setting.objects.create(key="homevisits.trip_creator_roles", value=["aid_officer", "visit_team_lead"])
    from portal import config

    config.clear_cache()
    assert may_create_trip(lead)
    assert not may_create_trip(world["visitor"])  # a member who is not a lead still cannot
    response = client_for(lead).post(reverse("homevisits:trip_create"), _trip_form())
    assert response.status_code == 302
    created = Trip.objects.get()
    assert created.leader == lead and created.status == Trip.Status.PLANNING


def test_a_student_role_in_the_setting_never_makes_students_creators(world):
    Setting.objects.create(key="homevisits.trip_creator_roles", value=["student", "aid_officer"])
    assert not may_create_trip(world["student"])


# --- 2. A planning trip opens no student data ----------------------------------------------------------------


def test_a_planning_trip_shows_no_candidates_reasons_or_guardians(world, client_for, trip, people):
    near, far = people
    VisitRecommendation.objects.create(student=near, reason=SECRET_REASON, set_by=world["counselor"])
    client = client_for(world["visitor"])
    candidates = client.get(reverse("homevisits:trip_candidates", args=[trip.pk]))
    assert candidates.status_code == 403
    for name in ("trip_detail", "itinerary", "trip_report"):
        body = client.get(reverse(f"homevisits:{name}", args=[trip.pk])).content.decode()
        for secret in (near.name, far.name, NEAR_PHONE, FAR_PHONE, "recommended for a visit", SECRET_REASON):
            assert secret not in body, (name, secret)
    assert client.get(reverse("homevisits:guardian_contacts", args=[near.pk])).status_code == 404


def test_adding_a_student_to_a_planning_trip_is_refused(world, client_for, trip, people):
    near, _far = people
    stop = trip.stops.get()
    response = client_for(world["visitor"]).post(
        reverse("homevisits:trip_student_add", args=[trip.pk]), {"student": near.pk, "stop": stop.pk}
    )
    assert response.status_code == 403
    with pytest.raises(DomainError):
        services.trip_student_add(actor=world["visitor"], stop=stop, student=near)
    assert not TripStudent.objects.exists()


def test_students_planned_before_a_trip_went_back_to_planning_are_hidden_again(world, client_for, trip, people):
    near, _far = people
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    services.trip_student_add(actor=world["visitor"], stop=trip.stops.get(), student=near)
    services.trip_return_to_planning(actor=world["aidofficer"], trip=trip)
    client = client_for(world["visitor"])
    for name in ("trip_detail", "itinerary", "trip_report"):
        body = client.get(reverse(f"homevisits:{name}", args=[trip.pk])).content.decode()
        assert near.name not in body and NEAR_PHONE not in body, name
    assert client.get(reverse("homevisits:guardian_contacts", args=[near.pk])).status_code == 404
    # The office keeps what it needs to decide: the planned students, and a read-only preview of candidates.
    office = client_for(world["aidofficer"])
    assert near.name in office.get(reverse("homevisits:trip_detail", args=[trip.pk])).content.decode()
    preview = office.get(reverse("homevisits:trip_candidates", args=[trip.pk]))
    add_url = reverse("homevisits:trip_student_add", args=[trip.pk]).encode()
    assert preview.status_code == 200 and add_url not in preview.content


# --- 3. Candidates only from the approved stops ------------------------------------------------------------------


def test_after_approval_candidates_come_only_from_the_approved_stops(world, client_for, trip, people):
    near, far = people
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    client = client_for(world["visitor"])
    url = reverse("homevisits:trip_candidates", args=[trip.pk])
    body = client.get(url).content.decode()
    assert near.name in body and far.name not in body
    # Filters only narrow: naming the far student's college or ethnicity does not widen the route.
    for query in (
        {"college": far.college_id},
        {"ethnicity": far.ethnicity},
        {"enrolment_year": far.enrolment_year},
        {"priority_only": "on"},
    ):
        assert far.name not in client.get(url, query).content.decode(), query
    # A crafted POST with the far student's id is refused, by the view and by the service.
    stop = trip.stops.get()
    client.post(reverse("homevisits:trip_student_add", args=[trip.pk]), {"student": far.pk, "stop": stop.pk})
    with pytest.raises(DomainError):
        services.trip_student_add(actor=world["visitor"], stop=stop, student=far)
    assert not TripStudent.objects.filter(student=far).exists()


def test_a_stop_added_after_approval_cannot_widen_the_route(world, client_for, trip, people):
    _near, far = people
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    client = client_for(world["visitor"])
    client.post(
        reverse("homevisits:stop_add", args=[trip.pk]),
        {"province": FAR_PROVINCE, "prefecture": "喀什地区", "planned_on": str(trip.starts_on)},
    )
    with pytest.raises(DomainError):
        services.stop_add(actor=world["visitor"], trip=trip, province=FAR_PROVINCE, planned_on=trip.starts_on)
    assert list(trip.stops.values_list("province", flat=True)) == ["湖北省"]
    assert far.name not in client.get(reverse("homevisits:trip_candidates", args=[trip.pk])).content.decode()
    # Nor can an approved stop be swapped: removing one is refused too.
    with pytest.raises(DomainError):
        services.stop_remove(actor=world["visitor"], stop=trip.stops.get())


def test_an_unknown_or_graduated_student_id_gets_the_same_answer(world, client_for, trip, people):
    from portal.models import Student

    services.trip_approve(actor=world["aidofficer"], trip=trip)
    graduated = StudentFactory(class_group=world.class_a, status=Student.Status.GRADUATED)
    stop = trip.stops.get()
    client = client_for(world["visitor"])
    url = reverse("homevisits:trip_student_add", args=[trip.pk])
    answers = [
        client.post(url, {"student": sid, "stop": stop.pk}, follow=True).content.decode().count("not on the trip")
        for sid in (graduated.pk, people[1].pk, 999_999_999)
    ]
    assert answers == [1, 1, 1]
    assert not TripStudent.objects.exists()


# --- 4. Guardian phones follow the trip's status ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Trip.Status.PLANNING, False),
        (Trip.Status.APPROVED, True),
        (Trip.Status.TRAVELLING, True),
        (Trip.Status.REPORTING, True),
        (Trip.Status.CLOSED, False),
    ],
)
def test_guardian_phones_are_open_from_approval_until_the_trip_closes(world, client_for, trip, people, status, shown):
    near, _far = people
    plan(trip, near)
    Trip.objects.filter(pk=trip.pk).update(status=status)
    client = client_for(world["visitor"])
    itinerary = client.get(reverse("homevisits:itinerary", args=[trip.pk])).content.decode()
    log = client.get(reverse("homevisits:guardian_contacts", args=[near.pk]))
    assert (NEAR_PHONE in itinerary) is shown
    assert log.status_code == (200 if shown else 404)
    if shown:
        assert NEAR_PHONE in log.content.decode()


def test_a_member_sees_no_guardian_of_a_student_on_someone_elses_trip(world, client_for, people):
    near, _far = people
    other = TripFactory(leader=world["aidofficer"], status=Trip.Status.TRAVELLING)
    plan(other, near)
    assert client_for(world["visitor"]).get(reverse("homevisits:guardian_contacts", args=[near.pk])).status_code == 404


# --- 5. Priority reasons never carry counselling information --------------------------------------------------


def test_the_care_list_never_shows_and_a_recommendation_shows_only_as_such(world, client_for, trip, people):
    near = people[0]
    on_list = world.roommate_a  # on the care list through an open case, not recommended
    open_case(student=on_list, level_signs=["self_harm"])
    VisitRecommendation.objects.create(student=near, reason=SECRET_REASON, set_by=world["counselor"])
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    label = "recommended for a visit by the counselling centre"
    for persona in ("visitor", "aidofficer"):
        body = client_for(world[persona]).get(reverse("homevisits:trip_candidates", args=[trip.pk])).content.decode()
        row_near = body.split(near.name, 1)[1].split("</tr>", 1)[0]
        row_list = body.split(on_list.name, 1)[1].split("</tr>", 1)[0]
        assert label in row_near and SECRET_REASON not in body
        assert label not in row_list and "care list" not in body and "self-harm" not in body.lower(), persona
    # Planned: the stored reason code shows as the same label, on the trip page and the itinerary.
    services.trip_student_add(actor=world["visitor"], stop=trip.stops.get(), student=on_list)
    services.trip_student_add(actor=world["visitor"], stop=trip.stops.get(), student=near)
    assert TripStudent.objects.get(student=on_list).reasons == []
    assert TripStudent.objects.get(student=near).reasons == ["counselling_recommended"]
    for name in ("trip_detail", "itinerary"):
        body = client_for(world["visitor"]).get(reverse(f"homevisits:{name}", args=[trip.pk])).content.decode()
        assert body.count(label) == 1 and "care list" not in body and SECRET_REASON not in body


def test_an_old_care_list_code_stored_on_a_planned_student_never_renders(world, client_for, trip, people):
    planned = plan(trip, people[0], reasons=["care_list", "minority_first_year"])
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.TRAVELLING)
    for name in ("trip_detail", "itinerary"):
        body = client_for(world["visitor"]).get(reverse(f"homevisits:{name}", args=[trip.pk])).content.decode()
        assert "care list" not in body and "care_list" not in body and "minority first-year" in body
    # The data migration removes the stored code itself.
    from importlib import import_module

    from django.apps import apps

    import_module("homevisits.migrations.0002_drop_care_list_reason").drop_care_list(apps, None)
    planned.refresh_from_db()
    assert planned.reasons == ["minority_first_year"]


def _simple_get_urls(namespace: str) -> list[str]:
    """Every URL of a namespace that takes no arguments."""
    resolver = get_resolver()
    urls = []
    app_resolver = next(r for r in resolver.url_patterns if isinstance(r, URLResolver) and r.namespace == namespace)

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix)
            elif isinstance(p, URLPattern) and p.name and not p.pattern.regex.groups:
                urls.append(reverse(f"{namespace}:{p.name}"))

    walk(app_resolver.url_patterns)
    return urls


def test_the_reason_of_a_recommendation_appears_on_no_homevisits_or_aid_page(world, client_for, trip, people):
    near = people[0]
    VisitRecommendation.objects.create(student=near, reason=SECRET_REASON, set_by=world["counselor"])
    services.trip_approve(actor=world["aidofficer"], trip=trip)
    services.trip_student_add(actor=world["visitor"], stop=trip.stops.get(), student=near)
    with_args = [
        reverse(f"homevisits:{name}", args=[trip.pk])
        for name in ("trip_detail", "itinerary", "trip_candidates", "trip_report", "trip_report_xlsx")
    ] + [reverse("homevisits:guardian_contacts", args=[near.pk])]
    seen = 0
    for persona in ("visitor", "aidofficer", "aidreviewer"):
        client = client_for(world[persona])
        for url in [*_simple_get_urls("homevisits"), *_simple_get_urls("aid"), *with_args]:
            response = client.get(url)
            if response.status_code != 200 or getattr(response, "streaming", False):
                continue
            seen += 1
            assert SECRET_REASON.encode() not in response.content, (persona, url)
    assert seen > 10


# --- 6. After approval the team is the office's; each side's guardian-call summaries stay on that side ---------


def test_a_leader_cannot_add_a_member_to_an_approved_trip(world, trip):
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.APPROVED)
    trip.refresh_from_db()
    crony = StaffFactory(user=UserFactory(username="crony")).user
    grant(crony, Role.VISIT_TEAM)
    details = _details(world["visitor"], members=[crony], starts_on=trip.starts_on, ends_on=trip.ends_on)
    with pytest.raises(DomainError, match="only the office"):
        services.trip_update(actor=world["visitor"], trip=trip, details=details)
    assert not trip.members.filter(pk=crony.pk).exists()
    services.trip_update(actor=world["aidofficer"], trip=trip, details=details)  # the office may
    assert trip.members.filter(pk=crony.pk).exists()


def test_a_counsellors_call_summary_is_not_read_by_the_visit_team_or_aid(world, client_for, trip, people):
    near, _far = people
    plan(trip, near)
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.TRAVELLING)
    counsellor_words = "与母亲通话：学生昨晚有自伤行为，已送医"
    aid_words = "父亲失业，家庭月收入不足一千元"
    station = client_for(world["station"])
    assert (
        station.post(
            reverse("homevisits:guardian_contacts", args=[near.pk]),
            {"kind": "call", "contacted_on": str(date.today()), "summary": counsellor_words},
        ).status_code
        == 302
    )
    officer = client_for(world["aidofficer"])
    assert (
        officer.post(
            reverse("homevisits:guardian_contacts", args=[near.pk]),
            {"kind": "call", "contacted_on": str(date.today()), "summary": aid_words},
        ).status_code
        == 302
    )
    for persona in ("visitor", "aidofficer", "aidreviewer"):
        page = client_for(world[persona]).get(reverse("homevisits:guardian_contacts", args=[near.pk])).content.decode()
        assert counsellor_words not in page, persona
        assert aid_words in page, persona
        assert "Kept by the counselling staff." in page  # the contact happened; its words stay with counselling
    for persona in ("station", "counselor"):
        page = client_for(world[persona]).get(reverse("homevisits:guardian_contacts", args=[near.pk])).content.decode()
        assert counsellor_words in page and aid_words not in page, persona
    admin = client_for(world["admin"]).get(reverse("homevisits:guardian_contacts", args=[near.pk])).content.decode()
    assert counsellor_words in admin and aid_words in admin
