"""Oversight: the station's and the centre's dashboard, the monthly zero report and its overview.

Who may open what:
- dashboard, zero_reports: centre counsellors (whole school), station counsellors (their college),
  admins (whole school; aggregates only). Everyone else gets 403.
- zero_report: class committee members, for their own classes only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from counseling import access as counseling_access
from counseling import selectors, services
from counseling.forms.oversight import MonthForm, ZeroReportForm
from counseling.models import Level
from portal.kernel.dates import month_start, shift_month
from portal.services import DomainError


def _require_oversight(request: HttpRequest) -> None:
    if not counseling_access.may_triage(request.user):
        raise PermissionDenied


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    data = selectors.dashboard(request.user)
    level_names = [str(label) for label in Level.labels]
    unmatched = _("Unmatched (centre queue)")
    chart = {
        "levels": level_names,
        "colleges": [row["college"] or unmatched for row in data["by_college"]],
        "series": [[row["levels"][i] for row in data["by_college"]] for i in range(4)],
        "weeks": data["weekly"]["labels"],
        "weekly": data["weekly"]["counts"],
        "weeklyName": _("New reports"),
    }
    return render(
        request,
        "counseling/dashboard.html",
        {
            "data": data,
            "chart": chart,
            "level_names": level_names,
            "unmatched_label": unmatched,
            "weekly_rows": list(zip(data["weekly"]["labels"], data["weekly"]["counts"], strict=True)),
            "school_wide": counseling_access.may_see_centre_dashboard(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def zero_report(request: HttpRequest) -> HttpResponse:
    if not counseling_access.may_file_zero_report(request.user):
        raise PermissionDenied
    history = selectors.zero_report_history(request.user)
    classes = [row["class_group"] for row in history]
    open_classes = [row["class_group"] for row in history if row["months"][0]["report"] is None]
    # Every own class is a valid choice (a resent form for a filed class says "already filed");
    # the first class still open this month is preselected.
    initial = {"class_group": open_classes[0].pk} if open_classes else {}
    form = ZeroReportForm(request.POST or None, classes=classes, initial=initial)
    if request.method == "POST" and form.is_valid():
        class_group = next(c for c in classes if c.pk == form.cleaned_data["class_group"])
        try:
            report, created = services.zero_report_file(
                actor=request.user,
                class_group=class_group,
                month=timezone.localdate(),
                nothing_to_report=form.nothing_to_report,
                note="" if form.nothing_to_report else form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(
                    request, _("Thank you: this month's report for %(name)s is filed.") % {"name": class_group}
                )
            else:
                messages.info(
                    request,
                    _("This month's report for %(name)s was already filed on %(date)s.")
                    % {
                        "name": class_group,
                        "date": date_format(timezone.localtime(report.filed_at), "SHORT_DATE_FORMAT"),
                    },
                )
            return redirect("counseling:zero_report")
    return render(
        request,
        "counseling/zero_report.html",
        {
            "form": form,
            "history": history,
            "month": month_start(timezone.localdate()),
            "all_filed": not open_classes,
        },
    )


@login_required
@require_GET
def zero_reports(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    this_month = month_start(timezone.localdate())
    form = MonthForm(request.GET or None)
    month = this_month
    if form.is_bound:
        if not form.is_valid():
            messages.warning(request, _("That is not a month we can show; showing this month instead."))
        elif form.cleaned_data["month"] is not None:
            if form.cleaned_data["month"] > this_month:
                messages.warning(request, _("That month has not begun; showing this month instead."))
            else:
                month = form.cleaned_data["month"]
    note_report = None
    note_id = request.GET.get("note", "")
    if note_id:
        if not note_id.isdigit() or len(note_id) > 18:
            messages.warning(request, _("That report was not found."))
        else:
            try:
                note_report = selectors.zero_report_note(request.user, int(note_id))
            except Http404:  # not in this user's oversight, or no such report: the same answer
                messages.warning(request, _("That report was not found."))
    rows = selectors.zero_report_overview(request.user, month=month)
    counts = {
        status: sum(1 for r in rows if r["status"] == status) for status in ("filed", "concern", "missing", "no_member")
    }
    return render(
        request,
        "counseling/zero_reports.html",
        {
            "form": MonthForm(initial={"month": f"{month:%Y-%m}"}),
            "rows": rows,
            "counts": counts,
            "month": month,
            "month_param": f"{month:%Y-%m}",
            "previous_month": f"{shift_month(month, -1):%Y-%m}",
            "next_month": f"{shift_month(month, 1):%Y-%m}" if month < this_month else None,
            "note_report": note_report,
        },
    )
