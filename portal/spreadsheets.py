"""Every spreadsheet the portal writes goes through here, so text typed by a user never runs as a formula.

A student may be named `=HYPERLINK("http://x","y")` (or an event, a class, a need): Excel and WPS run a cell
that starts with = + - or @ as a formula, and tab or carriage return start one in CSV. OWASP's "CSV
injection" advice is followed: such a *string* gets a leading single quote and is written as text. Numbers
(int, float, Decimal), booleans, dates, times and None pass unchanged, so a real negative amount stays a
number that sums. Writers call `append_row` (or `safe_cell` for one cell, `text_cell` for a column that must
stay text, like bank-card numbers) and `xlsx_response` for the download. No CSV is written today; a CSV
writer would pass every value through `safe_cell` in the same way.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_TRIGGERS", "XLSX_MIME", "append_row", "safe_cell", "text_cell", "workbook_bytes", "xlsx_response"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PASS_THROUGH = (int, float, Decimal, date, datetime, time)  # bool is an int


def safe_cell(value: Any) -> Any:
    """The value to write in a cell: text that a spreadsheet would run as a formula gets a leading "'".

    >>> safe_cell("=1+1"), safe_cell("-2+3"), safe_cell(-2), safe_cell(None)
    ("'=1+1", "'-2+3", -2, None)
    """
    if value is None or isinstance(value, _PASS_THROUGH):
        return value
    text = str(value) if isinstance(value, Promise) or not isinstance(value, str) else value
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append one row, every cell through `safe_cell`."""
    sheet.append([safe_cell(value) for value in values])


def text_cell(cell: Cell, value: Any) -> None:
    """Always a text cell: a card number must not become 6.2e18, a name starting "=" never a formula."""
    cell.value = "" if value is None else safe_cell(str(value))
    cell.data_type = "s"
    cell.number_format = "@"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: Workbook | bytes, *, filename: str) -> HttpResponse:
    """The workbook as a download. `filename` is ours (ASCII, no quotes); exports hold personal data, so no
    cache keeps a copy."""
    body = content if isinstance(content, bytes) else workbook_bytes(content)
    response = HttpResponse(body, content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
