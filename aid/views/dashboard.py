"""The aid dashboard: identified students by tier and college, awards and amounts by party, programme
and college, five-aid coverage per aid and college; ECharts over json_script, and each table as XLSX.

Who: aid officers and admins (whole school), aid reviewers (their colleges). Everyone else: 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from aid import access
from aid.models import AcademicYear, Aid, Tier
from aid.selectors import dashboard as selectors
from aid.selectors.fiveaid import fiveaid_current_year
from portal.kernel.spreadsheets import append_row, xlsx_response

TABLES = ("tiers", "party", "programme", "college", "coverage")
# Each export's sheet is named like its section on the page (a sheet name is read too: never the table's code).
TABLE_TITLES = {
    "tiers": gettext_lazy("Identified students by tier and college"),
    "party": gettext_lazy("Awards by party"),
    "programme": gettext_lazy("Awards by programme"),
    "college": gettext_lazy("Awards by college"),
    "coverage": gettext_lazy("Five-aid coverage"),
}
TIERS = (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL)


def _require(request: HttpRequest) -> None:
    if not access.may_see_aid_dashboard(request.user):
        raise PermissionDenied


def _year(request: HttpRequest) -> AcademicYear | None:
    raw = request.GET.get("year", "")
    if raw.isdigit() and len(raw) < 10:
        year = AcademicYear.objects.filter(pk=int(raw)).first()
        if year is not None:
            return year
    return fiveaid_current_year()


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request)
    year = _year(request)
    data, computed_at = selectors.aid_dashboard_rollup(request.user, year=year)
    aid_labels = [str(label) for label in Aid.labels]
    tier_labels = [str(Tier(t).label) for t in TIERS]
    chart = {
        "colleges": [row["college"] for row in data.tiers],
        "tiers": tier_labels,
        "tierSeries": [[row["counts"][i] for row in data.tiers] for i in range(len(TIERS))],
        "parties": [row["label"] for row in data.by_party],
        "partyAmounts": [float(row["amount"]) for row in data.by_party],
        "amountName": _("Amount (yuan)"),
        "aids": aid_labels,
        "coverage": [round(data.coverage_total["share"][aid] * 100, 1) for aid in Aid.values],
        "coverageName": _("Share of identified students (%)"),
    }
    return render(
        request,
        "aid/dashboard.html",
        {
            "data": data,
            "computed_at": computed_at,
            "refresh_minutes": selectors.ROLLUP_REFRESH_SECONDS // 60,
            "chart": chart,
            "aid_labels": aid_labels,
            "tier_labels": tier_labels,
            "years": list(AcademicYear.objects.order_by("-starts_on")[:10]),
            "school_wide": access.aid_colleges(request.user) is None,
        },
    )


def _rows(table: str, data: selectors.Dashboard) -> tuple[list[str], Iterable[list]]:
    if table == "tiers":
        head = [_("College"), *[str(Tier(t).label) for t in TIERS], _("Total")]
        rows = [[r["college"], *r["counts"], r["total"]] for r in data.tiers]
        return head, [*rows, [_("Total"), *data.tier_totals, sum(data.tier_totals)]]
    if table in ("party", "programme", "college"):
        source = {"party": data.by_party, "programme": data.by_programme, "college": data.by_college}[table]
        first = {"party": _("Party"), "programme": _("Programme"), "college": _("College")}[table]
        return [first, _("Awards"), _("Amount (yuan)")], [[r["label"], r["awards"], r["amount"]] for r in source]
    head = [_("College"), _("Identified students")]
    for label in Aid.labels:
        head += [str(label), _("%(aid)s (share)") % {"aid": label}]
    rows = []
    for r in [*data.coverage, {"college": _("Total"), **data.coverage_total}]:
        row = [r["college"], r["identified"]]
        for n, share in r["cells"]:
            row += [n, share]
        rows.append(row)
    return head, rows


@login_required
@require_GET
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    from openpyxl import Workbook

    _require(request)
    if table not in TABLES:
        raise Http404
    year = _year(request)
    data = selectors.aid_dashboard(request.user, year=year)
    head, rows = _rows(table, data)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(TABLE_TITLES[table])[:31]  # Excel limits sheet names to 31 characters
    append_row(sheet, head)
    for row in rows:
        append_row(sheet, row)  # names typed by users are written as text, never as formulas
    if table == "coverage":
        for col in range(4, len(head) + 1, 2):
            for cell in sheet.iter_cols(min_col=col, max_col=col, min_row=2):
                for c in cell:
                    c.number_format = "0.0%"
    if table in ("party", "programme", "college"):
        for c in sheet["C"][1:]:
            c.number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 28
    return xlsx_response(workbook, filename=f"aid-{table}-{year.name if year else 'none'}.xlsx")
