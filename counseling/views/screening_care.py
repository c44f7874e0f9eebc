"""From screening to care: a campaign's lifecycle (end early, reopen), its summary and exports, the interview
outcome of a positive screen, and the student's own screening history.

Who may do what is in counseling.access.screening_care and the URL rules (counseling/urls_screening_care.py):
the centre ends, reopens, summarises and exports the positive list; stations export their college's
completion; counsellors in scope record outcomes (404 outside the scope); a student sees only their own history.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from counseling.access import screening as screening_access
from counseling.access import screening_care as care_access
from counseling.forms.screening_care import OutcomeForm, ReopenForm
from counseling.models import ScreeningResult
from counseling.selectors import screening as selectors
from counseling.selectors import screening_care as care_selectors
from counseling.services import screening_care as services
from counseling.views.screening import booking_url
from portal import access
from portal.audit import audit_log
from portal.kernel.spreadsheets import xlsx_response
from portal.services import DomainError


def _require_centre(request: HttpRequest) -> None:
    if not screening_access.may_manage_campaigns(request.user):
        raise PermissionDenied


# --- Campaign lifecycle (the centre) -----------------------------------------------------------------------


@login_required
@require_POST
def campaign_end(request: HttpRequest, pk: int) -> HttpResponse:
    _require_centre(request)
    campaign = selectors.campaign_for_staff(request.user, pk)
    try:
        services.campaign_end_early(actor=request.user, campaign=campaign)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The campaign has ended. Students can no longer answer for it."))
    return redirect("counseling:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    _require_centre(request)
    campaign = selectors.campaign_for_staff(request.user, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: choose a valid closing day."))
    else:
        try:
            services.campaign_reopen(actor=request.user, campaign=campaign, closes_on=form.cleaned_data["closes_on"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The campaign is open again. Its students will be reminded."))
    return redirect("counseling:campaign_detail", pk=campaign.pk)


@login_required
@require_GET
def campaign_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion, bands by college and the trend against last year's campaign, to present."""
    _require_centre(request)
    campaign = selectors.campaign_for_staff(request.user, pk)
    summary = care_selectors.campaign_summary(request.user, campaign)
    chart = {
        "labels": [row["label"] for row in summary["comparison"]],
        "now": [row["now"] for row in summary["comparison"]],
        "then": [row["then"] for row in summary["comparison"]],
        "nowName": campaign.title,
        "thenName": summary["last"]["campaign"].title if summary["last"] else "",
    }
    return render(
        request,
        "counseling/screening_care/summary.html",
        {"campaign": campaign, "summary": summary, "chart": chart},
    )


# --- Exports ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def export_completion(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion by college and class: the centre's whole school, a station's college. No names, no scores."""
    if not screening_access.may_follow_campaigns(request.user):
        raise PermissionDenied
    campaign = selectors.campaign_for_staff(request.user, pk)
    workbook = care_selectors.completion_workbook(request.user, campaign)
    audit_log(actor=request.user, action="screening_campaign.completion_exported", obj=campaign)
    return xlsx_response(workbook, filename=f"screening-{campaign.pk}-completion.xlsx")


@login_required
@require_GET
def export_positives(request: HttpRequest, pk: int) -> HttpResponse:
    """The positive list, for the centre only (a station can see the campaign: 403, not 404)."""
    if not care_access.may_export_positives(request.user):
        raise PermissionDenied
    campaign = selectors.campaign_for_staff(request.user, pk)
    workbook, students = care_selectors.positives_workbook(request.user, campaign)
    audit_log(
        actor=request.user,
        action="screening_campaign.positives_exported",
        obj=campaign,
        changes={"students": students},
    )
    return xlsx_response(workbook, filename=f"screening-{campaign.pk}-positives.xlsx")


# --- Interview outcomes ------------------------------------------------------------------------------------


@login_required
@require_POST
def outcome_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the interview outcome of a positive result (404 outside the scope, 403 for the student)."""
    result: ScreeningResult = access.get_for_user(
        request.user, ScreeningResult.objects.select_related("student"), action="record_outcome", pk=pk
    )
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: choose an outcome (the note is limited in length)."))
    else:
        try:
            services.outcome_record(
                actor=request.user,
                result=result,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The interview outcome is recorded."))
    from_care_file = request.POST.get("back") == "care"
    if result.campaign_id and not from_care_file and screening_access.may_follow_campaigns(request.user):
        return redirect("counseling:campaign_positives", pk=result.campaign_id)
    return redirect("counseling:care_file", pk=result.student_id)


# --- The student's own history -----------------------------------------------------------------------------


@login_required
@require_GET
def my_history(request: HttpRequest) -> HttpResponse:
    """My scores over time, in kind words, and the follow-up questionnaires waiting for me. Only my own."""
    student = selectors.student_of(request.user)
    if student is None:
        raise PermissionDenied
    context = care_selectors.my_history(student)
    context["booking_url"] = booking_url()
    return render(request, "counseling/screening_care/history.html", context)
