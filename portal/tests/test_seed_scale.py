"""`manage.py seed_scale` (portal.scale and the apps' scale steps) on a small school: counts in proportion,
the database's invariants, the bench logins and their data, determinism, refusing to mix with other data."""

import hashlib
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum

from aid.models import Application, CanteenRecord, Fund, Identification, LedgerEntry, Payment
from counseling.models import Booking, Case, CaseEvent, Report, ScreeningResult, Slot
from homevisits.models import Trip, TripStudent, VisitRecord
from portal.models import AuditEvent, ClassGroup, College, DormRoom, Role, RoleAssignment, Student, User
from portal.scale import BENCH_LOGINS
from portal.validators import validate_id_card

STUDENTS = 600
TODAY = date(2026, 11, 20)
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def seed(*extra: str) -> str:
    out = StringIO()
    call_command(
        "seed_scale",
        "--students",
        str(STUDENTS),
        "--seed",
        "7",
        "--today",
        TODAY.isoformat(),
        "--force",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def digest() -> str:
    """What the data is, by natural keys (primary keys and ciphertexts differ between runs)."""
    h = hashlib.sha256()
    parts = [
        Student.objects.order_by("student_no").values_list(
            "student_no",
            "name",
            "gender",
            "ethnicity",
            "id_card_masked",
            "id_card_index",
            "phone",
            "class_group__name",
            "room__building",
            "room__room",
            "status",
            "user__username",
        ),
        Case.objects.order_by("created_at", "student__student_no").values_list(
            "student__student_no", "level", "status", "created_at", "owner__username", "next_touchpoint"
        ),
        Booking.objects.order_by("slot__starts_at", "slot__counsellor__username", "status").values_list(
            "student__student_no", "slot__starts_at", "slot__counsellor__username", "status"
        ),
        Identification.objects.order_by("student__student_no", "year__name").values_list(
            "student__student_no", "year__name", "status", "tier", "household_income"
        ),
        Application.objects.order_by("student__student_no", "programme__code", "year__name").values_list(
            "student__student_no", "programme__code", "year__name", "status", "amount"
        ),
        CanteenRecord.objects.order_by("student__student_no", "month").values_list(
            "student__student_no", "month", "meals", "total_spend"
        ),
        TripStudent.objects.order_by("trip__starts_on", "student__student_no").values_list(
            "trip__title", "student__student_no", "reasons"
        ),
        AuditEvent.objects.values("action", "object_type").annotate(n=Count("id")).order_by("action", "object_type"),
        AuditEvent.objects.order_by("at", "action").values_list("at", "action", "actor__username")[:2000],
    ]
    for rows in parts:
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_it_builds_a_school_in_proportion_that_keeps_the_invariants(client) -> None:
    output = seed()
    assert "bench_student" in output and "portal.auditevent 20000" in output

    # Counts: the 30,000-student quantities, divided by 50.
    assert College.objects.count() == 12
    assert Student.objects.count() == STUDENTS
    assert 12 <= ClassGroup.objects.count() <= 16
    assert 60 <= DormRoom.objects.count() <= 260
    assert AuditEvent.objects.count() == 20_000
    assert CanteenRecord.objects.count() == 12 * STUDENTS
    assert 100 <= Report.objects.count() <= 140
    assert Booking.objects.count() == 1_200
    assert 120 <= Identification.objects.count() <= 200
    applications = Application.objects.count()
    assert 380 <= applications <= 480
    assert 1.5 * applications <= Payment.objects.count() <= 2.5 * applications
    assert VisitRecord.objects.count() >= 10
    assert CaseEvent.objects.count() >= 3 * Case.objects.count()

    # Every student: a valid, distinct ID-card number (decrypted through the field), a login that cannot sign in.
    students = list(Student.objects.select_related("user"))
    for student in students[:: len(students) // 40]:
        validate_id_card(student.id_card_number)
        assert student.id_card_masked[:4] == student.id_card_number[:4]
        assert not student.user.has_usable_password() or student.user.username == "bench_student"
    assert len({s.id_card_index for s in students}) == STUDENTS
    assert RoleAssignment.objects.filter(role=Role.STUDENT).count() == STUDENTS
    assert RoleAssignment.objects.filter(role=Role.CLASS_COMMITTEE).count() == ClassGroup.objects.count()

    # Database rules: one open case per student, one live booking per slot, one future booking per student.
    assert (
        not Case.objects.exclude(status="closed")
        .exclude(student=None)
        .values("student")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not Booking.objects.filter(status__in=Booking.LIVE).values("slot").annotate(n=Count("id")).filter(n__gt=1)
    future = Booking.objects.filter(status__in=Booking.FUTURE)
    assert future.exists()
    assert not future.values("student").annotate(n=Count("id")).filter(n__gt=1)
    assert not future.exclude(slot__status=Slot.Status.BOOKED).exists()
    assert Case.objects.filter(status="new", acknowledged_at__isnull=False).count() == 0
    # No fund is overdrawn: commitments within the budget.
    for fund in Fund.objects.all():
        committed = LedgerEntry.objects.filter(fund=fund, kind="commitment").aggregate(s=Sum("amount"))["s"] or 0
        assert committed <= fund.budget
    assert not Payment.objects.filter(amount__lte=0).exists()

    # The bench logins sign in with the demo password and have what the benchmark needs.
    for username in BENCH_LOGINS:
        assert User.objects.get(username=username).check_password(settings.DEMO_PASSWORD), username
    bench = Student.objects.get(user__username="bench_student")
    assert bench.college.code == "CS"
    assert Booking.objects.filter(student=bench, status="confirmed").exists()
    assert ScreeningResult.objects.filter(student=bench).exists()
    assert Application.objects.filter(student=bench).exists()
    station = RoleAssignment.objects.get(user__username="bench_station")
    assert station.role == Role.STATION_COUNSELLOR and station.college.code == "CS"
    assert Case.objects.filter(college=station.college).exclude(status="closed").exists()
    assert RoleAssignment.objects.get(user__username="bench_aidreviewer").college.code == "CS"
    trip = Trip.objects.get(members__username="bench_visitor", status=Trip.Status.PLANNING)
    assert 15 <= trip.planned_students.count() <= 20 and trip.stops.exists()
    assert User.objects.get(username="bench_admin").is_superuser

    client.force_login(bench.user)
    assert client.get("/").status_code == 200

    # It does not mix with data already there.
    with pytest.raises(CommandError, match="already holds students"):
        seed()


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_gives_the_same_data() -> None:
    """Committed runs: --flush (TRUNCATE) cannot run inside a transaction holding deferred FK checks."""
    seed()
    first = digest()
    counts = Counter(Case.objects.values_list("status", flat=True))
    seed("--flush")
    assert digest() == first
    assert Counter(Case.objects.values_list("status", flat=True)) == counts
    assert Case.objects.filter(~Q(status="closed")).exists()
