"""Staff casework: the triage queue, the case page and its actions, assigned cases, the care e-file.

Views are thin: access (portal.access: 404 outside the scope, 403 when the action is not allowed)
→ form → service → redirect, or for htmx the form partial. A refused change (DomainError) comes back
as a form error on the page with a message, never a 500. Every action endpoint is POST only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from counseling import access as counseling_access
from counseling import selectors, services
from counseling.forms.casework import (
    OVERRIDE_CLEAR,
    AcknowledgeForm,
    ActionDoneForm,
    ActionForm,
    AssessmentForm,
    AssessorsForm,
    CareLevelOverrideForm,
    CareListFilterForm,
    LevelForm,
    MatchForm,
    NoteForm,
    OwnerForm,
    QuestionForm,
    QueueFilterForm,
    StatusForm,
    TouchpointForm,
)
from counseling.forms.visits import WITHDRAW, VisitRecommendationForm
from counseling.models import Assessment, Case, CaseEvent, InterventionAction, Level, Report
from portal import access
from portal.audit import audit_log
from portal.kernel.workflow import available_moves
from portal.models import Student, User
from portal.services import DomainError

PAGE_SIZE = 50

# --- Panels: one form per action, shown on the case page and returned alone to htmx ------------------


@dataclass(frozen=True)
class PanelSpec:
    url_name: str
    title: Promise
    submit: Promise
    inline: bool = False  # shown open in its place (a button), not folded in a <details>


PANELS: dict[str, PanelSpec] = {
    "acknowledge": PanelSpec("counseling:case_acknowledge", gettext_lazy("Acknowledge"), gettext_lazy("Acknowledge")),
    "level": PanelSpec("counseling:case_level", gettext_lazy("Set the level"), gettext_lazy("Save level")),
    "owner": PanelSpec("counseling:case_owner", gettext_lazy("Assign an owner"), gettext_lazy("Assign")),
    "touchpoint": PanelSpec(
        "counseling:case_touchpoint", gettext_lazy("Set the next touchpoint"), gettext_lazy("Save date")
    ),
    "status": PanelSpec("counseling:case_status", gettext_lazy("Change the status"), gettext_lazy("Change status")),
    "note": PanelSpec("counseling:case_note", gettext_lazy("Add a note"), gettext_lazy("Add note")),
    "assessors": PanelSpec(
        "counseling:case_assessors", gettext_lazy("Assign the assessment group"), gettext_lazy("Assign")
    ),
    "assessment": PanelSpec(
        "counseling:case_assessment", gettext_lazy("Record an assessment"), gettext_lazy("Save assessment")
    ),
    "action": PanelSpec(
        "counseling:case_action_add", gettext_lazy("Add an intervention action"), gettext_lazy("Add action")
    ),
    "match": PanelSpec("counseling:case_match", gettext_lazy("Match the student"), gettext_lazy("Match")),
    "ask": PanelSpec("counseling:report_ask", gettext_lazy("Ask the reporter a question"), gettext_lazy("Send")),
    "done": PanelSpec("counseling:action_done", gettext_lazy("Mark done"), gettext_lazy("Mark done")),
    "override": PanelSpec(
        "counseling:care_level_override", gettext_lazy("Set the care level by hand"), gettext_lazy("Save level")
    ),
    "visit": PanelSpec("counseling:visit_recommendation", gettext_lazy("Recommend a home visit"), gettext_lazy("Save")),
}


def _key(kind: str, obj_pk: int) -> str:
    """Panels repeated per report or per action carry the object's id in their key."""
    return f"{kind}-{obj_pk}" if kind in ("ask", "done") else kind


def _auto_id(kind: str, obj_pk: int) -> str:
    """Field ids unique on the page, which holds many forms with fields of the same name."""
    return f"id_{_key(kind, obj_pk)}_%s"


def _panel(kind: str, form: forms.Form, obj_pk: int) -> dict[str, Any]:
    """Everything the form partial needs: its own id (the htmx target), action URL, labels."""
    spec = PANELS[kind]
    key = _key(kind, obj_pk)
    return {
        "key": key,
        "form": form,
        "url": reverse(spec.url_name, args=[obj_pk]),
        "title": spec.title,
        "submit": spec.submit,
        "open": form.is_bound,
        "inline": kind in ("acknowledge",),
    }


