"""Reads of trips, scoped through portal.access: lists, the students on a trip's route, itinerary, trip
report, the office's year summary, guardian contact logs.

Priority reasons are codes (PRIORITY_REASONS) shown as labels only. They come from aid and counselling, which
this app reaches only through their services, so the candidate list with its reasons is built in
homevisits.services.candidates (selectors import no services).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from homevisits import access as hv_access
from homevisits.models import Expense, FollowUp, GuardianContact, Trip, TripStop, TripStudent, VisitRecord
from portal import access
from portal.kernel.display import code_label, person_name
from portal.kernel.spreadsheets import append_row, workbook_bytes
from portal.models import Guardian, Student, User

__all__ = [
    "PRIORITY_REASONS",
    "Candidate",
    "conflicts_for",
    "guardian_contacts_for",
    "guardian_students",
    "itinerary_days",
    "planned_student_ids",
    "reason_labels",
    "route_students",
    "trip_report_data",
    "trips_for",
    "year_summary",
]

CANDIDATE_LIMIT = 300

PRIORITY_REASONS = {
    "special_tier": _("identified: 特别困难"),
    "fiveaid": _("active five-aid case"),
    "counselling_recommended": _("recommended for a visit by the counselling centre"),
    "sudden_change": _("sudden family change reported"),
    "minority_first_year": _("minority first-year"),
}


def trips_for(user: User, *, year: int | None = None, status: str = "") -> QuerySet[Trip]:
    qs = access.visible(user, Trip).select_related("leader")
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        n_stops=Count("stops", distinct=True), n_students=Count("planned_students", distinct=True)
    ).order_by("-starts_on", "pk")


@dataclass
class Candidate:
    student: Student
    reasons: list[str]
    conflicts: list[str] = field(default_factory=list)  # titles of other trips this year
    on_this_trip: bool = False

    @property
    def reason_labels(self) -> list[str]:
        return reason_labels(self.reasons)


def reason_labels(codes: list[str]) -> list[str]:
    """Labels of known codes only: a code no longer shown (such as the old "care_list") never renders."""
    return [str(PRIORITY_REASONS[c]) for c in codes or [] if c in PRIORITY_REASONS]


def _stop_q(stops: list[TripStop]) -> Q | None:
    q: Q | None = None
    for stop in stops:
        part = Q(hometown_province=stop.province)
        if stop.prefecture:
            part &= Q(hometown_prefecture=stop.prefecture)
        if stop.county:
            part &= Q(hometown_county=stop.county)
        q = part if q is None else q | part
    return q


def conflicts_for(trip: Trip, student_ids: list[int]) -> dict[int, list[str]]:
    """Other trips of the same year each student is already planned on (one query)."""
    out: dict[int, list[str]] = defaultdict(list)
    rows = (
        TripStudent.objects.filter(trip__year=trip.year, student_id__in=student_ids)
        .exclude(trip=trip)
        .values_list("student_id", "trip__title")
        .order_by("trip_id")
    )
    for sid, title in rows:
        out[sid].append(title)
    return dict(out)  # a plain dict: a template's `.items` on a defaultdict would make an "items" key


def route_students(
    trip: Trip, *, college_id: int | None = None, enrolment_year: int | None = None, ethnicity: str = ""
) -> list[Student]:
    """Enrolled students whose hometown lies on the trip's route (a stop matches by province and, when the
    stop names them, prefecture and county), at most CANDIDATE_LIMIT, in route order.

    The caller checked access.may_see_candidates: the route is the one the office approved (stops cannot
    change after approval), or the office's own preview of a planning trip. Filters only narrow it."""
    q = _stop_q(list(trip.stops.all()))
    if q is None:
        return []
    qs = Student.objects.filter(q, status=Student.Status.ENROLLED).select_related("college", "class_group")
    if college_id:
        qs = qs.filter(college_id=college_id)
    if enrolment_year:
        qs = qs.filter(enrolment_year=enrolment_year)
    if ethnicity:
        qs = qs.filter(ethnicity=ethnicity)
    return list(qs.order_by("hometown_prefecture", "hometown_county", "student_no")[:CANDIDATE_LIMIT])


def planned_student_ids(trip: Trip) -> set[int]:
    return set(TripStudent.objects.filter(trip=trip).values_list("student_id", flat=True))


def trip_stops(trip: Trip) -> list[TripStop]:
    """The route with planned students (and their guardians) in three queries."""
    planned = TripStudent.objects.select_related("student", "student__college").prefetch_related(
        Prefetch("student__guardians", queryset=Guardian.objects.order_by("pk"))
    )
    return list(trip.stops.prefetch_related(Prefetch("students", queryset=planned)).order_by("position"))


