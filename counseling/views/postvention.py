"""Postvention pages: the centre's and the station's plans and progress, and each assignee's own check-ins.

Views are thin: access (404 outside the scope, 403 when not allowed) → form → service → redirect; a refused
change comes back as a form error. The plan pages name the index student and are audited reads; the check-in
pages (`my_checkins`, the outcome partial) are built from counseling.selectors.postvention.my_checkins only and
never name the index student, the case, its level or the incident.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from counseling import access as counseling_access
from counseling import selectors, services
from counseling.forms.postvention import (
    CheckInAssignForm,
    CheckInOutcomeForm,
    ContactForm,
    IncidentForm,
    PlanOpenForm,
    SuggestedContactsForm,
)
from counseling.models import Case, CheckIn, PostventionContact, PostventionPlan
from portal import access
from portal.audit import audit_log
from portal.models import Student
from portal.services import DomainError

DONE_SHOWN = 20


def _auto_id(key: str) -> str:
    return f"id_{key}_%s"


# --- The progress list ---------------------------------------------------------------------------------------


@login_required
@require_GET
def postvention_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not counseling_access.may_see_postvention(user):
        raise PermissionDenied
    closed = request.GET.get("status") == "closed"
    plans = selectors.plans_for_progress(user, status="closed" if closed else "open")[:200]
    manage = counseling_access.may_manage_postvention(user)
    return render(
        request,
        "counseling/postvention/list.html",
        {
            "plans": plans,
            "closed": closed,
            "manage": manage,
            "open_form": PlanOpenForm(auto_id=_auto_id("open")) if manage else None,
        },
    )


@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    """Record a critical incident; its plan opens at once."""
    user = request.user
    if not counseling_access.may_manage_postvention(user):
        raise PermissionDenied
    form = IncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        student = case = None
        if data["student_no"]:
            student = access.visible(user, Student).filter(student_no=data["student_no"].strip()).first()
            if student is None:
                form.add_error("student_no", _("No student has this number."))
        if data["case_number"]:
            case = access.visible(user, Case).filter(pk=data["case_number"]).first()
            if case is None:
                form.add_error("case_number", _("No case has this number."))
        if not form.errors:
            try:
                incident = services.incident_record(
                    actor=user,
                    kind=data["kind"],
                    occurred_on=data["occurred_on"],
                    narrative=data["narrative"],
                    student=student,
                    case=case,
                )
                plan, _created = services.postvention_plan_open(actor=user, incident=incident)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The incident was recorded and its postvention plan opened."))
                return redirect("counseling:postvention_plan", pk=plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "counseling/postvention/incident_form.html", {"form": form}, status=status)


@login_required
@require_POST
def postvention_open(request: HttpRequest) -> HttpResponse:
    """Open (or find) the plan of a level-4 case, by its number."""
    user = request.user
    if not counseling_access.may_manage_postvention(user):
        raise PermissionDenied
    form = PlanOpenForm(request.POST, auto_id=_auto_id("open"))
    if form.is_valid():
        case = access.visible(user, Case).filter(pk=form.cleaned_data["case_number"]).first()
        if case is None:
            form.add_error("case_number", _("No case has this number."))
        else:
            try:
                plan, created = services.postvention_plan_open(actor=user, case=case)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Postvention plan opened.") if created else _("This plan is already open."))
                return redirect("counseling:postvention_plan", pk=plan.pk)
    plans = selectors.plans_for_progress(user)[:200]
    return render(
        request,
        "counseling/postvention/list.html",
        {"plans": plans, "closed": False, "manage": True, "open_form": form},
        status=400,
    )


# --- A plan --------------------------------------------------------------------------------------------------


def _plan_page(
    request: HttpRequest, plan: PostventionPlan, *, bound: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    manage = plan.is_open and access.can(user, "manage", plan)
    contacts = list(selectors.plan_contacts(plan))

    def form_for(key: str, factory: Any) -> forms.Form:
        return bound[1] if bound is not None and bound[0] == key else factory()

    candidates = list(selectors.checkin_candidates(plan)) if manage else []
    today = timezone.localdate()
    for contact in contacts:
        contact.assign_form = (
            form_for(
                f"assign-{contact.pk}",
                lambda c=contact: CheckInAssignForm(auto_id=_auto_id(f"assign-{c.pk}"), candidates=candidates),
            )
            if manage
            else None
        )
        contact.assign_open = bound is not None and bound[0] == f"assign-{contact.pk}"
    checkins = [c for contact in contacts for c in contact.checkins.all()]
    # A worried check-in links to its report's case when the reader may open it (a contact from another college
    # has their report in that college's queue, which this station cannot open).
    report_cases = {c.report.case_id for c in checkins if c.report_id}
    openable = set(access.visible(user, Case).filter(pk__in=report_cases).values_list("pk", flat=True))
    for checkin in checkins:
        checkin.report_openable = checkin.report_id is not None and checkin.report.case_id in openable
    context = {
        "plan": plan,
        "contacts": contacts,
        "manage": manage,
        "today": today,
        "n_checkins": len(checkins),
        "n_done": sum(1 for c in checkins if c.status == CheckIn.Status.DONE),
        "n_worried": sum(1 for c in checkins if c.outcome == CheckIn.Outcome.WORRIED),
        "n_overdue": sum(1 for c in checkins if c.is_overdue),
        "may_open_case": plan.case_id is not None and access.visible(user, Case).filter(pk=plan.case_id).exists(),
    }
    if manage:
        context["suggested_form"] = form_for(
            "suggested",
            lambda: SuggestedContactsForm(
                auto_id=_auto_id("suggested"), suggestions=selectors.contact_suggestions(plan)
            ),
        )
        context["contact_form"] = form_for("contact", lambda: ContactForm(auto_id=_auto_id("contact")))
        context["bound_key"] = bound[0] if bound else ""
    return render(request, "counseling/postvention/plan.html", context, status=status)


@login_required
@require_GET
def postvention_plan(request: HttpRequest, pk: int) -> HttpResponse:
    if not counseling_access.may_see_postvention(request.user):
        raise PermissionDenied
    plan = selectors.plan_detail(request.user, pk)  # 404 outside the scope; the read is audited
    return _plan_page(request, plan)


def _plan_for_change(request: HttpRequest, pk: int) -> PostventionPlan:
    return access.get_for_user(
        request.user, PostventionPlan.objects.select_related("student", "case"), action="manage", pk=pk, audit=False
    )


def _saved(request: HttpRequest, plan: PostventionPlan, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("counseling:postvention_plan", pk=plan.pk)


def _refused(request: HttpRequest, plan: PostventionPlan, key: str, form: forms.Form) -> HttpResponse:
    messages.error(request, _("Nothing was changed: correct the form below."))
    audit_log(actor=request.user, action="read", obj=plan)  # the page shows the plan again
    return _plan_page(request, plan, bound=(key, form), status=400)


@login_required
@require_POST
def plan_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = ContactForm(request.POST, auto_id=_auto_id("contact"))
    if form.is_valid():
        data = form.cleaned_data
        student = None
        if data["student_no"]:
            student = access.visible(request.user, Student).filter(student_no=data["student_no"]).first()
            if student is None:
                form.add_error("student_no", _("No student has this number."))
        if not form.errors:
            try:
                services.postvention_contact_add(
                    actor=request.user, plan=plan, relation=data["relation"], student=student, name=data["name"]
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                return _saved(request, plan, _("Added to the plan."))
    return _refused(request, plan, "contact", form)


@login_required
@require_POST
def plan_contacts_suggested(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = SuggestedContactsForm(
        request.POST, auto_id=_auto_id("suggested"), suggestions=selectors.contact_suggestions(plan)
    )
    if form.is_valid():
        added = 0
        try:
            for student_pk in form.cleaned_data["students"]:
                suggestion = form.suggestions[student_pk]
                services.postvention_contact_add(
                    actor=request.user, plan=plan, relation=suggestion.relation, student=suggestion.student
                )
                added += 1
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("%(count)s people were added to the plan.") % {"count": added})
    return _refused(request, plan, "suggested", form)


@login_required
@require_POST
def contact_checkin_assign(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_for_user(
        request.user, PostventionContact.objects.select_related("plan", "student"), action="assign", pk=pk, audit=False
    )
    plan = contact.plan
    key = f"assign-{contact.pk}"
    form = CheckInAssignForm(request.POST, auto_id=_auto_id(key), candidates=list(selectors.checkin_candidates(plan)))
    if form.is_valid():
        try:
            services.checkin_assign(
                actor=request.user,
                contact=contact,
                assignee=form.cleaned_data["assignee"],
                due_on=form.cleaned_data["due_on"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, _("Check-in assigned."))
    plan = selectors.plan_detail(request.user, plan.pk)  # the page shows the plan again: audited
    messages.error(request, _("Nothing was changed: correct the form below."))
    return _plan_page(request, plan, bound=(key, form), status=400)


@login_required
@require_POST
def plan_close(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    try:
        services.postvention_plan_close(actor=request.user, plan=plan)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The plan was closed."))
    return redirect("counseling:postvention_plan", pk=plan.pk)


# --- The assignee's side: my check-ins -----------------------------------------------------------------------


def _checkin_card(checkin: CheckIn, form: CheckInOutcomeForm | None = None) -> dict[str, Any]:
    return {
        "checkin": checkin,
        "form": form or CheckInOutcomeForm(auto_id=_auto_id(f"checkin-{checkin.pk}")),
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def my_checkins(request: HttpRequest) -> HttpResponse:
    """The person to check and a generic script; nothing about why. Reading one's own list is audited."""
    user = request.user
    if not counseling_access.may_do_checkins(user):
        raise PermissionDenied
    todo = list(selectors.my_checkins(user))
    done = list(selectors.my_checkins(user, done=True).order_by("-done_at", "-pk")[:DONE_SHOWN])
    if todo:
        audit_log(actor=user, action="postvention.checkins_read", obj=user, changes={"checkins": [c.pk for c in todo]})
    return render(
        request,
        "counseling/postvention/my_checkins.html",
        {"cards": [_checkin_card(c) for c in todo], "done": done},
    )


