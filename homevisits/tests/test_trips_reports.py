"""Itinerary content, report numbers and XLSX, reminders at the right times and never twice, bad input."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from homevisits import services
from homevisits.models import Expense, FollowUp, Trip, VisitRecord
from homevisits.tests.factories import TripFactory, TripStopFactory, plan
from portal.models import Reminder
from portal.tests.pdfs import clean_pdf
from portal.tests.shown_words import workbook_faults

pytestmark = pytest.mark.django_db


def _record(trip, student, *, outcome="visited", needs=(), reason=""):
    import uuid

    return VisitRecord.objects.create(
        trip=trip,
        student=student,
        outcome=outcome,
        not_reached_reason=reason,
        visited_on=trip.starts_on,
        needs=list(needs),
        idempotency_key=uuid.uuid4(),
        created_by=trip.leader,
    )


def test_itinerary_shows_stops_students_guardian_phones_and_addresses(world, client_for):
    trip = TripFactory(leader=world["visitor"], status=Trip.Status.APPROVED)  # guardians open from approval on
    stop = TripStopFactory(trip=trip, position=1, county="红安县")
    world.student_a.hometown_address = "七里坪镇 长胜街 8号"
    world.student_a.save(update_fields=["hometown_address"])
    plan(trip, world.student_a, stop=stop, reasons=["minority_first_year"])
    guardian = world.student_a.guardians.first()
    body = client_for(world["visitor"]).get(reverse("homevisits:itinerary", args=[trip.pk])).content.decode()
    assert "红安县" in body and "七里坪镇 长胜街 8号" in body
    assert guardian.name in body and guardian.phone in body
    assert "minority first-year" in body
    assert "css/homevisits.css" in body


def test_report_numbers_and_xlsx(world, client_for):
    trip = TripFactory(leader=world["visitor"], budget=Decimal("1000.00"), status=Trip.Status.REPORTING)
    stop = TripStopFactory(trip=trip, position=1)
    for s in (world.student_a, world.roommate_a, world.student_b):
        plan(trip, s, stop=stop)
    rec = _record(trip, world.student_a, needs=["financial", "health"])
    _record(trip, world.roommate_a, outcome="not_reached", reason="family away for harvest")
    FollowUp.objects.create(
        record=rec,
        kind="task",
        title="Call back",
        owner=world["visitor"],
        due_on=date.today(),
        created_by=world["visitor"],
    )
    Expense.objects.create(
        trip=trip, spent_on=trip.starts_on, category="交通", amount=Decimal("250.50"), created_by=world["visitor"]
    )
    client = client_for(world["visitor"])
    body = client.get(reverse("homevisits:trip_report", args=[trip.pk])).content.decode()
    assert 'data-testid="n-planned">3<' in body and 'data-testid="n-visited">1<' in body
    assert 'data-testid="n-not-reached">1<' in body and "family away for harvest" in body
    assert 'data-testid="spent">250.50<' in body and "financial: 1" in body
    response = client.get(reverse("homevisits:trip_report_xlsx", args=[trip.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert summary["Planned students"] == 3 and summary["Visited"] == 1 and summary["Not reached"] == 1
    assert Decimal(str(summary["Spent (yuan)"])) == Decimal("250.50")
    assert wb.worksheets[2].max_row == 2  # header + one follow-up
    # People by name, codes by label (portal.kernel.display).
    owner = next(wb.worksheets[2].iter_rows(min_row=2, values_only=True))[3]
    assert owner == world["visitor"].full_name != world["visitor"].username
    assert workbook_faults(wb, language="en") == []


def test_reminders_at_the_right_times_and_never_twice(world):
    start = date(2026, 7, 10)
    trip = TripFactory(
        leader=world["aidofficer"], members=[world["visitor"]], starts_on=start, ends_on=start + timedelta(days=4)
    )
    TripStopFactory(trip=trip, position=1, planned_on=start)
    plan(trip, world.student_a)
    services.trip_approve(actor=world["aidofficer"], trip=trip)

    def keys() -> set[str]:
        return set(Reminder.objects.filter(dedupe_key__startswith="homevisits:").values_list("dedupe_key", flat=True))

    with time_machine.travel(date(2026, 7, 6), tick=False):
        services.trip_reminders_send()
    assert keys() == set()
    with time_machine.travel(date(2026, 7, 7), tick=False):
        services.trip_reminders_send()
        services.trip_reminders_send()
    assert len([k for k in keys() if ":depart:" in k]) == 2  # leader + member, once each
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.REPORTING)
    with time_machine.travel(date(2026, 7, 20), tick=False):
        services.trip_reminders_send()
    assert not [k for k in keys() if "records_due" in k]
    with time_machine.travel(date(2026, 7, 21), tick=False):
        services.trip_reminders_send()
        services.trip_reminders_send()
    assert len([k for k in keys() if "records_due" in k]) == 2
    assert not [k for k in keys() if "report_due" in k]
    with time_machine.travel(date(2026, 7, 28), tick=False):
        from homevisits.tasks import trip_reminders_send

        trip_reminders_send()
        trip_reminders_send()
    assert len([k for k in keys() if "report_due" in k]) == 1
    count = Reminder.objects.filter(dedupe_key__startswith="homevisits:").count()
    with time_machine.travel(date(2026, 7, 29), tick=False):
        services.trip_reminders_send()
    assert Reminder.objects.filter(dedupe_key__startswith="homevisits:").count() == count


NUL = "bad\x00text"
HUGE = "x" * 100_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"starts_on": "2026-08-10", "ends_on": "2026-08-01"}, b"must not be before"),
        ({"budget": "-1"}, b"greater than or equal to 0"),
        ({"title": HUGE}, b"at most 200 characters"),
        ({"title": NUL}, b"control characters"),
        ({"briefing": HUGE}, b"at most 20000"),
    ],
)
def test_trip_form_bad_input(world, client_for, data, message):
    base = {
        "year": 2026,
        "title": "T",
        "regions": "R",
        "leader": world["aidofficer"].pk,
        "starts_on": "2026-08-01",
        "ends_on": "2026-08-05",
        "budget": "100",
    }
    response = client_for(world["aidofficer"]).post(reverse("homevisits:trip_create"), {**base, **data})
    assert response.status_code == 400
    assert message in response.content.replace(b"&quot;", b'"').replace(b",", b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-5"}, b"greater than or equal to 0.01"),
        ({"amount": "0"}, b"greater than or equal to 0.01"),
        ({"note": HUGE}, b"at most 200 characters"),
        ({"category": NUL}, b"control characters"),
    ],
)
def test_expense_form_bad_input(world, client_for, data, message):
    trip = TripFactory(leader=world["visitor"])
    base = {"spent_on": "2026-08-01", "category": "交通", "amount": "10"}
    response = client_for(world["visitor"]).post(reverse("homevisits:expense_add", args=[trip.pk]), {**base, **data})
    assert response.status_code == 400
    assert message in response.content


def test_receipt_checked_by_content(world, client_for):
    trip = TripFactory(leader=world["visitor"])
    fake = SimpleUploadedFile("r.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client_for(world["visitor"]).post(
        reverse("homevisits:expense_add", args=[trip.pk]),
        {"spent_on": "2026-08-01", "category": "c", "amount": "1", "receipt": fake},
    )
    assert response.status_code == 400 and b"Only PDF, JPEG and PNG" in response.content
    pdf = SimpleUploadedFile("r.pdf", clean_pdf(), content_type="application/pdf")
    client_for(world["visitor"]).post(
        reverse("homevisits:expense_add", args=[trip.pk]),
        {"spent_on": "2026-08-01", "category": "c", "amount": "1", "receipt": pdf},
    )
    assert Expense.objects.filter(trip=trip).exclude(receipt="").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"summary": HUGE}, b"at most 5000"),
        ({"summary": NUL}, b"control characters"),
        ({"contacted_on": "2999-01-01"}, b"cannot be in the future"),
    ],
)
def test_guardian_form_bad_input(world, client_for, data, message):
    base = {"kind": "call", "contacted_on": "2026-01-01", "summary": "ok"}
    url = reverse("homevisits:guardian_contacts", args=[world.student_a.pk])
    response = client_for(world["counselor"]).post(url, {**base, **data})
    assert response.status_code == 400
    assert message in response.content.replace(b",", b"")


def test_stop_outside_dates_is_a_message(world, client_for):
    trip = TripFactory(leader=world["visitor"])
    response = client_for(world["visitor"]).post(
        reverse("homevisits:stop_add", args=[trip.pk]),
        {"province": "湖北省", "planned_on": str(trip.ends_on + timedelta(days=3))},
    )
    assert response.status_code == 400 and b"within the trip" in response.content


def test_demo_is_idempotent(db):
    from homevisits.demo import past_trip
    from portal.demo import seed_demo

    seed_demo()
    first = Trip.objects.count()
    seed_demo()
    assert Trip.objects.count() == first == 2
    assert past_trip().members.filter(username="visitor").exists()
