"""Trips: index, list, create/edit, detail with route, students and expenses, transitions, candidates,
itinerary, report (+ XLSX), the office's dashboard, guardian contact logs.

Access first (homevisits/access.py through portal.access.get_for_user): a trip outside the user's scope is
a 404; visible but not allowed is a 403. Services raise DomainError, shown as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homevisits import access as hv_access
from homevisits.forms.trips import (
    AddStudentForm,
    CandidateFilterForm,
    ExpenseForm,
    GuardianContactForm,
    ReportForm,
    StopForm,
    TripForm,
)
from homevisits.models import Expense, Trip, TripStop, TripStudent
from homevisits.selectors import trips as selectors
from homevisits.services import trips as services
from homevisits.services.candidates import candidates_for
from portal import access
from portal.kernel.spreadsheets import xlsx_response
from portal.kernel.workflow import available_moves
from portal.models import College, Student
from portal.services import DomainError

__all__ = [
    "dashboard",
    "expense_add",
    "expense_receipt",
    "guardian_contacts",
    "index",
    "itinerary",
    "stop_add",
    "stop_remove",
    "trip_candidates",
    "trip_create",
    "trip_detail",
    "trip_edit",
    "trip_list",
    "trip_report",
    "trip_report_xlsx",
    "trip_student_add",
    "trip_student_remove",
    "trip_transition",
]

T = "homevisits/"


def _require_homevisits(request: HttpRequest) -> None:
    if not hv_access.may_use_homevisits(request.user):
        raise PermissionDenied


def _trip(request: HttpRequest, pk: int, action: str = "view") -> Trip:
    return access.get_for_user(request.user, Trip.objects.select_related("leader"), action=action, pk=pk)


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


TRIPS_PAGE_SIZE = 50


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not hv_access.may_open_homevisits_home(user):
        raise PermissionDenied
    context = {
        "may_trips": hv_access.may_use_homevisits(user),
        "may_create": hv_access.may_create_trip(user),
        "may_dashboard": hv_access.may_see_dashboard(user),
        "may_guardians": hv_access.may_use_guardian_log(user),
        "my_follow_ups_url": _url_or_none("homevisits:my_follow_ups"),
        "trips": selectors.trips_for(user)[:5] if hv_access.may_use_homevisits(user) else [],
    }
    return render(request, T + "index.html", context)


@login_required
@require_GET
def trip_list(request: HttpRequest) -> HttpResponse:
    _require_homevisits(request)
    status = request.GET.get("status", "")
    status = status if status in Trip.Status.values else ""
    trips = selectors.trips_for(request.user, status=status)
    trips = Paginator(trips, TRIPS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        T + "trip_list.html",
        {
            "trips": trips,
            "page": trips,
            "statuses": Trip.Status.choices,
            "status": status,
            "may_create": hv_access.may_create_trip(request.user),
        },
    )


def _details(form: TripForm, leader) -> services.TripDetails:
    d = form.cleaned_data
    return services.TripDetails(
        year=d["year"],
        title=d["title"],
        regions=d["regions"],
        leader=d.get("leader") or leader,
        members=list(d.get("members") or []),
        starts_on=d["starts_on"],
        ends_on=d["ends_on"],
        budget=d["budget"],
        briefing=d.get("briefing") or "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not hv_access.may_create_trip(user):
        raise PermissionDenied
    office = hv_access.is_office(user)
    form = TripForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        try:
            trip = services.trip_create(actor=user, details=_details(form, user))
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Trip created. Add the stops of its route next."))
            return redirect("homevisits:trip_detail", trip.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, T + "trip_form.html", {"form": form, "trip": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def trip_edit(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    office = hv_access.is_office(request.user)
    initial = {
        "year": trip.year,
        "title": trip.title,
        "regions": trip.regions,
        "leader": trip.leader_id,
        "members": list(trip.members.values_list("pk", flat=True)),
        "starts_on": trip.starts_on,
        "ends_on": trip.ends_on,
        "budget": trip.budget,
        "briefing": trip.briefing,
    }
    form = TripForm(request.POST or None, initial=initial, office=office)
    if request.method == "POST" and form.is_valid():
        try:
            services.trip_update(actor=request.user, trip=trip, details=_details(form, trip.leader))
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Trip saved."))
            return redirect("homevisits:trip_detail", trip.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, T + "trip_form.html", {"form": form, "trip": trip}, status=status)


def _render_detail(request: HttpRequest, trip: Trip, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    bound = bound or {}
    user = request.user
    stops = selectors.trip_stops(trip)
    show_students = hv_access.may_see_planned_students(user, trip)
    student_ids = [p.student_id for s in stops for p in s.students.all()] if show_students else []
    transitions = available_moves(trip, user)  # (to, label) pairs, in the order of the statuses
    context = {
        "trip": trip,
        "members": selectors.trip_members(trip),
        "stops": stops,
        "conflicts": selectors.conflicts_for(trip, student_ids),
        "reasons": selectors.PRIORITY_REASONS,
        "expenses": list(trip.expenses.select_related("created_by").order_by("spent_on", "pk")),
        "transitions": transitions,
        "may_plan": access.can(user, "plan", trip) and trip.status in services.PLANNING_STATUSES,
        "may_edit_route": hv_access.may_edit_route(user, trip),
        "may_choose": hv_access.may_choose_students(user, trip),
        "may_see_candidates": hv_access.may_see_candidates(user, trip),
        "show_students": show_students,
        "show_guardians": show_students and hv_access.may_see_guardians(user, trip),
        "may_expense": access.can(user, "add_expense", trip) and trip.status != Trip.Status.CLOSED,
        "may_record": hv_access.may_write_records(user, trip),
        "stop_form": bound.get("stop") or StopForm(initial={"planned_on": trip.starts_on}),
        "expense_form": bound.get("expense") or ExpenseForm(initial={"spent_on": timezone.localdate()}),
    }
    context["spent"] = sum((e.amount for e in context["expenses"]), 0)
    return render(request, T + "trip_detail.html", context, status=status)


@login_required
@require_GET
def trip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _trip(request, pk))


@login_required
@require_POST
def trip_transition(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk)
    to = request.POST.get("to", "")
    if to not in Trip.Status.values:
        messages.error(request, _("Unknown status."))
        return redirect("homevisits:trip_detail", trip.pk)
    if not Trip.flow.permits(request.user, trip, to):
        raise PermissionDenied
    service = {
        Trip.Status.APPROVED: services.trip_approve,
        Trip.Status.PLANNING: services.trip_return_to_planning,
        Trip.Status.TRAVELLING: services.trip_depart,
        Trip.Status.REPORTING: services.trip_return,
        Trip.Status.CLOSED: services.trip_close,
    }[to]
    try:
        service(actor=request.user, trip=trip)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The trip is now %(status)s.") % {"status": Trip.Status(to).label})
    return redirect("homevisits:trip_detail", trip.pk)


@login_required
@require_POST
def stop_add(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            services.stop_add(actor=request.user, trip=trip, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Stop added."))
            return redirect("homevisits:trip_detail", trip.pk)
    messages.error(request, _("The stop was not added; see the form."))
    return _render_detail(request, trip, bound={"stop": form}, status=400)


@login_required
@require_POST
def stop_remove(request: HttpRequest, pk: int, stop_pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    stop = TripStop.objects.filter(trip=trip, pk=stop_pk).first()
    if stop is None:
        raise Http404
    try:
        services.stop_remove(actor=request.user, stop=stop)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Stop removed."))
    return redirect("homevisits:trip_detail", trip.pk)


@login_required
@require_GET
def trip_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    if not hv_access.may_see_candidates(request.user, trip):
        raise PermissionDenied  # a planning trip opens no student data to its team (homevisits/access.py)
    colleges = list(College.objects.order_by("name"))
    form = CandidateFilterForm(request.GET or None, colleges=colleges)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        messages.warning(request, _("Some filters were not understood and are ignored."))
    candidates = candidates_for(
        trip,
        college_id=filters.get("college"),
        enrolment_year=filters.get("enrolment_year"),
        ethnicity=filters.get("ethnicity") or "",
        priority_only=bool(filters.get("priority_only")),
    )
    stops = list(trip.stops.order_by("position"))
    return render(
        request,
        T + "trip_candidates.html",
        {
            "trip": trip,
            "form": form,
            "candidates": candidates,
            "stops": stops,
            "limit": selectors.CANDIDATE_LIMIT,
            "may_choose": hv_access.may_choose_students(request.user, trip),
        },
    )


@login_required
@require_POST
def trip_student_add(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    if not hv_access.may_choose_students(request.user, trip):
        raise PermissionDenied  # students are chosen once the office has approved the trip
    stops = list(trip.stops.order_by("position"))
    form = AddStudentForm(request.POST, stops=stops)
    back = redirect("homevisits:trip_candidates", trip.pk)
    if not form.is_valid():
        messages.error(request, _("Choose a student and a stop."))
        return back
    stop = next(s for s in stops if s.pk == form.cleaned_data["stop"])
    student = Student.objects.filter(pk=form.cleaned_data["student"]).first()
    if student is None or not selectors.candidates_match(trip, student):
        # The same answer whether the id exists or not: a crafted id learns nothing about other students.
        messages.error(request, _("This student's hometown is not on the trip's route."))
        return back
    try:
        _planned, conflicts = services.trip_student_add(actor=request.user, stop=stop, student=student)
    except DomainError as exc:
        messages.error(request, str(exc))
        return back
    messages.success(request, _("%(name)s added to stop %(stop)s.") % {"name": student.name, "stop": stop})
    if conflicts:
        messages.warning(
            request,
            _("Conflict: %(name)s is already on another trip this year: %(trips)s.")
            % {"name": student.name, "trips": ", ".join(t.title for t in conflicts)},
        )
    return back


@login_required
@require_POST
def trip_student_remove(request: HttpRequest, pk: int, planned_pk: int) -> HttpResponse:
    trip = _trip(request, pk, "plan")
    planned = TripStudent.objects.filter(trip=trip, pk=planned_pk).first()
    if planned is None:
        raise Http404
    try:
        services.trip_student_remove(actor=request.user, planned=planned)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Student removed from the trip."))
    return redirect("homevisits:trip_detail", trip.pk)


@login_required
@require_POST
def expense_add(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk, "add_expense")
    form = ExpenseForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.expense_add(actor=request.user, trip=trip, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Expense added."))
            return redirect("homevisits:trip_detail", trip.pk)
    messages.error(request, _("The expense was not added; see the form."))
    return _render_detail(request, trip, bound={"expense": form}, status=400)


@login_required
@require_GET
def expense_receipt(request: HttpRequest, pk: int, expense_pk: int) -> FileResponse:
    trip = _trip(request, pk)
    expense = Expense.objects.filter(trip=trip, pk=expense_pk).exclude(receipt="").first()
    if expense is None:
        raise Http404
    name = expense.receipt.name.rsplit("/", 1)[-1]
    return FileResponse(expense.receipt.open("rb"), as_attachment=True, filename=f"receipt-{expense.pk}-{name}")


@login_required
@require_GET
def itinerary(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk)
    access.require(request.user, "view", trip)
    show_students = hv_access.may_see_planned_students(request.user, trip)
    return render(
        request,
        T + "itinerary.html",
        {
            "trip": trip,
            "days": selectors.itinerary_days(trip),
            "members": selectors.trip_members(trip),
            "reasons": selectors.PRIORITY_REASONS,
            "show_students": show_students,
            "show_guardians": show_students and hv_access.may_see_guardians(request.user, trip),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_report(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk)
    may_write = access.can(request.user, "submit_report", trip) and trip.status in (
        Trip.Status.TRAVELLING,
        Trip.Status.REPORTING,
    )
    form = ReportForm(request.POST or None, initial={"report": trip.report})
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.trip_report_save(actor=request.user, trip=trip, report=form.cleaned_data["report"])
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Report submitted."))
                return redirect("homevisits:trip_report", trip.pk)
    status = 400 if form.is_bound and form.errors else 200
    data = selectors.trip_report_data(trip, with_students=hv_access.may_see_planned_students(request.user, trip))
    return render(
        request,
        T + "trip_report.html",
        {"trip": trip, "data": data, "form": form, "may_write": may_write},
        status=status,
    )


@login_required
@require_GET
def trip_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    trip = _trip(request, pk)
    data = selectors.trip_report_data(trip, with_students=hv_access.may_see_planned_students(request.user, trip))
    return xlsx_response(selectors.trip_report_xlsx(data), filename=f"trip-{trip.pk}-report.xlsx")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not hv_access.may_see_dashboard(request.user):
        raise PermissionDenied
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    summary = selectors.year_summary(year)
    chart = {
        "provinces": [r["name"] for r in summary["by_province"]],
        "provinceCounts": [r["n"] for r in summary["by_province"]],
        "prefectures": [r["name"] for r in summary["by_prefecture"]],
        "prefectureCounts": [r["n"] for r in summary["by_prefecture"]],
        "needs": [n for n, _c in summary["needs"]],
        "needCounts": [c for _n, c in summary["needs"]],
        "visitsName": _("Visits"),
        "needsName": _("Needs found"),
    }
    years = sorted(set(Trip.objects.order_by().values_list("year", flat=True).distinct()) | {year}, reverse=True)
    return render(request, T + "dashboard.html", {"s": summary, "chart": chart, "years": years})


@login_required
@require_http_methods(["GET", "POST"])
def guardian_contacts(request: HttpRequest, student_pk: int) -> HttpResponse:
    if not hv_access.may_use_guardian_log(request.user):
        raise PermissionDenied
    student = selectors.guardian_students(request.user).filter(pk=student_pk).first()
    if student is None:
        raise Http404
    form = GuardianContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_contact_add(actor=request.user, student=student, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("homevisits:guardian_contacts", student.pk)
    from portal.audit import audit_log

    audit_log(actor=request.user, action="read", obj=student, changes={"guardian_log": True})
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        T + "guardian_contacts.html",
        {
            "student": student,
            "guardians": list(student.guardians.order_by("pk")),
            "contacts": list(selectors.guardian_contacts_for(student)[:200]),
            "summary_sides": hv_access.guardian_summary_sides(request.user),
            "form": form,
        },
        status=status,
    )