@login_required
@require_POST
def checkin_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    checkin = access.get_for_user(user, CheckIn.objects.all(), action="record", pk=pk, audit=False)
    form = CheckInOutcomeForm(request.POST, auto_id=_auto_id(f"checkin-{checkin.pk}"))
    if form.is_valid():
        try:
            checkin, _changed = services.checkin_record(
                actor=user, checkin=checkin, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if checkin.outcome == CheckIn.Outcome.WORRIED:
                message = _("Thank you. A report was sent to the counsellors; they will follow up.")
            else:
                message = _("Thank you. The check-in is recorded.")
            if request.htmx:
                return render(
                    request, "counseling/postvention/partials/checkin_done.html", {"message": message}, status=200
                )
            messages.success(request, message)
            return redirect(_back(request, checkin))
    row = selectors.my_checkins(user).filter(pk=checkin.pk).first()
    if request.htmx and row is not None:
        return render(request, "counseling/postvention/partials/checkin_card.html", _checkin_card(row, form))
    messages.error(request, " ".join(str(e) for e in form.non_field_errors()) or _("Choose how the person is."))
    return redirect(_back(request, checkin))


def _back(request: HttpRequest, checkin: CheckIn) -> str:
    """The assignee goes back to their list; the centre recording for someone else to the plan."""
    if checkin.assignee_id == request.user.pk:
        return reverse("counseling:my_checkins")
    plan_id = PostventionContact.objects.filter(pk=checkin.contact_id).values_list("plan_id", flat=True).first()
    return reverse("counseling:postvention_plan", args=[plan_id])


__all__ = [
    "checkin_outcome",
    "contact_checkin_assign",
    "incident_new",
    "my_checkins",
    "plan_close",
    "plan_contact_add",
    "plan_contacts_suggested",
    "postvention_list",
    "postvention_open",
    "postvention_plan",
]
