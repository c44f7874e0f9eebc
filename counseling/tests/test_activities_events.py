"""Events: audience rules, the sign-up window, capacity and the waitlist, check-in by list and by code,
cancelling, the day-before reminder, and bad input on the event form."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, services
from counseling.models import Event, EventSignup
from counseling.services.activities import EventData
from portal import access
from portal.models import Reminder
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def make_event(actor, *, audience=Event.Audience.ALL, colleges=(), years=(), invited=(), capacity=5, **times):
    now = timezone.now()
    data = EventData(
        title=times.pop("title", "压力管理工作坊"),
        kind=Event.Kind.GROUP,
        description="",
        audience=audience,
        colleges=list(colleges),
        enrolment_years=list(years),
        invited=list(invited),
        place="团辅室",
        starts_at=times.get("starts_at", now + timedelta(days=3)),
        ends_at=times.get("ends_at", now + timedelta(days=3, hours=2)),
        capacity=capacity,
        signup_opens_at=times.get("signup_opens_at", now - timedelta(hours=1)),
        signup_closes_at=times.get("signup_closes_at", now + timedelta(days=2)),
    )
    return services.event_create(actor=actor, data=data)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


# --- Audience -----------------------------------------------------------------------------------------


def test_a_college_b_student_does_not_see_a_college_a_event_and_cannot_sign_up_by_url(world, client_for):
    event = make_event(world["station"], audience=Event.Audience.COLLEGES, colleges=[world.college_a])
    assert event in selectors.events_for_student(world.student_a)
    assert event not in selectors.events_for_student(world.student_b)
    client = client_for(world.student_b.user)
    assert client.get(reverse("counseling:event_detail", args=[event.pk])).status_code == 404
    assert client.post(reverse("counseling:event_signup", args=[event.pk])).status_code == 404
    assert not EventSignup.objects.filter(event=event).exists()
    page = client.get(reverse("counseling:event_list"))
    assert event.title not in page.content.decode()


def test_year_and_invited_audiences(world):
    year_event = make_event(world["counselor"], audience=Event.Audience.YEARS, years=[2024])
    other_year = StudentFactory(class_group__enrolment_year=2023, class_group__college=world.college_a)
    assert year_event in selectors.events_for_student(world.student_a)
    assert year_event not in selectors.events_for_student(other_year)
    invited = make_event(world["counselor"], audience=Event.Audience.INVITED, invited=[world.roommate_a])
    assert invited in selectors.events_for_student(world.roommate_a)
    assert invited not in selectors.events_for_student(world.student_a)
    assert list(access.visible(world.student_a.user, Event).filter(pk=invited.pk)) == []


def test_the_student_list_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(15):
        make_event(world["counselor"], title=f"活动{i}", audience=Event.Audience.COLLEGES, colleges=[world.college_a])
    # The events of the student's enrolment year, then the list itself.
    with django_assert_max_num_queries(2):
        events = list(selectors.events_for_student(world.student_a))
    assert len(events) == 15


def test_a_station_may_only_address_its_own_college(world):
    with pytest.raises(services.DomainError, match="own college"):
        make_event(world["station"], audience=Event.Audience.ALL)
    with pytest.raises(services.DomainError, match="own college"):
        make_event(world["station"], audience=Event.Audience.COLLEGES, colleges=[world.college_b])
    with pytest.raises(services.DomainError, match="own college"):
        make_event(world["station"], audience=Event.Audience.INVITED, invited=[world.student_b])
    ok = make_event(world["station"], audience=Event.Audience.INVITED, invited=[world.student_a])
    assert access.can(world["station"], "manage", ok)
    assert not access.can(world["station_b"], "manage", ok)
    centre_event = make_event(world["counselor"])
    assert not access.can(world["station"], "manage", centre_event)


# --- Window, capacity, waitlist --------------------------------------------------------------------------


def test_sign_up_only_within_the_window(world):
    now = timezone.now()
    early = make_event(
        world["counselor"], signup_opens_at=now + timedelta(hours=1), signup_closes_at=now + timedelta(days=1)
    )
    with pytest.raises(services.DomainError, match="not opened"):
        services.event_signup(student=world.student_a, event=early)
    with time_machine.travel(now + timedelta(days=1, minutes=1)):
        with pytest.raises(services.DomainError, match="closed"):
            services.event_signup(student=world.student_a, event=early)
        with pytest.raises(services.DomainError, match="closed"):
            services.event_signup_cancel(student=world.student_a, event=early)
    with time_machine.travel(now + timedelta(hours=2)):
        assert services.event_signup(student=world.student_a, event=early).status == EventSignup.Status.SIGNED_UP


def test_full_event_waitlists_and_a_cancellation_promotes_the_first_in_line(world):
    event = make_event(world["counselor"], capacity=2)
    students = [world.student_a, world.roommate_a, world.student_b, StudentFactory()]
    statuses = [services.event_signup(student=s, event=event).status for s in students]
    assert statuses == ["signed_up", "signed_up", "waitlisted", "waitlisted"]
    with pytest.raises(services.DomainError, match="already"):
        services.event_signup(student=world.student_a, event=event)

    services.event_signup_cancel(student=world.roommate_a, event=event)
    status = dict(EventSignup.objects.filter(event=event).values_list("student_id", "status"))
    assert status[world.student_b.pk] == "signed_up"  # first in line moved up
    assert status[students[3].pk] == "waitlisted"
    assert status[world.roommate_a.pk] == "cancelled"
    told = Reminder.objects.filter(recipient=world.student_b.user, subject__startswith="You have a place")
    assert told.count() == 1

    # Cancelling a waitlisted place promotes nobody; signing up again goes to the end of the line.
    services.event_signup(student=world.roommate_a, event=event)
    assert EventSignup.objects.get(event=event, student=world.roommate_a).status == "waitlisted"


def test_raising_the_capacity_moves_the_waitlist_up_and_lowering_below_the_seats_is_refused(world):
    event = make_event(world["counselor"], capacity=1)
    services.event_signup(student=world.student_a, event=event)
    services.event_signup(student=world.roommate_a, event=event)
    data = _data_of(event, capacity=2)
    services.event_update(actor=world["counselor"], event=event, data=data)
    assert EventSignup.objects.get(event=event, student=world.roommate_a).status == "signed_up"
    with pytest.raises(services.DomainError, match="cannot be lower"):
        services.event_update(actor=world["counselor"], event=event, data=_data_of(event, capacity=1))


def _data_of(event, **changes):
    event.refresh_from_db()
    fields = {
        "title": event.title,
        "kind": event.kind,
        "description": event.description,
        "audience": event.audience,
        "colleges": list(event.colleges.all()),
        "enrolment_years": event.enrolment_years,
        "invited": list(event.invited.all()),
        "place": event.place,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "capacity": event.capacity,
        "signup_opens_at": event.signup_opens_at,
        "signup_closes_at": event.signup_closes_at,
    }
    return EventData(**(fields | changes))


def test_cancelling_the_event_tells_everyone_and_stops_sign_ups(world, client_for):
    event = make_event(world["counselor"], capacity=1)
    services.event_signup(student=world.student_a, event=event)
    services.event_signup(student=world.roommate_a, event=event)
    response = client_for(world["counselor"]).post(reverse("counseling:event_cancel", args=[event.pk]))
    assert response.status_code == 302
    assert Reminder.objects.filter(subject__startswith="Event cancelled").count() == 2
    with pytest.raises(services.DomainError, match="cancelled"):
        services.event_signup(student=world.student_b, event=event)


# --- Views of the student ---------------------------------------------------------------------------------


def test_student_signs_up_and_cancels_through_the_pages(world, client_for):
    event = make_event(world["counselor"], capacity=1)
    services.event_signup(student=world.roommate_a, event=event)
    client = client_for(world["student"])
    page = client.get(reverse("counseling:event_detail", args=[event.pk]))
    assert "Join the waitlist" in page.content.decode()
    response = client.post(reverse("counseling:event_signup", args=[event.pk]), follow=True)
    assert "you are on the waitlist" in response.content.decode()
    response = client.post(reverse("counseling:event_signup_cancel", args=[event.pk]), follow=True)
    assert "Your sign-up is cancelled." in response.content.decode()
    response = client.post(reverse("counseling:event_signup_cancel", args=[event.pk]), follow=True)
    assert "You are not signed up" in response.content.decode()
    # Staff cannot sign up: visible to them, but not theirs to do.
    assert client_for(world["counselor"]).post(reverse("counseling:event_signup", args=[event.pk])).status_code == 403


# --- Check-in --------------------------------------------------------------------------------------------


def test_check_in_by_code_only_for_students_with_a_place_and_only_near_the_event(world, client_for):
    event = make_event(world["counselor"], capacity=1)
    services.event_signup(student=world.student_a, event=event)
    services.event_signup(student=world.roommate_a, event=event)  # waitlisted
    code_url = reverse("counseling:event_checkin_code", args=[event.pk])
    client = client_for(world["student"])

    response = client.post(code_url, {"code": event.checkin_code}, follow=True)
    assert "from an hour before the event" in response.content.decode()  # too early
    with time_machine.travel(event.starts_at - timedelta(minutes=30)):
        client = client_for(world["student"])  # signed in again: the session of three days ago has expired
        response = client.post(code_url, {"code": "WRONG1"}, follow=True)
        assert "That code is not right" in response.content.decode()
        response = client.post(code_url, {"code": ""}, follow=True)
        assert "Enter the code" in response.content.decode()
        response = client.post(code_url, {"code": event.checkin_code.lower()}, follow=True)
        assert "You are checked in" in response.content.decode()
        assert EventSignup.objects.get(event=event, student=world.student_a).status == "attended"

        roommate = client_for(world.roommate_a.user)
        response = roommate.post(code_url, {"code": event.checkin_code}, follow=True)
        assert "Only students with a place" in response.content.decode()
    with time_machine.travel(event.ends_at + timedelta(minutes=61)):
        response = client_for(world.roommate_a.user).post(code_url, {"code": event.checkin_code}, follow=True)
        assert "from an hour before the event" in response.content.decode()


def test_wrong_codes_are_throttled(world, client_for):
    event = make_event(world["counselor"])
    services.event_signup(student=world.student_a, event=event)
    client = client_for(world["student"])
    url = reverse("counseling:event_checkin_code", args=[event.pk])
    with time_machine.travel(event.starts_at):
        client = client_for(world["student"])
        for _ in range(10):
            client.post(url, {"code": "AAAAAA"})
        response = client.post(url, {"code": event.checkin_code}, follow=True)
    assert "Too many wrong codes" in response.content.decode()
    assert EventSignup.objects.get(event=event, student=world.student_a).status == "signed_up"


def test_staff_check_in_list_search_walk_ins_and_undo_with_htmx(world, client_for):
    event = make_event(world["station"], audience=Event.Audience.COLLEGES, colleges=[world.college_a])
    services.event_signup(student=world.student_a, event=event)
    client = client_for(world["station"])
    list_url = reverse("counseling:event_checkin", args=[event.pk])
    page = client.get(list_url)
    assert page.status_code == 200 and world.student_a.name in page.content.decode()
    assert event.checkin_code in page.content.decode()

    # Search by 学号 with htmx: the rows only; the roommate (not signed up) shows as a walk-in.
    rows = client.get(list_url, {"q": world.roommate_a.name[:2]}, headers={"HX-Request": "true"})
    assert "<html" not in rows.content.decode()
    assert world.roommate_a.name in rows.content.decode()
    outside = client.get(list_url, {"q": world.student_b.name}, headers={"HX-Request": "true"})
    assert world.student_b.name not in outside.content.decode()

    mark = reverse("counseling:event_checkin_mark", args=[event.pk, world.student_a.pk])
    early = client.post(mark, headers={"HX-Request": "true"})
    assert "Check-in opens an hour before" in early.content.decode()
    with time_machine.travel(event.starts_at):
        client = client_for(world["station"])
        row = client.post(mark, headers={"HX-Request": "true"})
        assert "checked in" in row.content.decode() and "<html" not in row.content.decode()
        walk_in = reverse("counseling:event_checkin_mark", args=[event.pk, world.roommate_a.pk])
        assert client.post(walk_in).status_code == 302
        # A student outside the audience is not on this list: 404.
        outsider = reverse("counseling:event_checkin_mark", args=[event.pk, world.student_b.pk])
        assert client.post(outsider).status_code == 404
        undo = reverse("counseling:event_checkin_undo", args=[event.pk, world.student_a.pk])
        assert client.post(undo, headers={"HX-Request": "true"}).status_code == 200
    status = dict(EventSignup.objects.filter(event=event).values_list("student_id", "status"))
    assert status == {world.student_a.pk: "signed_up", world.roommate_a.pk: "attended"}
    # Another college's station may not run this check-in.
    assert client_for(world["station_b"]).get(list_url).status_code == 404


# --- Reminders -------------------------------------------------------------------------------------------


def test_the_day_before_reminder_goes_once_to_students_with_a_place(world):
    event = make_event(world["counselor"], capacity=1)
    services.event_signup(student=world.student_a, event=event)
    services.event_signup(student=world.roommate_a, event=event)  # waitlisted: no reminder
    assert services.events_remind_upcoming() == 0  # three days ahead
    with time_machine.travel(event.starts_at - timedelta(hours=20)):
        from counseling.tasks.activities import remind_upcoming_events

        assert remind_upcoming_events() == 1
        assert remind_upcoming_events() == 0
    reminders = Reminder.objects.filter(subject__startswith="Reminder:")
    assert [r.recipient_id for r in reminders] == [world.student_a.user_id]


# --- Bad input on the form -------------------------------------------------------------------------------

GOOD = {
    "title": "团体辅导",
    "kind": "group",
    "description": "",
    "place": "团辅室",
    "starts_at": "2031-05-20T14:00",
    "ends_at": "2031-05-20T16:00",
    "capacity": "20",
    "signup_opens_at": "2031-05-01T08:00",
    "signup_closes_at": "2031-05-19T20:00",
    "audience": "all",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity": "0"}, "greater than or equal to 1"),
        ({"capacity": "-1"}, "greater than or equal to 1"),
        ({"capacity": "abc"}, "Enter a whole number"),
        ({"ends_at": "2031-05-20T13:00"}, "must end after it starts"),
        ({"signup_closes_at": "2031-04-01T08:00"}, "must close after it opens"),
        ({"signup_closes_at": "2031-05-21T08:00"}, "must close before the event ends"),
        ({"title": "长" * 100_000}, "at most 200 characters"),
        ({"title": "a\x00b"}, "Null characters are not allowed"),
        ({"place": "x\x01y"}, "control characters"),
        ({"starts_at": "not a date"}, "Enter a valid date/time"),
        ({"audience": "colleges"}, "Choose at least one college"),
        ({"audience": "years", "enrolment_years": "24"}, "four-digit years"),
        ({"audience": "invited", "invited": "nobody-999"}, "Not found among the students"),
        ({"kind": "party"}, "Select a valid choice"),
    ],
)
def test_bad_event_input_comes_back_as_a_message(world, client_for, change, message):
    response = client_for(world["counselor"]).post(reverse("counseling:event_new"), GOOD | change)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Event.objects.exists()


def test_a_good_event_form_creates_and_edits(world, client_for):
    client = client_for(world["counselor"])
    response = client.post(reverse("counseling:event_new"), GOOD)
    event = Event.objects.get()
    assert response.status_code == 302 and len(event.checkin_code) == 6
    edit = reverse("counseling:event_edit", args=[event.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, GOOD | {"capacity": "-1"}).status_code == 200
    assert client.post(edit, GOOD | {"capacity": "30"}).status_code == 302
    event.refresh_from_db()
    assert event.capacity == 30
    # A station cannot pick another college, even by a forged POST.
    station = client_for(world["station"])
    forged = station.post(
        reverse("counseling:event_new"), GOOD | {"audience": "colleges", "colleges": [world.college_b.pk]}
    )
    assert "Select a valid choice" in forged.content.decode()
    everyone = station.post(reverse("counseling:event_new"), GOOD)
    assert "own college" in everyone.content.decode()
