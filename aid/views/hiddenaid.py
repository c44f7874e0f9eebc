"""Hidden aid (隐形资助) pages: the canteen import, the monthly batches and their candidates, approval and
payment (aid officers), add/remove under review (station counsellors and aid reviewers of the college),
and the student's own subsidy page.

Views are thin: access (portal.access: 404 outside the scope, 403 when the action is not allowed) →
form → service → redirect. A refused change (DomainError) comes back as a message, never a 500. Every
action endpoint is POST only. No page lists recipients except to aid officers.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aid.access import hiddenaid as hidden_access
from aid.forms.hiddenaid import (
    ApproveForm,
    CandidateAddForm,
    CandidateRemoveForm,
    CanteenUploadForm,
    EvaluateForm,
    SearchForm,
)
from aid.models import HiddenAidBatch, HiddenAidCandidate
from aid.selectors import hiddenaid as selectors
from aid.services import hiddenaid as services
from portal import access
from portal.kernel.workflow import available_moves
from portal.models import Student
from portal.services import DomainError

PAGE_SIZE = 100
MAX_ERRORS_SHOWN = 500


def _require_officer(request: HttpRequest) -> None:
    if not hidden_access.may_manage_hidden_aid(request.user):
        raise PermissionDenied


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, str(exc))


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# --- Staff: batches ---------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not hidden_access.may_review_hidden_aid(user):
        raise PermissionDenied
    officer = hidden_access.may_manage_hidden_aid(user)
    context = {
        "batches": selectors.hiddenaid_batches_for(user),
        "officer": officer,
        "figures": hidden_access.may_see_canteen_figures(user),
    }
    if officer:
        months = selectors.hiddenaid_months_with_data(user)
        evaluate = EvaluateForm(months=months)
        evaluate.helper.form_action = reverse("aid:hiddenaid_evaluate")
        context |= {"imports": selectors.hiddenaid_recent_imports(user), "evaluate_form": evaluate if months else None}
    return render(request, "aid/hiddenaid/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def canteen_import(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = CanteenUploadForm(request.POST, request.FILES) if request.method == "POST" else CanteenUploadForm()
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result, reevaluated = services.hiddenaid_canteen_import(
                actor=request.user, data=upload.read(), filename=upload.name
            )
        except DomainError as exc:  # a broken rule setting while re-evaluating
            _refused(request, exc)
        else:
            if result.ok:
                months = ", ".join(f"{m:%Y-%m}" for m in result.months)
                messages.success(
                    request,
                    _("%(rows)d rows imported for %(months)s (%(replaced)d earlier rows of those months replaced).")
                    % {"rows": result.rows, "months": months, "replaced": result.replaced},
                )
                for batch in reevaluated:
                    messages.info(
                        request, _("The batch of %(month)s was evaluated again.") % {"month": f"{batch.month:%Y-%m}"}
                    )
                return redirect("aid:hiddenaid_index")
            errors = result.errors
    return render(
        request,
        "aid/hiddenaid/import.html",
        {"form": form, "errors": errors[:MAX_ERRORS_SHOWN], "error_count": len(errors)},
    )


@login_required
@require_POST
def evaluate(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = EvaluateForm(request.POST, months=selectors.hiddenaid_months_with_data(request.user))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("aid:hiddenaid_index")
    try:
        batch, written = services.hiddenaid_batch_evaluate(actor=request.user, month=form.cleaned_data["month"])
    except DomainError as exc:
        _refused(request, exc)
        return redirect("aid:hiddenaid_index")
    messages.success(request, _("%(count)d students meet the rule.") % {"count": written})
    return redirect("aid:hiddenaid_batch", batch.pk)


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    batch = access.get_for_user(user, HiddenAidBatch.objects.select_related("fund", "approved_by"), pk=pk)
    officer = hidden_access.may_manage_hidden_aid(user)
    search = SearchForm(request.GET or None)
    query = search.cleaned_data.get("q", "") if search.is_bound and search.is_valid() else ""
    candidates = selectors.hiddenaid_candidates_for(user, batch, query=query)
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    may_change = access.can(user, "hiddenaid_change", batch)
    # Meals, spend, thresholds and amounts: aid officers only (the template asks this flag, never a role).
    figures = hidden_access.may_see_canteen_figures(user)
    context = {
        "batch": batch,
        "page": page,
        "search": search,
        "officer": officer,
        "figures": figures,
        "may_change": may_change,
        "rules": services.hiddenaid_rules_of(batch) if batch.rules and figures else None,
    }
    if may_change:
        add = CandidateAddForm(with_amount=figures)
        add.helper.form_action = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
        context["add_form"] = add
        remove = CandidateRemoveForm()
        remove.helper.form_tag = False
        context["remove_form"] = remove
        # Each row's remove form posts to its own URL: reversed once, filled in per row (no {% url %} per row).
        marker = 987654321
        pattern = reverse("aid:hiddenaid_candidate_remove", args=[marker])
        page.object_list = list(page.object_list)
        for candidate in page.object_list:
            candidate.remove_url = pattern.replace(str(marker), str(candidate.pk))
    if officer:
        context["summary"] = selectors.hiddenaid_batch_summary(batch)
        if HiddenAidBatch.Status.APPROVED in {m.to for m in available_moves(batch, user)}:
            approve = ApproveForm()
            approve.helper.form_action = reverse("aid:hiddenaid_approve", args=[batch.pk])
            context["approve_form"] = approve
        if batch.fund_id:
            context["fund_balance"] = services.hiddenaid_fund_balance(fund=batch.fund)
    return render(request, "aid/hiddenaid/batch.html", context)


@login_required
@require_POST
def candidate_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    batch = access.get_for_user(user, HiddenAidBatch, action="hiddenaid_change", pk=pk)
    figures = hidden_access.may_see_canteen_figures(user)
    form = CandidateAddForm(request.POST, with_amount=figures)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("aid:hiddenaid_batch", batch.pk)
    student = access.visible(user, Student).filter(student_no=form.cleaned_data["student_no"]).first()
    if student is None or not hidden_access.hiddenaid_may_change_student(user, student):
        # The same message whether the number exists elsewhere or not at all: nothing leaks.
        messages.error(request, _("No student with this number in your college."))
        return redirect("aid:hiddenaid_batch", batch.pk)
    try:
        services.hiddenaid_candidate_add(
            actor=user,
            batch=batch,
            student=student,
            reason=form.cleaned_data["reason"],
            amount=form.cleaned_data.get("amount"),
        )
    except services.HiddenAidAmountNeeded as exc:
        # "Enter an amount" means nothing to someone who may not set one.
        if figures:
            _refused(request, exc)
        else:
            messages.error(request, _("The aid office sets the amount for this student: ask them to add the student."))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(name)s was added to the batch.") % {"name": student.name})
    return redirect("aid:hiddenaid_batch", batch.pk)


@login_required
@require_POST
def candidate_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    candidate = access.get_for_user(
        user, HiddenAidCandidate.objects.select_related("batch", "student"), action="hiddenaid_change", pk=pk
    )
    form = CandidateRemoveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.hiddenaid_candidate_remove(actor=user, candidate=candidate, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("%(name)s was removed from the batch.") % {"name": candidate.student.name})
    return redirect("aid:hiddenaid_batch", candidate.batch_id)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access.get_for_user(request.user, HiddenAidBatch, action="hiddenaid_approve", pk=pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("aid:hiddenaid_batch", batch.pk)
    try:
        batch = services.hiddenaid_batch_approve(actor=request.user, batch=batch, fund=form.cleaned_data["fund"])
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("The batch is approved. The students were told privately; it will be paid on %(date)s.")
            % {"date": f"{batch.pay_on:%Y-%m-%d}"},
        )
    return redirect("aid:hiddenaid_batch", batch.pk)


@login_required
@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access.get_for_user(request.user, HiddenAidBatch, action="hiddenaid_pay", pk=pk)
    try:
        count = services.hiddenaid_batch_pay(actor=request.user, batch=batch)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(count)d payments were made.") % {"count": count})
    return redirect("aid:hiddenaid_batch", batch.pk)


# --- The student ------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "aid/hiddenaid/mine.html", {"subsidies": selectors.hiddenaid_own_subsidies(request.user)})


def _own(request: HttpRequest, pk: int) -> HiddenAidCandidate:
    """The user's own subsidy, or 404 (an officer, even an admin, cannot act for the student here)."""
    candidate = selectors.hiddenaid_own_subsidies(request.user).filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return candidate


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _own(request, pk)
    try:
        services.hiddenaid_candidate_decline(actor=request.user, candidate=candidate)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("You declined the meal subsidy. Nothing will be added to your card."))
    return redirect("aid:hiddenaid_mine")


@login_required
@require_POST
def return_subsidy(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _own(request, pk)
    try:
        services.hiddenaid_candidate_return(actor=request.user, candidate=candidate)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("You returned the meal subsidy. Thank you for telling us."))
    return redirect("aid:hiddenaid_mine")
