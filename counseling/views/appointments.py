"""Appointments: students book counselling; counsellors publish availability and work their agenda.

Views are thin: access (404 outside the user's scope, 403 when visible but not allowed) → form → service
→ redirect with a message. A refused change (DomainError, or an invalid form) comes back as a message
and nothing is saved. Every action endpoint is POST only.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import selectors, services
from counseling.access import appointments as appt_access
from counseling.forms.appointments import (
    BlockedDayForm,
    BookingForm,
    OutcomeForm,
    ReasonForm,
    SlotFilterForm,
    SlotForm,
    TemplateForm,
    WaitlistJoinForm,
)
from counseling.models import AvailabilityTemplate, BlockedDay, Booking, BookingRestriction, Slot, WaitlistEntry
from portal import access
from portal.forms import form_errors_text
from portal.models import Student, User
from portal.services import DomainError

# A phone shows this many times at once (the nearest first); the filters narrow the rest. The page says how many
# match in all.
SLOT_LIST_LIMIT = 60


def _student_or_403(request: HttpRequest) -> Student:
    student = selectors.student_of(request.user)
    if student is None:
        raise PermissionDenied
    return student


def _counsellor_or_403(request: HttpRequest) -> User:
    if not appt_access.may_manage_availability(request.user):
        raise PermissionDenied
    return request.user


# --- Students: book counselling ------------------------------------------------------------------------


@login_required
@require_GET
def slots(request: HttpRequest) -> HttpResponse:
    """Open slots for the next days, with filters; the waitlist when nothing fits."""
    student = _student_or_403(request)
    counsellors = selectors.bookable_counsellors(student)
    form = SlotFilterForm(request.GET or None, counsellors=counsellors)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    counsellor = filters.get("counsellor")
    matching = selectors.slots_open_for_booking(
        request.user,
        student=student,
        counsellor_id=counsellor.pk if counsellor else None,
        gender=filters.get("gender", ""),
        mode=filters.get("mode", ""),
    )
    rows = list(matching[: SLOT_LIST_LIMIT + 1])
    total = len(rows) if len(rows) <= SLOT_LIST_LIMIT else matching.count()
    rows = rows[:SLOT_LIST_LIMIT]
    days: dict = {}
    for slot in rows:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return render(
        request,
        "counseling/appointments/slots.html",
        {
            "form": form,
            "days": days,
            "slot_count": total,
            "slots_shown": len(rows),
            "waitlist_form": WaitlistJoinForm(counsellors=counsellors, auto_id="id_wait_%s"),
        },
    )


def _bookable_slot(student: Student, user: User, slot_id: int) -> Slot | None:
    """A slot the student may book now; None for an unknown, past, taken or out-of-scope slot."""
    return selectors.slots_open_for_booking(user, student=student).filter(pk=slot_id).first()


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, slot_id: int) -> HttpResponse:
    student = _student_or_403(request)
    if request.method == "GET":
        slot = _bookable_slot(student, request.user, slot_id)
        if slot is None:
            messages.error(request, _("This time is no longer available."))
            return redirect("counseling:slots")
        form = BookingForm()
    else:
        # The service decides (and explains) why a known slot cannot be booked; an unknown one gets the
        # same message as a taken one, so ids outside the student's scope tell nothing.
        slot = Slot.objects.filter(pk=slot_id).select_related("counsellor").first()
        if slot is None:
            messages.error(request, _("This time is no longer available."))
            return redirect("counseling:slots")
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                booking = services.booking_create(actor=request.user, student=student, slot=slot, **form.cleaned_data)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                if booking.status == Booking.Status.PENDING:
                    messages.info(request, _("Your request was sent. A counsellor will confirm the time."))
                else:
                    messages.success(request, _("Your appointment is booked."))
                return redirect("counseling:my_bookings")
        else:
            messages.error(request, form_errors_text(form))
    return render(
        request,
        "counseling/appointments/booking_form.html",
        {"slot": slot, "form": form, "action": reverse("counseling:booking_new", args=[slot_id])},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    student = _student_or_403(request)
    now = timezone.now()
    bookings = list(selectors.my_bookings(request.user))
    upcoming = [b for b in bookings if b.status in Booking.FUTURE and b.slot.ends_at > now]
    past = [b for b in bookings if b not in upcoming][:30]
    return render(
        request,
        "counseling/appointments/my_bookings.html",
        {
            "upcoming": upcoming,
            "past": past,
            "waitlist": list(selectors.my_waitlist(request.user)),
            "restricted": BookingRestriction.objects.filter(student=student, lifted_at__isnull=True).exists(),
            "now": now,
        },
    )


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_for(request.user, pk, action="cancel")
    try:
        booking = services.booking_cancel(actor=request.user, booking=booking)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if booking.status == Booking.Status.LATE_CANCELLED:
            messages.warning(request, _("Cancelled. As it was close to the start, it counts as a late cancellation."))
        else:
            messages.success(request, _("Your appointment is cancelled."))
    return redirect("counseling:my_bookings")


@login_required
@require_GET
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_for(request.user, pk, action="ics")
    if request.user.pk not in (booking.student.user_id, booking.slot.counsellor_id):
        raise Http404  # the calendar file is the student's and their counsellor's, not an admin's
    response = HttpResponse(services.ics_for_booking(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{booking.pk}.ics"'
    return response


@login_required
@require_POST
def waitlist_join(request: HttpRequest) -> HttpResponse:
    student = _student_or_403(request)
    form = WaitlistJoinForm(request.POST, counsellors=selectors.bookable_counsellors(student))
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("counseling:slots")
    try:
        services.waitlist_join(actor=request.user, student=student, counsellor=form.cleaned_data["counsellor"])
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("counseling:slots")
    messages.success(request, _("You are on the waitlist. We will tell you when a time frees up."))
    return redirect("counseling:my_bookings")


def _own_entry(request: HttpRequest, pk: int, action: str) -> WaitlistEntry:
    """The user's own waitlist entry; 404 for anyone else's (admins included: students act for themselves)."""
    entry = access.get_for_user(
        request.user, WaitlistEntry.objects.select_related("student", "offered_slot"), action=action, pk=pk
    )
    if entry.student.user_id != request.user.pk:
        raise Http404
    return entry


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, "leave")
    try:
        services.waitlist_leave(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You left the waitlist."))
    return redirect("counseling:my_bookings")


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_accept(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, "accept")
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offered_slot is None:
        messages.error(request, _("This offer is no longer open."))
        return redirect("counseling:my_bookings")
    form = BookingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.waitlist_accept(actor=request.user, entry=entry, **form.cleaned_data)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Your appointment is booked."))
                return redirect("counseling:my_bookings")
        else:
            messages.error(request, form_errors_text(form))
    slot = Slot.objects.select_related("counsellor").get(pk=entry.offered_slot_id)
    return render(
        request,
        "counseling/appointments/booking_form.html",
        {"slot": slot, "form": form, "entry": entry, "action": reverse("counseling:waitlist_accept", args=[pk])},
    )


# --- Counsellors: availability ----------------------------------------------------------------------------


@login_required
@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    counsellor = _counsellor_or_403(request)
    slot_rows = list(selectors.counsellor_slots(counsellor))
    return render(
        request,
        "counseling/appointments/availability.html",
        {
            "templates": list(selectors.templates_of(counsellor)),
            "slots": slot_rows,
            "blocked": list(selectors.blocked_days_of(counsellor)),
            "template_form": TemplateForm(auto_id="id_tpl_%s"),
            "slot_form": SlotForm(auto_id="id_slot_%s"),
            "blocked_form": BlockedDayForm(auto_id="id_block_%s"),
        },
    )


def _availability_post(request: HttpRequest, form: forms.Form, apply) -> HttpResponse:
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("counseling:availability")
    try:
        message = apply(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("counseling:availability")


@login_required
@require_POST
def template_add(request: HttpRequest) -> HttpResponse:
    counsellor = _counsellor_or_403(request)

    def apply(data: dict) -> str:
        services.availability_template_create(actor=counsellor, counsellor=counsellor, **data)
        return _("Weekly time added; its slots are published.")

    return _availability_post(request, TemplateForm(request.POST), apply)


@login_required
@require_POST
def template_stop(request: HttpRequest, pk: int) -> HttpResponse:
    _counsellor_or_403(request)
    template = access.get_for_user(request.user, AvailabilityTemplate, action="manage", pk=pk)
    withdrawn = services.availability_template_deactivate(actor=request.user, template=template)
    messages.success(request, _("Weekly time stopped; %(n)s open slots withdrawn.") % {"n": withdrawn})
    return redirect("counseling:availability")


@login_required
@require_POST
def slot_add(request: HttpRequest) -> HttpResponse:
    counsellor = _counsellor_or_403(request)

    def apply(data: dict) -> str:
        starts_at = timezone.make_aware(datetime.combine(data["day"], data["start_time"]))
        services.slot_create(
            actor=counsellor,
            counsellor=counsellor,
            starts_at=starts_at,
            length_minutes=data["length_minutes"],
            mode=data["mode"],
            location=data["location"],
        )
        return _("Slot published.")

    return _availability_post(request, SlotForm(request.POST), apply)


@login_required
@require_POST
def slot_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _counsellor_or_403(request)
    slot = access.get_for_user(request.user, Slot, action="manage", pk=pk)
    form = ReasonForm(request.POST)

    def apply(data: dict) -> str:
        services.slot_cancel(actor=request.user, slot=slot, reason=data["reason"])
        return _("Slot cancelled.")

    return _availability_post(request, form, apply)


@login_required
@require_POST
def blocked_day_add(request: HttpRequest) -> HttpResponse:
    counsellor = _counsellor_or_403(request)

    def apply(data: dict) -> str:
        _blocked, booked = services.blocked_day_add(
            actor=counsellor, counsellor=counsellor, day=data["day"], reason=data["reason"]
        )
        if booked:
            return _(
                "Day blocked. %(n)s booked appointments remain on that day: cancel them below if you cannot hold them."
            ) % {"n": booked}
        return _("Day blocked.")

    return _availability_post(request, BlockedDayForm(request.POST), apply)


@login_required
@require_POST
def blocked_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _counsellor_or_403(request)
    blocked = access.get_for_user(request.user, BlockedDay, action="manage", pk=pk)
    services.blocked_day_remove(actor=request.user, blocked=blocked)
    messages.success(request, _("Day unblocked."))
    return redirect("counseling:availability")


# --- Counsellors: agenda -----------------------------------------------------------------------------------


@login_required
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not appt_access.may_see_agenda(user):
        raise PermissionDenied
    period = request.GET.get("period", "today")
    if period not in ("today", "week", "past"):
        period = "today"
    counsellors = list(selectors.agenda_counsellors(user))
    counsellor_id = None
    raw = request.GET.get("counsellor", "")
    if raw.isdigit() and any(c.pk == int(raw) for c in counsellors):
        counsellor_id = int(raw)
    bookings = list(selectors.agenda_bookings(user, counsellor_id=counsellor_id, period=period))
    for booking in bookings:
        booking.show_reason = appt_access.may_read_reason(user, booking)
        booking.may_write_note = booking.slot.counsellor_id == user.pk
    return render(
        request,
        "counseling/appointments/agenda.html",
        {
            "period": period,
            "counsellors": counsellors if appt_access.sees_all_agendas(user) else [],
            "counsellor_id": counsellor_id,
            "bookings": bookings,
            "pending": list(selectors.bookings_awaiting_approval(user, counsellor_id=counsellor_id)),
            "restrictions": list(selectors.restrictions_visible(user)),
            "outcome_form": OutcomeForm(auto_id=False),
            "now": timezone.now(),
            "may_manage_availability": appt_access.may_manage_availability(user),
        },
    )


def _agenda_redirect(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("counseling:agenda")


@login_required
@require_POST
def booking_approve(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_for(request.user, pk, action="decide")
    try:
        services.booking_approve(actor=request.user, booking=booking)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Appointment confirmed."))
    return _agenda_redirect(request)


@login_required
@require_POST
def booking_decline(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_for(request.user, pk, action="decide")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _agenda_redirect(request)
    try:
        services.booking_decline(actor=request.user, booking=booking, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Request declined; the student was told."))
    return _agenda_redirect(request)


@login_required
@require_POST
def booking_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_for(request.user, pk, action="mark_outcome")
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _agenda_redirect(request)
    try:
        services.booking_mark_outcome(actor=request.user, booking=booking, outcome=form.cleaned_data["outcome"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Outcome recorded."))
    return _agenda_redirect(request)


@login_required
@require_POST
def restriction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = access.get_for_user(
        request.user, BookingRestriction.objects.select_related("student"), action="lift", pk=pk
    )
    try:
        services.booking_restriction_lift(actor=request.user, restriction=restriction)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Restriction lifted: the student's bookings are confirmed directly again."))
    return _agenda_redirect(request)
