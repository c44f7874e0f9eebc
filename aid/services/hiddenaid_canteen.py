"""The canteen-card import for hidden aid (隐形资助): monthly meals and spend per student, CSV (UTF-8 or
GBK) or XLSX, all or nothing.

Columns: 学号, 月份 (YYYY-MM; an Excel date cell counts as its month), 用餐次数 (meals), 消费金额 (total
spend in yuan); English headers (student_no, month, meals, spend) work too. Any bad row and nothing is
written; every error is listed with its row as Excel numbers it.

Re-importing a month REPLACES that month: the file is the canteen system's full export for the month,
so every record of each month in the file is deleted and the file's rows are written. A month whose
hidden-aid batch is already approved or paid is refused (its money was decided on that data). A file may
hold several months; each gets its own `CanteenImport`.

Files are read with the kernel's table reader (portal.kernel.spreadsheets), as the roster import reads its own,
so both imports accept the same files.
Rows are written with PostgreSQL's COPY: 20,000 rows take well under a second.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch
from portal.audit import audit_log
from portal.kernel.dates import month_start
from portal.kernel.spreadsheets import MAX_FILE_BYTES, Column, RowError, TableFileError, read_table
from portal.models import Student, User
from portal.roster import BATCH_SIZE

__all__ = ["MAX_FILE_BYTES", "CanteenImportResult", "CanteenRow", "canteen_import", "canteen_read"]

# The kernel's (row, column, message) triple, as the roster import's; its str() reads "row 7: 学号: …".
CanteenError = RowError

COLUMNS: tuple[Column, ...] = (
    Column("student_no", "学号", ("student_no", "student_number", "学生学号"), required=True),
    Column("month", "月份", ("month", "年月", "消费月份"), required=True),
    Column("meals", "用餐次数", ("meals", "meal_count", "就餐次数", "次数"), required=True),
    Column("spend", "消费金额", ("spend", "total_spend", "amount", "消费总额", "金额"), required=True),
)
_COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}

_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:月|[-/.]\s*(\d{1,2})\s*日?)?$")
_INT_RE = re.compile(r"^\d+$")
MAX_MEALS = 1000  # three meals a day is ~93; anything past this is a broken export
MAX_SPEND = Decimal("99999999.99")  # the column's max_digits=10, decimal_places=2
MAX_ERRORS = 10_000  # a file of garbage should not build a million messages


@dataclass(frozen=True)
class CanteenRow:
    number: int  # as Excel numbers it, header = 1
    student_id: int
    month: date
    meals: int
    spend: Decimal


@dataclass
class CanteenImportResult:
    rows: int = 0
    months: list[date] = field(default_factory=list)
    replaced: int = 0  # records of those months deleted first
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def canteen_read(*, data: bytes, filename: str) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """Parse the file into (column key → header as written, [(row number, values)]). No database.

    Raises TableFileError with a message for the user.
    """
    if data.strip() and len(data) > MAX_FILE_BYTES:
        raise TableFileError(_("The file is larger than 20 MB; split it into several files."))
    table = read_table(
        data=data,
        filename=filename,
        columns=COLUMNS,
        key="student_no",
        unreadable=_("unreadable file: save the canteen data as an Excel .xlsx file or as CSV (UTF-8 or GBK)."),
        no_rows=_("the file has a header row but no data rows."),
    )
    return table.headers, table.rows


def parse_month(text: str) -> date | None:
    """ "2026-03", "2026/3", "2026年3月" or an Excel date "2026-03-01" → date(2026, 3, 1); None if not a month."""
    match = _MONTH_RE.match(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    if match.group(3) is not None:
        try:
            date(year, month, int(match.group(3)))
        except ValueError:
            return None
    return date(year, month, 1)


def _parse_spend(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").removesuffix("元").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


def _student_ids(numbers: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found.update(Student.objects.filter(student_no__in=chunk).values_list("student_no", "pk"))
    return found


def _validate(headers: dict[str, str], rows: list[tuple[int, dict[str, str]]]) -> tuple[list[CanteenRow], list]:
    errors: list[RowError] = []

    def add(row: int, key: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append(RowError(row, headers.get(key) or _COLUMNS_BY_KEY[key].label, message))

    ids = _student_ids({values["student_no"] for _n, values in rows if values["student_no"]})
    this_month = month_start(timezone.localdate())
    first_row: dict[tuple[str, date], int] = {}
    good: list[CanteenRow] = []
    for number, values in rows:
        row_ok = True
        for key in ("student_no", "month", "meals", "spend"):
            if not values[key]:
                add(number, key, _("required value missing"))
                row_ok = False
            elif any(ord(ch) < 32 for ch in values[key]):
                add(number, key, _("the text contains control characters"))
                values[key] = ""
                row_ok = False
        student_no = values["student_no"]
        student_id = ids.get(student_no)
        if student_no and student_id is None:
            add(number, "student_no", _("unknown student number %(no)s") % {"no": student_no[:30]})
            row_ok = False

        month = parse_month(values["month"]) if values["month"] else None
        if values["month"]:
            if month is None:
                add(
                    number,
                    "month",
                    _("the month must be written YYYY-MM, e.g. 2026-03, not “%(value)s”")
                    % {"value": values["month"][:30]},
                )
                row_ok = False
            elif month > this_month:
                add(number, "month", _("%(month)s is in the future") % {"month": f"{month:%Y-%m}"})
                row_ok = False

        meals = 0
        raw_meals = values["meals"].removesuffix(".0")
        if values["meals"]:
            if not _INT_RE.match(raw_meals):
                add(
                    number,
                    "meals",
                    _("meals must be a whole number of 0 or more, not “%(value)s”") % {"value": values["meals"][:30]},
                )
                row_ok = False
            elif int(raw_meals) > MAX_MEALS:
                add(number, "meals", _("more than %(max)d meals in a month") % {"max": MAX_MEALS})
                row_ok = False
            else:
                meals = int(raw_meals)

        spend = Decimal(0)
        if values["spend"]:
            parsed = _parse_spend(values["spend"])
            if parsed is None:
                add(number, "spend", _("the spend must be a number, not “%(value)s”") % {"value": values["spend"][:30]})
                row_ok = False
            elif parsed < 0:
                add(number, "spend", _("the spend cannot be negative"))
                row_ok = False
            elif parsed > MAX_SPEND:
                add(number, "spend", _("the spend is too large"))
                row_ok = False
            elif parsed != parsed.quantize(Decimal("0.01")):
                add(number, "spend", _("the spend has more than two decimals"))
                row_ok = False
            else:
                spend = parsed.quantize(Decimal("0.01"))

        if student_no and month is not None:
            key = (student_no, month)
            if key in first_row:
                add(
                    number,
                    "student_no",
                    _("student number %(no)s appears twice for %(month)s: first in row %(first)d")
                    % {"no": student_no, "month": f"{month:%Y-%m}", "first": first_row[key]},
                )
                row_ok = False
            else:
                first_row[key] = number
        if row_ok and student_id is not None and month is not None:
            good.append(CanteenRow(number, student_id, month, meals, spend))
    return good, errors


def _lock_canteen() -> None:
    """An import and an evaluation of the same month must not interleave; the second waits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('nuanxin.hidden_aid'))")


