"""Attacker stories for spreadsheet exports (portal/kernel/spreadsheets.py), on real PostgreSQL.

Names are typed by people: a student fills in their own name on the roster, a college secretary names a
class. The attacker names themselves `=HYPERLINK("http://x","y")` (or +1, -2+3, @SUM(A1)) and waits for a
member of staff to export a spreadsheet and open it in Excel or WPS: the formula would run there, with the
staff member's rights, and could send the sheet's other rows to the attacker's server. Every export writes
such a name as text starting with a single quote, never as a formula, while counts and amounts stay numbers.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from openpyxl import load_workbook

from aid.models import Application
from aid.services import funds as fund_services
from aid.tests.factories import identified
from aid.tests.factories_funds import FundFactory, application_in, identify, programme
from counseling.models import Event, EventSignup
from portal.kernel.spreadsheets import safe_cell
from portal.tests.factories import ClassGroupFactory, CollegeFactory, StudentFactory

pytestmark = pytest.mark.django_db

# "\r=1+1" is left to the safe_cell tests: XML turns a carriage return into a line feed when the file is read.
HOSTILE_NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1+1"]
TZ = timezone.get_fixed_timezone(8 * 60)


def cells(response) -> list:
    """Every cell of every sheet of the XLSX in the response."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_written_as_text(all_cells: list, name: str) -> None:
    matching = [c for c in all_cells if isinstance(c.value, str) and c.value.lstrip("'") == name]
    assert matching, f"{name!r} is not in the export"
    for cell in matching:
        assert cell.data_type == "s", f"{name!r} became a {cell.data_type!r} cell"
        assert cell.value == "'" + name


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_activity_coverage_export_writes_a_hostile_class_name_as_text(world, client_for, name):
    college = CollegeFactory(code="XX", name=f"学院{name}")
    group = ClassGroupFactory(college=college, name=name)
    students = [StudentFactory(class_group=group) for _ in range(2)]
    when = datetime(2024, 10, 15, 14, 0, tzinfo=TZ)
    event = Event.objects.create(
        title=name,
        kind=Event.Kind.GROUP,
        place="团辅室",
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        capacity=10,
        signup_opens_at=when - timedelta(days=7),
        signup_closes_at=when - timedelta(days=1),
        created_by=world["counselor"],
        checkin_code="ABCDEF",
    )
    EventSignup.objects.create(event=event, student=students[0], status=EventSignup.Status.ATTENDED)

    response = client_for(world["counselor"]).get(reverse("counseling:coverage_export"), {"year": 2024})
    all_cells = cells(response)
    assert_written_as_text(all_cells, name)
    # The counts beside it are still numbers (2 students, 1 attended, a share of 0.5).
    row = next(
        r
        for r in load_workbook(io.BytesIO(response.content)).worksheets[1].iter_rows(values_only=True)
        if name in str(r[1])
    )
    assert row[2:] == (2, 1, 0.5)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_payment_roster_writes_a_hostile_student_name_as_text(world, client_for, name):
    officer = world["aidofficer"]
    student = world.student_a
    student.name = name
    student.save(update_fields=["name"])
    fund = FundFactory(party="state")
    identify(student, "special")
    application_in(
        Application.Status.PAYING, student=student, officer=officer, prog=programme("national-grant"), fund=fund
    )
    fund_services.bank_account_save(
        actor=student.user, student=student, bank="中国建设银行", card_number="6217000012345678"
    )
    batch = fund_services.batch_create(actor=officer, name="第一批", payment_ids=[p.pk for p in fund.payments.all()])

    response = client_for(officer).get(reverse("aid:batch_export", args=[batch.pk]))
    all_cells = cells(response)
    assert_written_as_text(all_cells, name)
    amounts = [c.value for c in all_cells if c.column == 5 and c.row > 1]
    assert amounts and all(isinstance(v, (int, float, Decimal)) for v in amounts)  # the total sums


def test_the_aid_dashboard_export_writes_a_hostile_college_name_as_text(world, client_for):
    world.college_b.name = "@SUM(A1)"
    world.college_b.save(update_fields=["name"])
    identified(world.student_b)
    response = client_for(world["aidofficer"]).get(reverse("aid:dashboard_export", args=["tiers"]))
    assert_written_as_text(cells(response), "@SUM(A1)")


def test_a_students_own_data_export_writes_their_hostile_name_as_text(world, client_for):
    student = world.student_a
    student.name = '=HYPERLINK("http://x","y")'
    student.save(update_fields=["name"])
    response = client_for(student.user).get(reverse("portal:my_data_xlsx"))
    assert_written_as_text(cells(response), '=HYPERLINK("http://x","y")')


# --- safe_cell --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("李娜", "李娜"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_safe_cell_quotes_text_that_would_run(value, written):
    assert safe_cell(value) == written


@pytest.mark.parametrize(
    "value",
    [
        -2,
        0,
        3.5,
        -0.25,
        Decimal("-1850.00"),
        Decimal("3700.50"),
        True,
        date(2025, 3, 10),
        datetime(2025, 3, 10, 14, 0, tzinfo=TZ),
        time(9, 30),
        None,
    ],
)
def test_safe_cell_leaves_numbers_dates_and_none_alone(value):
    """A real negative number stays a number (it sums); only text is quoted."""
    assert safe_cell(value) is value


def test_safe_cell_quotes_a_lazy_translation_and_other_objects_as_text():
    assert safe_cell(lazy(lambda: "-lazy", str)()) == "'-lazy"
    assert safe_cell(type("X", (), {"__str__": lambda self: "=obj"})()) == "'=obj"
