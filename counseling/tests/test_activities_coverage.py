"""Coverage: the share of enrolled students per college and class who attended at least one event this
academic year (from 1 September, configurable); the table, the drill-down, the XLSX, the scope."""

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from counseling import selectors
from counseling.academic_year import academic_year_of
from counseling.models import Event, EventSignup
from portal.models import Setting, Student
from portal.tests.factories import ClassGroupFactory, StudentFactory

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
TODAY = datetime(2025, 3, 10, 10, 0, tzinfo=TZ)  # academic year 2024–2025


def past_event(world, when, title="团辅"):
    return Event.objects.create(
        title=title,
        kind=Event.Kind.GROUP,
        place="团辅室",
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        capacity=100,
        signup_opens_at=when - timedelta(days=7),
        signup_closes_at=when - timedelta(days=1),
        created_by=world["counselor"],
        checkin_code="ABCDEF",
    )


def attend(event, *students, status=EventSignup.Status.ATTENDED):
    for s in students:
        EventSignup.objects.create(event=event, student=s, status=status)


@pytest.fixture
def school(world):
    """College A: class A has student_a, roommate_a, liaison, committee (4) and a second class of 2;
    college B: class B has student_b (1) and a graduate who does not count."""
    class_a2 = ClassGroupFactory(college=world.college_a, name="软件2402班")
    a2 = [StudentFactory(class_group=class_a2) for _ in range(2)]
    StudentFactory(class_group=world.class_b, status=Student.Status.GRADUATED)
    this_year = past_event(world, datetime(2024, 10, 15, 14, 0, tzinfo=TZ))
    also_this_year = past_event(world, datetime(2025, 3, 1, 14, 0, tzinfo=TZ))
    last_year = past_event(world, datetime(2024, 6, 1, 14, 0, tzinfo=TZ))
    attend(this_year, world.student_a, a2[0], world.student_b)
    attend(also_this_year, world.student_a)  # twice still counts once
    attend(last_year, world.roommate_a)  # the academic year before
    attend(also_this_year, world.roommate_a, status=EventSignup.Status.SIGNED_UP)  # signed up, did not come
    return {"class_a2": class_a2}


def test_coverage_by_college_and_class(world, school):
    with time_machine.travel(TODAY):
        year = academic_year_of(timezone.localdate())
        assert year == 2024
        rows = {r.name: (r.students, r.covered) for r in selectors.coverage_by_college(world["counselor"], year=year)}
        assert rows == {"计算机学院": (6, 2), "机电工程学院": (1, 1)}
        classes = selectors.coverage_by_class(world["counselor"], year=year, college=world.college_a)
        assert {r.name: (r.students, r.covered, r.percent) for r in classes} == {
            "软件2401班": (4, 1, "25.0%"),
            "软件2402班": (2, 1, "50.0%"),
        }
        station = {r.name for r in selectors.coverage_by_college(world["station"], year=year)}
        assert station == {"计算机学院"}


def test_the_academic_year_start_month_is_a_setting(world, school):
    Setting.objects.create(key="counseling.academic_year_start_month", value=3)
    with time_machine.travel(TODAY):
        assert academic_year_of(timezone.localdate()) == 2025
        rows = {r.name: r.covered for r in selectors.coverage_by_college(world["counselor"], year=2025)}
    assert rows == {"计算机学院": 1, "机电工程学院": 0}  # only the 1 March event is in 2025–2026


def test_coverage_queries_are_bounded(world, school, django_assert_max_num_queries):
    for _ in range(10):
        StudentFactory(class_group=ClassGroupFactory(college=world.college_b))
    user = world["counselor"]
    selectors.coverage_colleges(user)  # the user's roles are loaded once per request
    # The setting (start month), the colleges in scope, the counts, the classes: whatever the row count.
    with django_assert_max_num_queries(4):
        selectors.coverage_by_class(user, year=2024)
    with django_assert_max_num_queries(3):
        selectors.coverage_by_college(user, year=2024)


def test_coverage_pages_and_scope(world, school, client_for):
    client = client_for(world["counselor"])
    page = client.get(reverse("counseling:coverage"), {"year": 2024})
    assert page.status_code == 200
    assert "计算机学院" in page.content.decode() and "33.3%" in page.content.decode()
    drill = client.get(reverse("counseling:coverage_college", args=[world.college_a.pk]), {"year": 2024})
    assert "软件2402班" in drill.content.decode() and "50.0%" in drill.content.decode()
    assert client.get(reverse("counseling:coverage"), {"year": "abc"}).status_code == 200

    station = client_for(world["station"])
    assert "机电工程学院" not in station.get(reverse("counseling:coverage"), {"year": 2024}).content.decode()
    other = reverse("counseling:coverage_college", args=[world.college_b.pk])
    assert station.get(other).status_code == 404
    assert client_for(world["student"]).get(reverse("counseling:coverage")).status_code == 403


def test_coverage_xlsx_has_the_numbers(world, school, client_for):
    response = client_for(world["counselor"]).get(reverse("counseling:coverage_export"), {"year": 2024})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    colleges, classes = book.worksheets
    assert [tuple(r) for r in colleges.iter_rows(min_row=2, values_only=True)] == [
        ("机电工程学院", 1, 1, 1.0),
        ("计算机学院", 6, 2, 0.3333),
    ]
    class_rows = {r[1]: r[2:] for r in classes.iter_rows(min_row=2, values_only=True)}
    assert class_rows["软件2401班"] == (4, 1, 0.25)
    assert class_rows["软件2402班"] == (2, 1, 0.5)
    assert class_rows["机电2401班"] == (1, 1, 1.0)

    station_book = load_workbook(
        io.BytesIO(client_for(world["station"]).get(reverse("counseling:coverage_export"), {"year": 2024}).content)
    )
    assert [r[0] for r in station_book.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["计算机学院"]