def _copy_records(rows: list[CanteenRow], source_ids: dict[date, int]) -> None:
    if connection.vendor != "postgresql":
        CanteenRecord.objects.bulk_create(
            [
                CanteenRecord(
                    student_id=r.student_id,
                    month=r.month,
                    meals=r.meals,
                    total_spend=r.spend,
                    source_id=source_ids[r.month],
                )
                for r in rows
            ],
            batch_size=BATCH_SIZE,
        )
        return
    buffer = io.StringIO()
    for r in rows:
        buffer.write(f"{r.student_id}\t{r.month.isoformat()}\t{r.meals}\t{r.spend}\t{source_ids[r.month]}\n")
    buffer.seek(0)
    qn = connection.ops.quote_name
    table = qn(CanteenRecord._meta.db_table)
    with connection.cursor() as cursor:
        # The values are ints, ISO dates and Decimals formatted above: nothing needs escaping.
        cursor.copy_expert(f"COPY {table} (student_id, month, meals, total_spend, source_id) FROM STDIN", buffer)


@transaction.atomic
def canteen_import(*, actor: User | None, data: bytes, filename: str) -> CanteenImportResult:
    """Import a canteen file: every row or none, replacing the months it holds.

    Takes the hidden-aid advisory lock (so an evaluation of the same month waits). Refuses months whose
    batch is approved or paid. The caller has checked that the actor is an aid officer. Writes one audit
    event with counts only. Re-evaluating a month's batch under review is the caller's business
    (`aid.services.hiddenaid.hiddenaid_canteen_import` does it).
    """
    result = CanteenImportResult()
    try:
        headers, rows = canteen_read(data=data, filename=filename)
    except TableFileError as exc:
        result.errors.append(RowError(None, exc.column, str(exc)))
        return result
    result.rows = len(rows)
    _lock_canteen()
    good, errors = _validate(headers, rows)
    months = sorted({r.month for r in good})
    decided = set(
        HiddenAidBatch.objects.filter(month__in=months)
        .exclude(status=HiddenAidBatch.Status.DRAFT)
        .values_list("month", flat=True)
    )
    for month in sorted(decided):
        errors.insert(
            0,
            RowError(
                None,
                headers.get("month", "月份"),
                _("the hidden-aid batch of %(month)s is already approved; its canteen data can no longer be replaced.")
                % {"month": f"{month:%Y-%m}"},
            ),
        )
    if errors:
        result.errors = errors
        return result

    result.months = months
    result.replaced, _counts = CanteenRecord.objects.filter(month__in=months).delete()
    CanteenImport.objects.filter(month__in=months).delete()
    counts = {month: 0 for month in months}
    for r in good:
        counts[r.month] += 1
    imports = CanteenImport.objects.bulk_create(
        [CanteenImport(month=month, filename=filename[:200], rows=counts[month], imported_by=actor) for month in months]
    )
    _copy_records(good, {imp.month: imp.pk for imp in imports})
    audit_log(
        actor=actor,
        action="hiddenaid.canteen_imported",
        object_type="aid.canteenrecord",
        changes={"rows": len(good), "months": [f"{m:%Y-%m}" for m in months], "replaced": result.replaced},
    )
    return result