__all__ += ["trip_members", "trip_stops"]


def trip_members(trip: Trip) -> list[User]:
    return [trip.leader, *[m for m in trip.members.order_by("username") if m.pk != trip.leader_id]]


def itinerary_days(trip: Trip) -> list[tuple[date, list[TripStop]]]:
    """The printable itinerary: per day, its stops with students, guardians' phones and addresses."""
    days: dict[date, list[TripStop]] = defaultdict(list)
    for stop in trip_stops(trip):
        days[stop.planned_on].append(stop)
    return sorted(dict(days).items())


# --- Trip report ----------------------------------------------------------------------------------------------


@dataclass
class TripReport:
    trip: Trip
    planned: int
    visited: list[VisitRecord]
    not_reached: list[VisitRecord]
    not_recorded: list[TripStudent]
    needs: list[tuple[str, int]]
    follow_ups: list[FollowUp]
    follow_ups_by_status: list[tuple[str, int]]
    expenses: list[Expense]
    spent: Decimal
    budget: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent

    @property
    def expenses_by_category(self) -> list[tuple[str, Decimal]]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for e in self.expenses:
            totals[e.category] += e.amount
        return sorted(totals.items())


def trip_report_data(trip: Trip, *, with_students: bool = True) -> TripReport:
    """Numbers of the trip report (five queries). Visit records and follow-ups are read directly; only their
    outcome, reason not reached, needs and follow-up state are used, never the narrative fields.

    with_students=False (a planning trip seen by its team: access.may_see_planned_students) leaves out every
    row that names a student; the counts stay."""
    records = list(
        VisitRecord.objects.filter(trip=trip)
        .select_related("student")
        .only(
            "pk",
            "trip_id",
            "student__name",
            "student__student_no",
            "outcome",
            "not_reached_reason",
            "visited_on",
            "needs",
            "form",
        )
        .order_by("visited_on", "pk")
    )
    recorded = {r.student_id for r in records}
    planned = list(TripStudent.objects.filter(trip=trip).select_related("student", "stop"))
    needs: Counter[str] = Counter()
    for r in records:
        for need in r.needs or []:
            needs[code_label(VisitRecord.Need, need)] += 1
    follow_ups = list(
        FollowUp.objects.filter(record__trip=trip)
        .select_related("owner", "record__student")
        .only(
            "pk",
            "kind",
            "title",
            "status",
            "due_on",
            "done_at",
            "owner__full_name",
            "owner__first_name",
            "owner__last_name",
            "record__student__name",
            "record_id",
        )
        .order_by("due_on", "pk")
    )
    by_status = Counter(f.status for f in follow_ups)
    expenses = list(trip.expenses.order_by("spent_on", "pk"))
    if not with_students:
        records, follow_ups, planned_rows = [], [], []
    else:
        planned_rows = [p for p in planned if p.student_id not in recorded]
    return TripReport(
        trip=trip,
        planned=len(planned),
        visited=[r for r in records if r.outcome == VisitRecord.Outcome.VISITED],
        not_reached=[r for r in records if r.outcome == VisitRecord.Outcome.NOT_REACHED],
        not_recorded=planned_rows,
        needs=needs.most_common(),
        follow_ups=follow_ups,
        follow_ups_by_status=[(str(label), by_status.get(value, 0)) for value, label in FollowUp.Status.choices],
        expenses=expenses,
        spent=sum((e.amount for e in expenses), Decimal("0.00")),
        budget=trip.budget,
    )


# --- Year summary (office dashboard) -------------------------------------------------------------------------


