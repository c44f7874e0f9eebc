"""The centre's review of held bursts of anonymous reports (counseling.services.holds).

A burst is one item in a list; its page shows each held report (an audited read), with "confirm" for
the real ones (routed as ordinary reports from then on) and one "dismiss the rest" with a reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from counseling import access as counseling_access
from counseling import selectors, services
from counseling.forms.holds import HoldDismissForm
from counseling.models import HeldReport, ReportHold
from portal import access
from portal.audit import audit_log
from portal.services import DomainError


@login_required
@require_GET
def holds(request: HttpRequest) -> HttpResponse:
    if not counseling_access.may_review_holds(request.user):
        raise PermissionDenied
    return render(request, "counseling/holds.html", {"holds": selectors.holds_for_review()})


def _hold_page(request: HttpRequest, hold: ReportHold, *, form: HoldDismissForm | None = None, status: int = 200):
    reports = list(selectors.hold_reports(hold))
    return render(
        request,
        "counseling/hold_detail.html",
        {
            "hold": hold,
            "reports": reports,
            "waiting": sum(1 for r in reports if r.decision == HeldReport.Decision.HELD),
            "form": form or HoldDismissForm(),
        },
        status=status,
    )


@login_required
@require_GET
def hold_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hold = access.get_for_user(request.user, ReportHold, pk=pk)  # 404 outside the centre; the read is audited
    return _hold_page(request, hold)


@login_required
@require_POST
def hold_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    hold = access.get_for_user(request.user, ReportHold, pk=pk, audit=False)
    form = HoldDismissForm(request.POST)
    if form.is_valid():
        try:
            count = services.report_hold_dismiss(actor=request.user, hold=hold, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(count)s reports were dismissed.") % {"count": count})
            return redirect("counseling:holds")
    audit_log(actor=request.user, action="read", obj=hold)  # the page shows the held reports again
    return _hold_page(request, hold, form=form, status=400)


@login_required
@require_POST
def held_report_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    held = access.get_for_user(request.user, HeldReport, pk=pk, audit=False)
    try:
        report = services.held_report_confirm(actor=request.user, held=held)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("counseling:hold_detail", pk=held.hold_id)
    messages.success(request, _("The report was confirmed and routed like any other report."))
    return redirect("counseling:case_detail", pk=report.case_id)
