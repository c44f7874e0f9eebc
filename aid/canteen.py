"""The canteen-card import for hidden aid (隐形资助): monthly meals and spend per student, CSV (UTF-8 or
GBK) or XLSX, all or nothing.

Columns: 学号, 月份 (YYYY-MM; an Excel date cell counts as its month), 用餐次数 (meals), 消费金额 (total
spend in yuan); English headers (student_no, month, meals, spend) work too. Any bad row and nothing is
written; every error is listed with its row as Excel numbers it.

Re-importing a month REPLACES that month: the file is the canteen system's full export for the month,
so every record of each month in the file is deleted and the file's rows are written. A month whose
hidden-aid batch is already approved or paid is refused (its money was decided on that data). A file may
hold several months; each gets its own `CanteenImport`.

Files are read with the roster import's readers (portal.roster), so both imports accept the same files.
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
from portal.models import Student, User
from portal.roster import (
    _BINARY_MAGIC,
    _ZIP_MAGIC,
    BATCH_SIZE,
    MAX_FILE_BYTES,
    Column,
    RosterError,
    RosterFileError,
    _header_key,
    _read_csv,
    _read_xlsx,
)
from portal.roster import _unreadable as _roster_unreadable

__all__ = ["MAX_FILE_BYTES", "CanteenImportResult", "CanteenRow", "canteen_import", "canteen_read"]

# The roster's (row, column, message) triple; its str() reads "row 7: 学号: …".
CanteenError = RosterError

COLUMNS: tuple[Column, ...] = (
    Column("student_no", "学号", ("student_no", "student_number", "学生学号"), required=True),
    Column("month", "月份", ("month", "年月", "消费月份"), required=True),
    Column("meals", "用餐次数", ("meals", "meal_count", "就餐次数", "次数"), required=True),
    Column("spend", "消费金额", ("spend", "total_spend", "amount", "消费总额", "金额"), required=True),
)
_COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
_HEADER_LOOKUP = {_header_key(name): c for c in COLUMNS for name in (c.label, c.key, *c.aliases)}

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
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _unreadable() -> RosterFileError:
    return RosterFileError(_("unreadable file: save the canteen data as an Excel .xlsx file or as CSV (UTF-8 or GBK)."))


def canteen_read(*, data: bytes, filename: str) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """Parse the file into (column key → header as written, [(row number, values)]). No database.

    Raises RosterFileError with a message for the user.
    """
    if not data.strip():
        raise RosterFileError(_("the file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(_("The file is larger than 20 MB; split it into several files."))
    if data.startswith(_BINARY_MAGIC):
        raise _unreadable()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        if data.startswith(_ZIP_MAGIC):
            cells = _read_xlsx(data)
        elif extension in ("csv", "txt", "tsv", ""):
            cells = _read_csv(data)
        else:
            raise _unreadable()
    except RosterFileError as exc:
        # The roster's own "unreadable" message talks about rosters; keep its other messages (too large).
        if str(exc) == str(_roster_unreadable()):
            raise _unreadable() from exc
        raise

    numbered = [(number, line) for number, line in enumerate(cells, start=1) if any(line)]
    # The header is the first row naming a 学号 column (a title row may sit above it).
    header_at = next(
        (
            i
            for i, (_number, line) in enumerate(numbered[:10])
            if any(_HEADER_LOOKUP.get(_header_key(text)) is _COLUMNS_BY_KEY["student_no"] for text in line)
        ),
        0,
    )
    header = numbered[header_at][1] if numbered else []
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        column = _HEADER_LOOKUP.get(_header_key(text)) if text else None
        if column is None:
            continue
        if column.key in positions:
            raise RosterFileError(_("column %(column)s appears twice.") % {"column": text})
        headers[column.key] = text
        positions[column.key] = position
    missing = [c.label for c in COLUMNS if c.key not in headers]
    if missing:
        raise RosterFileError(_("missing column %(column)s") % {"column": "、".join(missing)}, column=missing[0])
    rows = [
        (number, {key: (line[pos].strip() if pos < len(line) else "") for key, pos in positions.items()})
        for number, line in numbered[header_at + 1 :]
    ]
    if not rows:
        raise RosterFileError(_("the file has a header row but no data rows."))
    return headers, rows


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
    errors: list[RosterError] = []

    def add(row: int, key: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append(RosterError(row, headers.get(key) or _COLUMNS_BY_KEY[key].label, message))

    ids = _student_ids({values["student_no"] for _n, values in rows if values["student_no"]})
    this_month = timezone.localdate().replace(day=1)
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
    (`aid.services.hiddenaid_canteen_import` does it).
    """
    result = CanteenImportResult()
    try:
        headers, rows = canteen_read(data=data, filename=filename)
    except RosterFileError as exc:
        result.errors.append(RosterError(None, exc.column, str(exc)))
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
            RosterError(
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
