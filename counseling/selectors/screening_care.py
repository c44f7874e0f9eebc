"""Reads from screening to care: interview outcomes beside the positive list, the scores over time in the care
file (an ECharts line with the band zones), the student's own history in kind words, the campaign summary a
centre director presents, and the two exports (counseling.access.screening_care says who may take which).

Importing this module adds the "screening over time" section to the care e-file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from counseling import instruments
from counseling.models import InterviewOutcome, Retest, ScreeningCampaign, ScreeningResult
from counseling.selectors.crisis import care_file_sections
from counseling.selectors.instruments import definitions_by_code
from counseling.selectors.screening import (
    PositiveRow,
    _scoped_students,
    campaign_completion,
    campaign_positives,
    positive_results_q,
)
from portal import access
from portal.kernel.spreadsheets import append_row
from portal.models import Student, User

__all__ = [
    "attach_outcomes",
    "campaign_summary",
    "completion_workbook",
    "kind_words",
    "my_history",
    "my_retests_waiting",
    "positives_workbook",
    "previous_campaign",
    "screening_trend",
    "screening_trend_section",
]

# Zone colours of the care-file chart, lightest to strongest, with the band codes of instruments.BANDS.
ZONE_COLOURS = {
    "minimal": "rgba(25, 135, 84, 0.10)",
    "mild": "rgba(255, 193, 7, 0.12)",
    "moderate": "rgba(253, 126, 20, 0.14)",
    "moderately_severe": "rgba(220, 53, 69, 0.12)",
    "severe": "rgba(220, 53, 69, 0.22)",
}


# --- Outcomes beside the positive list ----------------------------------------------------------------------


def attach_outcomes(campaign: ScreeningCampaign, rows: list[PositiveRow]) -> list[PositiveRow]:
    """Set `row.outcome` (the student's interview outcome in this campaign, or None): one query."""
    outcomes = {
        o.student_id: o
        for o in InterviewOutcome.objects.filter(campaign=campaign, student_id__in=[r.student.pk for r in rows])
    }
    for row in rows:
        row.outcome = outcomes.get(row.student.pk)
    return rows


# --- Scores over time ---------------------------------------------------------------------------------------


def _series(results: Iterable[ScreeningResult], *, zones: bool) -> list[dict]:
    """One line per questionnaire: PHQ-9 and GAD-7 first, then loaded instruments by code (their current
    definitions read in one query; zones from their score-range bands, positive bands the strong colours)."""
    by_instrument: dict[str, list[ScreeningResult]] = defaultdict(list)
    for result in results:
        by_instrument[result.instrument].append(result)
    loaded_codes = sorted(code for code in by_instrument if code not in instruments.INSTRUMENTS)
    loaded = definitions_by_code(loaded_codes) if loaded_codes else {}
    series = []
    for code in [*instruments.INSTRUMENTS, *loaded_codes]:
        rows = sorted(by_instrument.get(code, []), key=lambda r: (r.completed_at, r.pk))
        spec = instruments.INSTRUMENTS.get(code) or loaded.get(code)
        if not rows or spec is None:  # a row of an instrument no longer known has no scale to draw on
            continue
        entry = {
            "code": code,
            "name": spec.name,
            "max": spec.max_total,
            "points": [[timezone.localtime(r.completed_at).strftime("%Y-%m-%d %H:%M"), r.total] for r in rows],
            "zones": [],
        }
        if zones and code in instruments.INSTRUMENTS:
            entry["zones"] = [
                {"from": low, "to": high, "label": str(instruments.BAND_LABELS[band]), "color": ZONE_COLOURS[band]}
                for low, high, band in instruments.BANDS[code]
            ]
        elif zones:
            entry["zones"] = [
                {
                    "from": band.low,
                    "to": band.high,
                    "label": band.label.pick(),
                    "color": ZONE_COLOURS["severe" if band.positive else "minimal"],
                }
                for band in spec.bands
                if band.low is not None and band.high is not None
            ]
        series.append(entry)
    return series


def screening_trend(student: Student, results: Iterable[ScreeningResult] | None = None) -> dict:
    """Chart data for the care file: each questionnaire's totals over time, with its band zones."""
    if results is None:
        results = ScreeningResult.objects.filter(student=student).only("pk", "instrument", "total", "completed_at")
    return {"series": _series(results, zones=True), "scoreName": str(_("score"))}


def _awaiting_outcome(results: list[ScreeningResult], outcomes: list[InterviewOutcome]) -> ScreeningResult | None:
    """The latest positive result no outcome covers (a campaign's outcome covers all its results)."""
    covered_results = {o.result_id for o in outcomes}
    covered_campaigns = {o.campaign_id for o in outcomes if o.campaign_id}
    for result in sorted(results, key=lambda r: (r.completed_at, r.pk), reverse=True):
        if result.pk in covered_results or (result.campaign_id and result.campaign_id in covered_campaigns):
            continue
        if instruments.result_is_positive(result):
            return result
    return None


def kind_words(result: ScreeningResult) -> str:
    """How a student reads their own result in a list: no band names, nothing that labels them. A positive
    screen (item 9 above 0 too, whatever the total) always reads as a time when a talk can help."""
    if instruments.result_is_positive(result):
        return _("A harder time: talking with a counsellor can help")
    if result.band == "minimal":
        return _("Few or no signs of strain")
    # Not positive: PHQ-9/GAD-7 bands above mild are always positive, so what is left is a loaded
    # instrument's band that its rules did not call positive.
    return _("Some signs of strain")


@dataclass
class HistoryRow:
    result: ScreeningResult
    words: str
    max_total: int


def my_retests_waiting(student: Student) -> list[Retest]:
    """The student's own retests that are due and not answered yet."""
    return list(
        Retest.objects.filter(student=student, result__isnull=True, due_on__lte=timezone.localdate()).order_by(
            "due_on", "instrument"
        )
    )


def my_history(student: Student) -> dict:
    """The student's own results over time (never anyone else's), in kind words, with the retests waiting."""
    results = list(
        ScreeningResult.objects.filter(student=student).select_related("campaign").order_by("-completed_at", "-pk")
    )
    max_totals: dict[str, int] = {}  # one look-up per questionnaire, not per row
    for code in {r.instrument for r in results}:
        try:
            max_totals[code] = instruments.spec(code).max_total
        except instruments.ScoringError:  # a row of an instrument no longer known: shown without a scale
            max_totals[code] = 0
    rows = [HistoryRow(r, kind_words(r), max_totals[r.instrument]) for r in results]
    return {
        "rows": rows,
        "retests": my_retests_waiting(student),
        "chart": {"series": _series(results, zones=False), "scoreName": str(_("score"))},
    }


def screening_trend_section(student: Student) -> dict | None:
    """The care-file section (the care file view checked the scope and audited the read): scores over time,
    interview outcomes and retests."""
    outcomes = list(
        InterviewOutcome.objects.filter(student=student)
        .select_related("recorded_by", "campaign")
        .order_by("-recorded_at", "-pk")
    )
    retests = list(Retest.objects.filter(student=student).select_related("result").order_by("-due_on", "instrument"))
    results = list(ScreeningResult.objects.filter(student=student))
    trend = screening_trend(student, results)
    if not trend["series"] and not outcomes:
        return None
    return {
        "title": gettext_lazy("Screening over time and interview outcomes"),
        "template": "counseling/screening_care/care_trend.html",
        "context": {
            "trend": trend,
            "outcomes": outcomes,
            "retests": retests,
            "awaiting_outcome": _awaiting_outcome(results, outcomes),
            "outcome_choices": InterviewOutcome.Kind.choices,
        },
    }


if screening_trend_section not in care_file_sections:
    care_file_sections.append(screening_trend_section)


# --- The campaign summary -----------------------------------------------------------------------------------


def previous_campaign(campaign: ScreeningCampaign) -> ScreeningCampaign | None:
    """Last year's campaign to compare with: the latest one for the year before's freshmen."""
    return (
        ScreeningCampaign.objects.filter(enrolment_year=campaign.enrolment_year - 1, opens_on__lt=campaign.opens_on)
        .order_by("-opens_on", "-pk")
        .first()
    )


def _results_in_scope(user: User, campaign: ScreeningCampaign) -> QuerySet[ScreeningResult]:
    return access.visible(user, ScreeningResult).filter(campaign=campaign, student__in=_scoped_students(user, campaign))


def _headline(user: User, campaign: ScreeningCampaign) -> dict:
    completion = campaign_completion(user, campaign)
    results = _results_in_scope(user, campaign)
    responded = results.values("student").distinct().count()
    positive = results.filter(positive_results_q()).values("student").distinct().count()
    bands = {
        (row["instrument"], row["band"]): row["n"]
        for row in results.values("instrument", "band").annotate(n=Count("student", distinct=True)).order_by()
    }
    shares = {}
    for code in campaign.instruments:
        answered = sum(n for (i, _b), n in bands.items() if i == code)
        shares[code] = {
            band: round(100 * bands.get((code, band), 0) / answered) if answered else 0
            for _lo, _hi, band in instruments.BANDS.get(code, ())
        }
    return {
        "campaign": campaign,
        "completion": completion,
        "responded": responded,
        "positive": positive,
        "positive_percent": round(100 * positive / responded) if responded else 0,
        "band_shares": shares,
    }


def campaign_summary(user: User, campaign: ScreeningCampaign) -> dict:
    """What a centre director presents: completion, each questionnaire's bands by college, and the same
    figures for last year's campaign. A fixed number of queries whatever the number of colleges."""
    this = _headline(user, campaign)
    rows = (
        _results_in_scope(user, campaign)
        .values("student__college__name", "instrument", "band")
        .annotate(n=Count("student", distinct=True))
        .order_by("student__college__name")
    )
    positives_by_college = dict(
        _results_in_scope(user, campaign)
        .filter(positive_results_q())
        .values("student__college__name")
        .annotate(n=Count("student", distinct=True))
        .order_by()
        .values_list("student__college__name", "n")
    )
    tables = []
    for code in campaign.instruments:
        if code not in instruments.INSTRUMENTS:
            continue
        bands = [band for _lo, _hi, band in instruments.BANDS[code]]
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for row in rows:
            if row["instrument"] == code:
                counts[row["student__college__name"]][row["band"]] = row["n"]
        tables.append(
            {
                "name": instruments.spec(code).name,
                "bands": [str(instruments.BAND_LABELS[b]) for b in bands],
                "rows": [
                    {"college": college, "counts": [per.get(b, 0) for b in bands], "total": sum(per.values())}
                    for college, per in sorted(counts.items())
                ],
            }
        )
    previous = previous_campaign(campaign)
    last = _headline(user, previous) if previous is not None else None
    comparison = []
    if last is not None:
        for code in campaign.instruments:
            if code not in instruments.INSTRUMENTS:
                continue
            for _lo, _hi, band in instruments.BANDS[code]:
                comparison.append(
                    {
                        "label": f"{instruments.spec(code).name} · {instruments.BAND_LABELS[band]}",
                        "now": this["band_shares"].get(code, {}).get(band, 0),
                        "then": last["band_shares"].get(code, {}).get(band, 0),
                    }
                )
    return {
        "this": this,
        "last": last,
        "tables": tables,
        "positives_by_college": positives_by_college,
        "comparison": comparison,
    }


# --- Exports ------------------------------------------------------------------------------------------------


def completion_workbook(user: User, campaign: ScreeningCampaign) -> Workbook:
    """Completion by college and by class within the user's scope (no names, no scores)."""
    completion = campaign_completion(user, campaign)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("By college"))[:31]
    append_row(sheet, [_("College"), _("Students"), _("Started"), _("Completed"), _("Completion (%)")])
    for row in completion["colleges"]:
        append_row(sheet, [row["college"], row["total"], row["started"], row["completed"], row["percent"]])
    classes = workbook.create_sheet(str(_("By class"))[:31])
    append_row(classes, [_("College"), _("Class"), _("Students"), _("Started"), _("Completed"), _("Completion (%)")])
    for row in completion["classes"]:
        append_row(
            classes, [row["college"], row["class_name"], row["total"], row["started"], row["completed"], row["percent"]]
        )
    return workbook


def positives_workbook(user: User, campaign: ScreeningCampaign) -> tuple[Workbook, list[int]]:
    """The positive list (the centre's only) with invitation and outcome; returns the student ids for the
    audit entry."""
    rows = attach_outcomes(campaign, campaign_positives(user, campaign))
    codes = [c for c in campaign.instruments if c in instruments.INSTRUMENTS]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Positive screens"))[:31]
    append_row(
        sheet,
        [
            _("Student number"),
            _("Name"),
            _("College"),
            _("Class"),
            *[instruments.spec(c).name for c in codes],
            _("PHQ-9 item 9 above 0"),
            _("Invitation"),
            _("Interview outcome"),
        ],
    )
    for row in rows:
        totals = {r.instrument: r.total for r in row.results}
        append_row(
            sheet,
            [
                row.student.student_no,
                row.student.name,
                row.student.college.name if row.student.college_id else "",
                row.student.class_group.name if row.student.class_group_id else "",
                *[totals.get(c) for c in codes],
                _("yes") if row.item9 else _("no"),
                row.latest_invitation.get_status_display() if row.latest_invitation else "",
                row.outcome.get_outcome_display() if row.outcome else "",
            ],
        )
    return workbook, [row.student.pk for row in rows]