def _form_for(kind: str, form_class: type[forms.Form], obj_pk: int, bound: tuple[str, forms.Form] | None, **kw: Any):
    """The bound form (with its errors) for the panel that was just posted, else a fresh one."""
    if bound is not None and bound[0] == _key(kind, obj_pk):
        return bound[1]
    return form_class(auto_id=_auto_id(kind, obj_pk), **kw)


# --- Triage queue ------------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not counseling_access.may_triage(user):
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    cases = selectors.triage_queue(
        user,
        level=filters.get("level"),
        status=filters.get("status") or None,
        overdue=bool(filters.get("overdue")),
        query=filters.get("q") or "",
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    holds_waiting = selectors.holds_waiting() if counseling_access.may_review_holds(user) else 0
    return render(request, "counseling/queue.html", {"form": form, "page": page, "holds_waiting": holds_waiting})


@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not counseling_access.is_counselling_staff(user):
        raise PermissionDenied
    return render(
        request,
        "counseling/my_cases.html",
        {
            "cases": selectors.my_assigned_cases(user),
            "actions": selectors.my_open_actions(user),
            "today": timezone.localdate(),
        },
    )


# --- The case page -----------------------------------------------------------------------------------


def _case_qs() -> QuerySet[Case]:
    return Case.objects.select_related("student", "student__class_group", "student__room", "college", "owner")


def _status_choices(user: User, case: Case) -> list[tuple[str, str]]:
    """Only the moves Case.flow allows from here that this user's role may make."""
    return list(available_moves(case, user))


def _action_owner_candidates(case: Case, owners: list[User] | None = None) -> list[User]:
    seen = {u.pk: u for u in (services.owner_candidates(case) if owners is None else owners)}
    seen.update({u.pk: u for u in case.assessors.all()})
    return list(seen.values())


def _event_summary(event: CaseEvent, names: dict[int, str]) -> str:
    """A line for the timeline from the event's non-sensitive facts."""
    data, kind = event.data or {}, event.kind
    statuses = dict(Case.Status.choices)
    if kind == CaseEvent.Kind.CREATED:
        return _("level %(level)s") % {"level": data.get("level", "?")}
    if kind == CaseEvent.Kind.LEVEL:
        text = _("level %(from)s → %(to)s") % {"from": data.get("from", "?"), "to": data.get("to", "?")}
        if data.get("self_harm"):
            text += " · " + _("self-harm %(level)s") % {"level": data["self_harm"]}
        if data.get("others"):
            text += " · " + _("harm to others %(level)s") % {"level": data["others"]}
        return text
    if kind in (CaseEvent.Kind.STATUS, CaseEvent.Kind.ACKNOWLEDGED):
        text = f"{statuses.get(data.get('from'), '?')} → {statuses.get(data.get('to'), '?')}"
        if data.get("reason"):
            text += " · " + str(dict(Case.CloseReason.choices).get(data["reason"], data["reason"]))
        return text
    if kind == CaseEvent.Kind.OWNER:
        return str(data.get("owner_name") or names.get(data.get("owner"), ""))
    if kind == CaseEvent.Kind.ASSESSORS:
        return ", ".join(names.get(pk, "?") for pk in data.get("assessors", []))
    if kind == CaseEvent.Kind.TOUCHPOINT:
        return str(data.get("on", ""))
    if kind == CaseEvent.Kind.ACTION:
        label = str(dict(InterventionAction.Kind.choices).get(data.get("kind"), ""))
        if data.get("done"):
            return _("%(action)s: done") % {"action": label}
        return _("%(action)s, due %(due)s") % {"action": label, "due": data.get("due", "")}
    if kind == CaseEvent.Kind.ASSESSMENT:
        return str(dict(Assessment.Conclusion.choices).get(data.get("conclusion"), ""))
    if kind == CaseEvent.Kind.ESCALATION:
        if data.get("why") == "touchpoint_overdue":
            return _("next touchpoint overdue")
        return _("not acknowledged in time (stage %(stage)s)") % {"stage": data.get("stage", "?")}
    return ""


REPORTS_SHOWN = 50
EVENTS_SHOWN = 100


def _latest(queryset: QuerySet, newest_first: tuple[str, ...], limit: int, show_all: bool) -> tuple[list, bool]:
    """The last `limit` rows in the queryset's own (oldest first) order, and whether older ones were left out."""
    if show_all:
        return list(queryset), False
    rows = list(queryset.order_by(*newest_first)[: limit + 1])
    return rows[:limit][::-1], len(rows) > limit


def _first_subject(case: Case, reports: list[Report], more_reports: bool) -> str:
    """The student as the first report named them (shown while the case is unmatched), as the queue shows it."""
    if more_reports and case.student_id is None:
        return case.reports.order_by("created_at", "pk").values_list("subject_given", flat=True).first() or ""
    return reports[0].subject_given if reports else ""


def _case_page(
    request: HttpRequest, case: Case, *, bound: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    owner_candidates: list[list[User]] = []

    def owners() -> list[User]:
        """The owner panel and the action panel offer the same people: looked up once."""
        if not owner_candidates:
            owner_candidates.append(list(services.owner_candidates(case)))
        return owner_candidates[0]

    allowed = {
        name: access.can(user, name, case)
        for name in (
            "acknowledge",
            "set_level",
            "assign_owner",
            "touchpoint",
            "ask_reporter",
            "assign_assessors",
            "note",
            "assess",
            "add_action",
            "match_student",
        )
    }
    # A case can collect hundreds of reports (a flood about one student): the page shows the latest ones unless
    # asked for all (and all when a form is shown again with its errors, which may belong to an older report).
    show_all = request.GET.get("all") == "1" or bound is not None
    reports, more_reports = _latest(selectors.case_reports(case), ("-created_at", "-pk"), REPORTS_SHOWN, show_all)
    actions = list(selectors.case_actions(case))
    assessments = list(selectors.case_assessments(case))
    events, more_events = _latest(selectors.case_timeline(case), ("-at", "-id"), EVENTS_SHOWN, show_all)
    assessors = list(case.assessors.all())
    user_ids = {pk for e in events for pk in e.data.get("assessors", [])} if events else set()
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    timeline = [{"event": e, "summary": _event_summary(e, names)} for e in events]

    def shown(key: str, condition: bool) -> bool:
        # A form just posted is always shown again with its errors, even when the case moved on meanwhile.
        return condition or (bound is not None and bound[0] == key)

    panels: list[dict[str, Any]] = []
    is_open = case.is_open
    if shown("acknowledge", allowed["acknowledge"] and case.status == Case.Status.NEW):
        panels.append(_panel("acknowledge", _form_for("acknowledge", AcknowledgeForm, case.pk, bound), case.pk))
    status_choices = _status_choices(user, case) if case.status != Case.Status.NEW else []
    if shown("status", bool(status_choices)):
        form = _form_for("status", StatusForm, case.pk, bound, choices=status_choices)
        panels.append(_panel("status", form, case.pk))
    if shown("level", allowed["set_level"] and is_open):
        initial = {
            "level": case.level,
            "self_harm_level": case.self_harm_level,
            "others_harm_level": case.others_harm_level,
        }
        panels.append(_panel("level", _form_for("level", LevelForm, case.pk, bound, initial=initial), case.pk))
    if shown("owner", allowed["assign_owner"] and is_open):
        form = _form_for(
            "owner",
            OwnerForm,
            case.pk,
            bound,
            candidates=owners(),
            initial={"owner": case.owner_id},
        )
        panels.append(_panel("owner", form, case.pk))
    if shown("touchpoint", allowed["touchpoint"] and is_open):
        form = _form_for("touchpoint", TouchpointForm, case.pk, bound, initial={"on": case.next_touchpoint})
        panels.append(_panel("touchpoint", form, case.pk))
    if shown("note", allowed["note"]):
        panels.append(_panel("note", _form_for("note", NoteForm, case.pk, bound), case.pk))
    if shown("assessors", allowed["assign_assessors"] and is_open):
        form = _form_for(
            "assessors",
            AssessorsForm,
            case.pk,
            bound,
            candidates=selectors.assessor_candidates(),
            initial={"assessors": [u.pk for u in assessors]},
        )
        panels.append(_panel("assessors", form, case.pk))
    if shown("assessment", allowed["assess"] and is_open):
        panels.append(_panel("assessment", _form_for("assessment", AssessmentForm, case.pk, bound), case.pk))
    if shown("action", allowed["add_action"] and is_open):
        form = _form_for("action", ActionForm, case.pk, bound, candidates=_action_owner_candidates(case, owners()))
        panels.append(_panel("action", form, case.pk))
    if shown("match", allowed["match_student"] and case.student_id is None):
        panels.append(_panel("match", _form_for("match", MatchForm, case.pk, bound), case.pk))

    for report in reports:
        report.ask_panel = (
            _panel("ask", _form_for("ask", QuestionForm, report.pk, bound), report.pk)
            if shown(_key("ask", report.pk), allowed["ask_reporter"])
            else None
        )
    for action in actions:
        may_complete = action.status == InterventionAction.Status.OPEN and (
            action.owner_id == user.pk or allowed["add_action"]
        )
        action.done_panel = (
            _panel("done", _form_for("done", ActionDoneForm, action.pk, bound), action.pk)
            if shown(_key("done", action.pk), may_complete)
            else None
        )

    may_open_care_file = (
        case.student_id is not None and counseling_access.care_file_students(user).filter(pk=case.student_id).exists()
    )
    context = {
        "case": case,
        "reports": reports,
        "actions": actions,
        "assessments": assessments,
        "timeline": timeline,
        "assessors": assessors,
        "panels": panels,
        "subject_given": _first_subject(case, reports, more_reports),
        "more_reports": more_reports,
        "more_events": more_events,
        "may_open_care_file": may_open_care_file,
    }
    return render(request, "counseling/case_detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)  # 404 outside the scope; the read is audited
    services.case_reports_seen(actor=request.user, case=case)  # the page shows every report on the case
    return _case_page(request, case)


def _done(request: HttpRequest, case_pk: int, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("counseling:case_detail", args=[case_pk])
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _refused(request: HttpRequest, case: Case, kind: str, form: forms.Form, obj_pk: int) -> HttpResponse:
    """Bad input or a refused change: the form again with its errors, nothing changed."""
    if request.htmx:
        return render(request, "counseling/partials/case_form.html", {"panel": _panel(kind, form, obj_pk)})
    messages.error(request, _("Nothing was changed: correct the form below."))
    audit_log(actor=request.user, action="read", obj=case)  # the page shows the case again
    return _case_page(request, case, bound=(_key(kind, obj_pk), form))


def _case_action(
    request: HttpRequest,
    pk: int,
    *,
    kind: str,
    permission: str,
    form_class: type[forms.Form],
    apply: Callable[[Case, dict[str, Any]], str],
    form_kwargs: Callable[[Case], dict[str, Any]] | None = None,
) -> HttpResponse:
    """The shape of every case action: access (404/403) → form → service → redirect or the form again."""
    case = access.get_for_user(request.user, _case_qs(), action=permission, pk=pk, audit=False)
    form = form_class(request.POST, auto_id=_auto_id(kind, case.pk), **(form_kwargs(case) if form_kwargs else {}))
    if form.is_valid():
        try:
            message = apply(case, form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case.pk, message)
    return _refused(request, case, kind, form, case.pk)


@login_required
@require_POST
def case_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_acknowledge(actor=request.user, case=case)
        return _("Case acknowledged.")

    return _case_action(
        request, pk, kind="acknowledge", permission="acknowledge", form_class=AcknowledgeForm, apply=apply
    )


@login_required
@require_POST
def case_level(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_set_level(
            actor=request.user,
            case=case,
            level=data["level"],
            self_harm_level=data["self_harm_level"],
            others_harm_level=data["others_harm_level"],
            reason=data["reason"],
        )
        return _("Level saved.")

    return _case_action(request, pk, kind="level", permission="set_level", form_class=LevelForm, apply=apply)


@login_required
@require_POST
def case_owner(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_assign_owner(actor=request.user, case=case, owner=data["owner"])
        return _("Owner assigned.")

    return _case_action(
        request,
        pk,
        kind="owner",
        permission="assign_owner",
        form_class=OwnerForm,
        apply=apply,
        form_kwargs=lambda case: {"candidates": services.owner_candidates(case)},
    )


@login_required
@require_POST
def case_touchpoint(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_set_touchpoint(actor=request.user, case=case, on=data["on"], note=data["note"].strip())
        return _("Next touchpoint saved.")

    return _case_action(request, pk, kind="touchpoint", permission="touchpoint", form_class=TouchpointForm, apply=apply)


@login_required
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Assigned assessors may move some statuses without the triage permission, so access here is:
    visible (else 404) and at least one move allowed for this user from the current status (else 403)."""
    user = request.user
    case = access.get_for_user(user, _case_qs(), pk=pk, audit=False)
    choices = _status_choices(user, case)
    if not choices:
        raise PermissionDenied
    form = StatusForm(request.POST, choices=choices, auto_id=_auto_id("status", case.pk))
    if form.is_valid():
        try:
            services.case_transition(
                actor=user,
                case=case,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"] or "",
                note=form.cleaned_data["note"].strip(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case.pk, _("Status changed."))
    elif "to_status" in form.errors and request.POST.get("to_status") in Case.Status.values:
        form.errors["to_status"] = form.error_class(
            [_("This change is not possible from the current status, or your role may not make it.")]
        )
    return _refused(request, case, "status", form, case.pk)


@login_required
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_add_note(actor=request.user, case=case, note=data["note"])
        return _("Note added.")

    return _case_action(request, pk, kind="note", permission="note", form_class=NoteForm, apply=apply)


@login_required
@require_POST
def case_assessors(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.case_assign_assessors(actor=request.user, case=case, assessors=data["assessors"])
        return _("Assessment group assigned.")

    return _case_action(
        request,
        pk,
        kind="assessors",
        permission="assign_assessors",
        form_class=AssessorsForm,
        apply=apply,
        form_kwargs=lambda case: {"candidates": selectors.assessor_candidates()},
    )


@login_required
@require_POST
def case_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        services.assessment_record(
            actor=request.user,
            case=case,
            risk_factors=data["risk_factors"],
            protective_factors=data["protective_factors"],
            conclusion=data["conclusion"],
            conclusion_note=data["conclusion_note"],
        )
        return _("Assessment recorded.")

    return _case_action(request, pk, kind="assessment", permission="assess", form_class=AssessmentForm, apply=apply)


@login_required
@require_POST
def case_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        hospital = data["kind"] == InterventionAction.Kind.HOSPITAL
        services.action_add(
            actor=request.user,
            case=case,
            kind=data["kind"],
            owner=data["owner"],
            due_date=data["due_date"],
            hospital=data["hospital"] if hospital else "",
            referral_date=data["referral_date"] if hospital else None,
            note=data["note"],
        )
        return _("Action added to the intervention plan.")

    return _case_action(
        request,
        pk,
        kind="action",
        permission="add_action",
        form_class=ActionForm,
        apply=apply,
        form_kwargs=lambda case: {"candidates": _action_owner_candidates(case)},
    )


@login_required
@require_POST
def case_match(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(case: Case, data: dict[str, Any]) -> str:
        student = selectors.student_for_matching(request.user, data["student_no"])
        if student is None:
            raise DomainError(_("No student has this number."))
        services.case_match_student(actor=request.user, case=case, student=student)
        return _("The case is now linked to %(name)s (%(no)s).") % {"name": student.name, "no": student.student_no}

    return _case_action(request, pk, kind="match", permission="match_student", form_class=MatchForm, apply=apply)


@login_required
@require_POST
def report_ask(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    report = access.get_for_user(user, Report.objects.all(), pk=pk, audit=False)
    case = _case_qs().get(pk=report.case_id)
    if not access.can(user, "ask_reporter", case):
        raise PermissionDenied
    form = QuestionForm(request.POST, auto_id=_auto_id("ask", report.pk))
    if form.is_valid():
        try:
            services.reporter_question_ask(actor=user, report=report, question=form.cleaned_data["question"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case.pk, _("Question sent to the reporter."))
    return _refused(request, case, "ask", form, report.pk)


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    action = access.get_for_user(user, InterventionAction.objects.all(), action="complete", pk=pk, audit=False)
    case = _case_qs().get(pk=action.case_id)
    form = ActionDoneForm(request.POST, auto_id=_auto_id("done", action.pk))
    if form.is_valid():
        try:
            services.action_complete(actor=user, action=action, outcome=form.cleaned_data["outcome"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case.pk, _("Action marked done."))
    return _refused(request, case, "done", form, action.pk)


# --- Care e-files --------------------------------------------------------------------------------------


def _require_care_role(user: User) -> None:
    """Roles that can never see a care file get 403; out-of-scope students are 404 further on."""
    if counseling_access.care_file_students_q(user) is None:
        raise PermissionDenied


@login_required
@require_GET
def care_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_care_role(user)
    form = CareListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    students = selectors.care_file_students_for_list(
        user, query=filters.get("q") or "", on_care_list=not filters.get("everyone")
    )
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "counseling/care_list.html", {"form": form, "page": page})


def _care_page(
    request: HttpRequest,
    student: Student,
    *,
    form: CareLevelOverrideForm | None = None,
    visit_form: VisitRecommendationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    file = selectors.care_file(student)
    today = timezone.localdate()
    open_cases = [c for c in file.cases if c.is_open]
    # One history, newest first: level changes in the cases and the levels set by hand.
    history = [{"at": e.at, "event": e} for e in file.level_history]
    history += [{"at": o.set_at, "override": o} for o in file.overrides]
    history.sort(key=lambda item: item["at"], reverse=True)
    override_panel = None
    if counseling_access.may_override_care_level(user, student):
        override_panel = _panel(
            "override", form or CareLevelOverrideForm(auto_id=_auto_id("override", student.pk)), student.pk
        )
    visit_panel = None
    if counseling_access.may_recommend_visit(user, student):
        visit_panel = _panel(
            "visit", visit_form or VisitRecommendationForm(auto_id=_auto_id("visit", student.pk)), student.pk
        )
    return render(
        request,
        "counseling/care_file.html",
        {
            "student": student,
            "file": file,
            "open_cases": open_cases,
            "level_history": history,
            "open_actions": [a for a in file.actions if a.status == InterventionAction.Status.OPEN],
            "today": today,
            "override_panel": override_panel,
            "visit_recommendation": selectors.active_visit_recommendation(student),
            "visit_panel": visit_panel,
            "levels": Level,
        },
        status=status,
    )


@login_required
@require_GET
def care_file(request: HttpRequest, pk: int) -> HttpResponse:
    _require_care_role(request.user)
    student = selectors.care_file_student(request.user, pk)  # 404 outside the scope; audited
    return _care_page(request, student)


def _care_action(
    request: HttpRequest,
    pk: int,
    *,
    kind: str,
    may: Callable[[User, Student], bool],
    form_class: type[forms.Form],
    apply: Callable[[Student, Any], None],
    saved: str,
    page_form: str,
    failed_status: int,
) -> HttpResponse:
    """The shape of every care-file action: scope (404) → permission (403) → form → service → back to the
    file, or the form again with its errors (the htmx panel, or the whole file: an audited read)."""
    user = request.user
    _require_care_role(user)
    student = counseling_access.care_file_students(user).filter(pk=pk).first()
    if student is None:
        raise Http404
    if not may(user, student):
        raise PermissionDenied
    form = form_class(request.POST, auto_id=_auto_id(kind, student.pk))
    if form.is_valid():
        try:
            apply(student, form)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, saved)
            url = reverse("counseling:care_file", args=[student.pk])
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
    if request.htmx:
        return render(request, "counseling/partials/case_form.html", {"panel": _panel(kind, form, student.pk)})
    messages.error(request, _("Nothing was changed: correct the form below."))
    student = selectors.care_file_student(user, pk)  # the page shows the file again: audited
    return _care_page(request, student, status=failed_status, **{page_form: form})


@login_required
@require_POST
def care_level_override(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user

    def apply(student: Student, form: CareLevelOverrideForm) -> None:
        if form.cleaned_data["level"] == OVERRIDE_CLEAR:
            services.care_level_override_clear(actor=user, student=student)
        else:
            services.care_level_override_set(
                actor=user, student=student, level=form.level_value(), reason=form.cleaned_data["reason"]
            )

    return _care_action(
        request,
        pk,
        kind="override",
        may=counseling_access.may_override_care_level,
        form_class=CareLevelOverrideForm,
        apply=apply,
        saved=_("Care level saved."),
        page_form="form",
        failed_status=200,
    )


@login_required
@require_POST
def visit_recommendation(request: HttpRequest, pk: int) -> HttpResponse:
    """Recommend the student for a home visit (the reason stays in counselling) or withdraw it."""
    user = request.user

    def apply(student: Student, form: VisitRecommendationForm) -> None:
        if form.cleaned_data["decision"] == WITHDRAW:
            services.visit_recommendation_withdraw(actor=user, student=student)
        else:
            services.visit_recommendation_set(actor=user, student=student, reason=form.cleaned_data["reason"])

    return _care_action(
        request,
        pk,
        kind="visit",
        may=counseling_access.may_recommend_visit,
        form_class=VisitRecommendationForm,
        apply=apply,
        saved=_("Home-visit recommendation saved."),
        page_form="visit_form",
        failed_status=400,
    )