def year_summary(year: int) -> dict:
    """Visits by province and prefecture, needs found, follow-ups closed on time, for trips of `year`."""
    records = VisitRecord.objects.filter(trip__year=year, outcome=VisitRecord.Outcome.VISITED)
    by_province = list(
        records.values("student__hometown_province")
        .annotate(n=Count("pk"))
        .order_by("-n", "student__hometown_province")
    )
    by_prefecture = list(
        records.values("student__hometown_province", "student__hometown_prefecture")
        .annotate(n=Count("pk"))
        .order_by("-n", "student__hometown_prefecture")
    )
    needs: Counter[str] = Counter()
    for row in records.values_list("needs", flat=True):
        for need in row or []:
            needs[code_label(VisitRecord.Need, need)] += 1
    # One aggregate per table, so the dashboard costs the same whatever the number of trips and follow-ups.
    today = timezone.localdate()
    done = Q(status=FollowUp.Status.DONE)
    done_on = TruncDate("done_at", tzinfo=timezone.get_current_timezone())
    follow_ups = FollowUp.objects.filter(record__trip__year=year).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=done),
        on_time=Count("pk", filter=done & Q(done_at__isnull=False, due_on__gte=done_on)),
        open_overdue=Count("pk", filter=Q(status=FollowUp.Status.OPEN, due_on__lt=today)),
    )
    trips = Trip.objects.filter(year=year).aggregate(n=Count("pk"), budget=Sum("budget"))
    spent = Expense.objects.filter(trip__year=year).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    return {
        "year": year,
        "trips": trips["n"],
        "visited": sum(r["n"] for r in by_province),
        "by_province": [{"name": r["student__hometown_province"] or "—", "n": r["n"]} for r in by_province],
        "by_prefecture": [
            {
                "name": f"{r['student__hometown_province']} {r['student__hometown_prefecture']}".strip() or "—",
                "n": r["n"],
            }
            for r in by_prefecture
        ],
        "needs": needs.most_common(),
        "follow_ups": follow_ups["total"],
        "follow_ups_done": follow_ups["done"],
        "follow_ups_on_time": follow_ups["on_time"],
        "follow_ups_open_overdue": follow_ups["open_overdue"],
        "budget": trips["budget"] or Decimal("0.00"),
        "spent": spent,
    }


# --- Guardian contacts ----------------------------------------------------------------------------------------


def guardian_students(user: User) -> QuerySet[Student]:
    q = hv_access.guardian_students_q(user)
    if q is None:
        return Student.objects.none()
    return Student.objects.filter(q) if q else Student.objects.all()


def guardian_contacts_for(student: Student) -> QuerySet[GuardianContact]:
    return GuardianContact.objects.filter(student=student).select_related("by").order_by("-contacted_on", "-pk")


def candidates_match(trip: Trip, student: Student) -> bool:
    """Whether the student is a candidate of the trip: enrolled, hometown on the route (services re-check)."""
    q = _stop_q(list(trip.stops.all()))
    return q is not None and Student.objects.filter(q, pk=student.pk, status=Student.Status.ENROLLED).exists()


# --- XLSX ------------------------------------------------------------------------------------------------------

__all__ += ["candidates_match", "trip_report_xlsx"]


def trip_report_xlsx(data: TripReport) -> bytes:
    """The trip report as a workbook: summary, visits, follow-ups, expenses (no narrative fields). Every
    cell goes through portal.kernel.spreadsheets, so a name or a note never runs as a formula."""
    from django.utils.translation import gettext as gt
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = gt("Summary")
    for row in (
        [gt("Trip"), data.trip.title],
        [gt("Dates"), f"{data.trip.starts_on} – {data.trip.ends_on}"],
        [gt("Planned students"), data.planned],
        [gt("Visited"), len(data.visited)],
        [gt("Not reached"), len(data.not_reached)],
        [gt("No record yet"), len(data.not_recorded)],
        [gt("Budget (yuan)"), data.budget],
        [gt("Spent (yuan)"), data.spent],
        [gt("Remaining (yuan)"), data.remaining],
        [],
        [gt("Needs found"), gt("Count")],
        *([need, n] for need, n in data.needs),
    ):
        append_row(ws, row)
    visits = wb.create_sheet(gt("Visits"))
    append_row(visits, [gt("Student number"), gt("Name"), gt("Outcome"), gt("Date"), gt("Why not reached")])
    for r in [*data.visited, *data.not_reached]:
        append_row(
            visits,
            [r.student.student_no, r.student.name, r.get_outcome_display(), str(r.visited_on), r.not_reached_reason],
        )
    for p in data.not_recorded:
        append_row(visits, [p.student.student_no, p.student.name, gt("no record yet"), "", ""])
    fus = wb.create_sheet(gt("Follow-ups"))
    append_row(fus, [gt("Student"), gt("Kind"), gt("What"), gt("Owner"), gt("Due"), gt("Status")])
    for f in data.follow_ups:
        append_row(
            fus,
            [
                f.record.student.name,
                f.get_kind_display(),
                f.title,
                person_name(f.owner),
                str(f.due_on),
                f.get_status_display(),
            ],
        )
    exp = wb.create_sheet(gt("Expenses"))
    append_row(exp, [gt("Date"), gt("Category"), gt("Amount (yuan)"), gt("Note")])
    for e in data.expenses:
        append_row(exp, [str(e.spent_on), e.category, e.amount, e.note])
    append_row(exp, [gt("Total"), "", data.spent, ""])
    return workbook_bytes(wb)
