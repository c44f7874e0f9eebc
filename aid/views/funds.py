"""Pages of funds, programmes, applications and payments.

Who may open what (403 outside the role, 404 for an object outside the user's scope):
- programme_list, programme_apply, payment_bank_account: students (their own record only).
- application_detail: the student (own), the college's aid reviewer, aid officers, admins (audited read).
- application_action: POST only; each action needs its permission (see aid/access/funds.py).
- application_queue: aid reviewers (their colleges) and officers.
- application_list, fund_*, programme_manage/edit/quota, batch_*, payment_returned: aid officers and admins.
Every action is POST; a refused step (DomainError) is shown as a message, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aid import access, eligibility, exports
from aid import selectors as aid_selectors
from aid.forms.funds import (
    ApplicationFilterForm,
    ApplyForm,
    BankAccountForm,
    BatchForm,
    CommitForm,
    FundEditForm,
    FundForm,
    ProgrammeForm,
    QuotaForm,
    ReasonForm,
    ScheduleForm,
)
from aid.models import AcademicYear, Application, BankAccount, Payment, PaymentBatch, Programme
from aid.selectors import funds as selectors
from aid.services import funds as services
from portal.access import can, get_for_user
from portal.forms import form_errors_text
from portal.kernel.spreadsheets import xlsx_response
from portal.kernel.workflow import available_moves
from portal.models import Student
from portal.services import DomainError

PAGE_SIZE = 50
S = Application.Status


def _current_year() -> AcademicYear | None:
    return selectors.academic_year_current()


def _require_student(request: HttpRequest) -> Student:
    student = access.own_student(request.user)
    if student is None:
        raise PermissionDenied
    return student


def _require_officer(request: HttpRequest) -> None:
    if not access.may_manage_funds(request.user):
        raise PermissionDenied


# --- Students ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def programme_list(request: HttpRequest) -> HttpResponse:
    """The student's aid page: programmes they may apply for (with the reason when not), their applications."""
    student = _require_student(request)
    year = _current_year()
    options = aid_selectors.programme_options_for_student(student, year) if year else []
    return render(
        request,
        "aid/funds/programmes.html",
        {
            "year": year,
            "options": options,
            "applications": selectors.applications_of_student(student),
            "has_bank_account": BankAccount.objects.filter(student=student).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_apply(request: HttpRequest, pk: int) -> HttpResponse:
    student = _require_student(request)
    programme = get_for_user(request.user, Programme.objects.prefetch_related("excludes"), pk=pk)
    year = _current_year()
    if year is None:
        messages.warning(request, _("No academic year is open for applications."))
        return redirect("aid:programme_list")
    ctx = eligibility.context_for(student, year)
    reasons = eligibility.reasons(ctx, programme)
    limit = eligibility.amount_limit(ctx, programme)
    form = ApplyForm(request.POST or None, programme=programme, limit=limit)
    if request.method == "POST" and not reasons and form.is_valid():
        try:
            application = services.application_apply(
                actor=request.user,
                student=student,
                programme=programme,
                year=year,
                statement=form.cleaned_data["statement"],
                amount=form.cleaned_data.get("amount"),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your application was sent to your college."))
            return redirect("aid:application_detail", application.pk)
    elif request.method == "POST" and reasons:
        messages.error(request, _("You cannot apply for this programme now."))
    return render(
        request,
        "aid/funds/apply.html",
        {"programme": programme, "form": form, "reasons": reasons, "limit": limit, "year": year},
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_bank_account(request: HttpRequest) -> HttpResponse:
    """The student's own bank account for awards: shown masked; changing it is audited."""
    student = _require_student(request)
    try:
        account = get_for_user(request.user, BankAccount, student=student)
    except Http404:
        account = None
    form = BankAccountForm(request.POST or None, initial={"bank": account.bank if account else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_account_save(
                actor=request.user,
                student=student,
                bank=form.cleaned_data["bank"],
                card_number=form.cleaned_data["card_number"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your bank account was saved."))
            return redirect("aid:programme_list")
    return render(request, "aid/funds/bank_account.html", {"form": form, "account": account})


# --- The application page and its actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A button of the application page: one move of Application.flow (which says who may make it)."""

    name: str
    label: str
    to_status: str
    note: str = ""  # "required", "optional" or "" (no note)
    style: str = "btn-outline-primary"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("withdraw", gettext_lazy("Withdraw my application"), S.WITHDRAWN, style="btn-outline-danger"),
        Action("appeal", gettext_lazy("Appeal"), S.APPEALED, note="required"),
        Action(
            "college_approve", gettext_lazy("Recommend (college review)"), S.COLLEGE_REVIEWED, "optional", "btn-primary"
        ),
        Action("return", gettext_lazy("Return for changes"), S.RETURNED, note="required"),
        Action("notice", gettext_lazy("Put on the college notice"), S.NOTICE, style="btn-primary"),
        Action("school_approve", gettext_lazy("Approve (school)"), S.APPROVED, "optional", "btn-primary"),
        Action("reject", gettext_lazy("Do not approve"), S.REJECTED, "required", "btn-outline-danger"),
        Action("commit", gettext_lazy("Charge to a fund"), S.COMMITTED, style="btn-primary"),
        Action("schedule", gettext_lazy("Schedule the payments"), S.PAYING, style="btn-primary"),
        Action("clawback", gettext_lazy("Reclaim the award"), S.CLAWBACK, "required", "btn-outline-danger"),
        Action("close", gettext_lazy("Close"), S.CLOSED),
    ]
}


def _available_actions(request: HttpRequest, application: Application) -> list[Action]:
    """The buttons of the moves the flow offers this user from the application's status (in ACTIONS' order)."""
    offered = {m.to for m in available_moves(application, request.user)}
    return [action for action in ACTIONS.values() if action.to_status in offered]


def _timeline(application: Application) -> list:
    labels = dict(Application.Status.choices)
    events = list(selectors.application_timeline(application))
    for event in events:
        event.label = labels.get(event.to_status, event.to_status)
    return events


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_for_user(
        request.user,
        Application.objects.select_related("student__college", "student__class_group", "programme", "year", "fund"),
        pk=pk,
    )
    actions = _available_actions(request, application)
    names = {a.name for a in actions}
    is_own = application.student.user_id == request.user.pk
    context = {
        "application": application,
        "actions": [a for a in actions if a.name not in ("commit", "schedule")],
        "timeline": _timeline(application),
        "payments": selectors.payments_of_application(application),
        "is_own": is_own,
        "may_resubmit": application.status == S.RETURNED and can(request.user, "resubmit", application),
        "may_return_payments": access.may_manage_funds(request.user),
        "note_form": ReasonForm(),
    }
    if "commit" in names:
        context["commit_form"] = CommitForm(funds=list(selectors.funds_for_commit(request.user, application)))
    if "schedule" in names:
        context["schedule_form"] = ScheduleForm(programme=application.programme)
    if context["may_resubmit"]:
        ctx = eligibility.context_for(application.student, application.year, exclude_application=application.pk)
        context["resubmit_form"] = ApplyForm(
            initial={"statement": application.statement, "amount": application.amount},
            programme=application.programme,
            limit=eligibility.amount_limit(ctx, application.programme),
        )
    return render(request, "aid/funds/application_detail.html", context)


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action == "resubmit":
        return _application_resubmit(request, pk)
    if action not in ACTIONS:
        raise Http404
    step = ACTIONS[action]
    application = get_for_user(
        request.user, Application.objects.select_related("student", "programme"), pk=pk, audit=False
    )
    if not Application.flow.permits(request.user, application, step.to_status):
        raise PermissionDenied
    note_form = ReasonForm(request.POST, required=step.note == "required")
    try:
        if step.note and not note_form.is_valid():
            raise DomainError(form_errors_text(note_form) or _("Add a note."))
        note = note_form.cleaned_data.get("note", "") if step.note else ""
        _run(request, step, application, note)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": step.label})
    return redirect("aid:application_detail", application.pk)


def _run(request: HttpRequest, step: Action, application: Application, note: str) -> None:
    actor = request.user
    match step.name:
        case "withdraw":
            services.application_withdraw(actor=actor, application=application)
        case "appeal":
            services.application_appeal(actor=actor, application=application, reason=note)
        case "college_approve":
            services.application_college_approve(actor=actor, application=application, note=note)
        case "return":
            services.application_return(actor=actor, application=application, note=note)
        case "notice":
            services.application_publish_notice(actor=actor, application=application)
        case "school_approve":
            services.application_school_approve(actor=actor, application=application, note=note)
        case "reject":
            services.application_reject(actor=actor, application=application, note=note)
        case "commit":
            funds = list(selectors.funds_for_commit(actor, application))
            form = CommitForm(request.POST, funds=funds)
            if not form.is_valid():
                raise DomainError(form_errors_text(form) or _("Choose a fund."))
            fund = next(f for f in funds if f.pk == form.cleaned_data["fund"])
            services.application_commit(actor=actor, application=application, fund=fund)
        case "schedule":
            form = ScheduleForm(request.POST, programme=application.programme)
            if not form.is_valid():
                raise DomainError(form_errors_text(form))
            services.application_schedule_payments(actor=actor, application=application, **form.cleaned_data)
        case "clawback":
            services.application_clawback(actor=actor, application=application, note=note)
        case "close":
            services.application_close(actor=actor, application=application, note=note)


def _application_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_for_user(
        request.user, Application.objects.select_related("student", "programme", "year"), pk=pk, audit=False
    )
    if not can(request.user, "resubmit", application):
        raise PermissionDenied
    ctx = eligibility.context_for(application.student, application.year, exclude_application=application.pk)
    form = ApplyForm(
        request.POST, programme=application.programme, limit=eligibility.amount_limit(ctx, application.programme)
    )
    try:
        if not form.is_valid():
            raise DomainError(form_errors_text(form))
        services.application_resubmit(
            actor=request.user,
            application=application,
            statement=form.cleaned_data["statement"],
            amount=form.cleaned_data.get("amount"),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your application was sent to your college again."))
    return redirect("aid:application_detail", application.pk)


# --- Reviewers and officers: application lists ------------------------------------------------------------------


@login_required
@require_GET
def application_queue(request: HttpRequest) -> HttpResponse:
    if not access.may_review_applications(request.user):
        raise PermissionDenied
    page = Paginator(selectors.review_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "aid/funds/queue.html", {"page": page})


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = ApplicationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    applications = selectors.applications_for_officer(
        request.user,
        status=filters.get("status") or "",
        programme_id=filters.get("programme"),
        college_id=filters.get("college"),
        year_id=filters.get("year"),
        query=(filters.get("q") or "").strip(),
    )
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "aid/funds/applications.html", {"form": form, "page": page})


# --- Funds ---------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fund_list(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = FundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.fund_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The fund was opened."))
            return redirect("aid:fund_detail", fund.pk)
    funds = selectors.funds_with_balances(request.user)
    return render(request, "aid/funds/funds.html", {"form": form, "funds": funds})


@login_required
@require_http_methods(["GET", "POST"])
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    fund = get_for_user(request.user, selectors.funds_with_balances(request.user), pk=pk)
    form = FundEditForm(
        request.POST or None, initial={"budget": fund.budget, "donor": fund.donor, "restrictions": fund.restrictions}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.fund_update(actor=request.user, fund=fund, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("aid:fund_detail", fund.pk)
    page = Paginator(selectors.ledger_of(fund), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "aid/funds/fund_detail.html", {"fund": fund, "form": form, "page": page})


# --- Programmes ----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def programme_manage(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    year = _current_year()
    programmes = selectors.programmes_with_quotas(request.user, year=year)
    return render(request, "aid/funds/programme_manage.html", {"programmes": programmes, "year": year})


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    programme = get_for_user(request.user, Programme, pk=pk)
    form = ProgrammeForm(request.POST or None, programme=programme, initial=ProgrammeForm.initial_for(programme))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.programme_update(
                actor=request.user,
                programme=programme,
                name=data["name"],
                amount=data.get("amount"),
                tier_amounts=form.tier_amounts,
                yearly_cap=data.get("yearly_cap"),
                required_tier=data.get("required_tier") or "",
                min_study_year=data["min_study_year"],
                installments=data["installments"],
                active=data["active"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("aid:programme_manage")
    year = _current_year()
    quotas = programme.quotas.filter(year=year).select_related("college").order_by("college__code") if year else []
    return render(
        request,
        "aid/funds/programme_edit.html",
        {"programme": programme, "form": form, "quota_form": QuotaForm(), "quotas": quotas, "year": year},
    )


@login_required
@require_POST
def programme_quota(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    programme = get_for_user(request.user, Programme, pk=pk)
    year = _current_year()
    form = QuotaForm(request.POST)
    if year is None:
        messages.error(request, _("No academic year is open."))
    elif not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            services.quota_set(actor=request.user, programme=programme, year=year, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The quota was set."))
    return redirect("aid:programme_edit", programme.pk)


# --- Payment batches -----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    ready = list(selectors.payments_ready_for_batch(request.user)[:500])
    form = BatchForm(
        request.POST or None,
        payments=ready,
        initial={"name": _("Batch %(date)s") % {"date": f"{timezone.localdate():%Y-%m-%d}"}},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                batch = services.batch_create(
                    actor=request.user, name=form.cleaned_data["name"], payment_ids=form.cleaned_data["payments"]
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The batch was created."))
                return redirect("aid:batch_detail", batch.pk)
        else:
            messages.error(request, form_errors_text(form))
    batches = selectors.batches_for_officer(request.user)[:100]
    return render(request, "aid/funds/batches.html", {"form": form, "ready": ready, "batches": batches})


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    batch = get_for_user(request.user, selectors.batches_for_officer(request.user), pk=pk)
    return render(
        request,
        "aid/funds/batch_detail.html",
        {
            "batch": batch,
            "page": Paginator(selectors.batch_payments(batch), PAGE_SIZE).get_page(request.GET.get("page")),
            "note_form": ReasonForm(required=True),
        },
    )


@login_required
@require_POST
def batch_mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    batch = get_for_user(request.user, PaymentBatch, pk=pk)
    try:
        n = services.batch_mark_paid(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(n)s payment(s) marked paid.") % {"n": n})
    return redirect("aid:batch_detail", batch.pk)


@login_required
@require_GET
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The finance roster: the only place bank-card numbers appear in full. Every export is audited."""
    _require_officer(request)
    batch = get_for_user(request.user, PaymentBatch, pk=pk)
    content, rows = exports.batch_roster_xlsx(batch)
    services.batch_record_export(actor=request.user, batch=batch, rows=rows)
    return xlsx_response(content, filename=f"payment-batch-{batch.pk}.xlsx")


@login_required
@require_POST
def payment_returned(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    payment = get_for_user(request.user, Payment.objects.select_related("application"), pk=pk, action="return")
    form = ReasonForm(request.POST, required=True)
    try:
        if not form.is_valid():
            raise DomainError(form_errors_text(form))
        services.payment_record_returned(actor=request.user, payment=payment, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The payment was recorded as returned; its amount went back to the fund."))
    if payment.batch_id:
        return redirect("aid:batch_detail", payment.batch_id)
    if payment.application_id:
        return redirect("aid:application_detail", payment.application_id)
    return redirect("aid:batch_list")
