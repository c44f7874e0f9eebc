"""Spreadsheets in and out: every uploaded table is read here, every export is written here.

Reading (the roster import, the canteen import): `read_table(data, filename, columns, ...)` takes an uploaded
file's bytes, whatever the browser called it, and returns its mapped columns and rows as stripped strings.
An .xlsx (a zip: refused if it would inflate past `MAX_XLSX_UNCOMPRESSED_BYTES`) is read with openpyxl in
read-only mode; anything else must be text: CSV or tab-separated, in UTF-8 (with or without BOM), GBK/GB18030
(what Excel saves on a Chinese Windows) or UTF-16 ("Unicode text"). Images, PDFs, old .xls and archives are
refused at once, as is text with control characters (GB18030 decodes almost any byte soup). Headers are
matched loosely (case, spaces, `_`/`-` and a trailing `*` do not matter) against each `Column`'s label, key
and aliases; the header row is the first naming the key column (a title row may sit above it). Problems with
the file as a whole raise `TableFileError` with a message for the user; problems of a row are `RowError`s.

Writing: a student may be named `=HYPERLINK("http://x","y")` (or an event, a class, a need): Excel and WPS run
a cell that starts with = + - or @ as a formula, and tab or carriage return start one in CSV. OWASP's "CSV
injection" advice is followed: such a *string* gets a leading single quote and is written as text. Numbers
(int, float, Decimal), booleans, dates, times and None pass unchanged, so a real negative amount stays a
number that sums. Writers call `append_row` (or `safe_cell` for one cell, `text_cell` for a column that must
stay text, like bank-card numbers) and `xlsx_response` for the download. No CSV is written today; a CSV
writer would pass every value through `safe_cell` in the same way.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_TRIGGERS",
    "MAX_FILE_BYTES",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "XLSX_MIME",
    "Column",
    "RowError",
    "Table",
    "TableFileError",
    "append_row",
    "cell_text",
    "decode_text",
    "header_key",
    "read_cells",
    "read_csv",
    "read_table",
    "read_xlsx",
    "safe_cell",
    "text_cell",
    "workbook_bytes",
    "xlsx_response",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PASS_THROUGH = (int, float, Decimal, date, datetime, time)  # bool is an int

MAX_FILE_BYTES = 20 * 1024 * 1024  # an uploaded table
# An .xlsx is a zip: refuse one that would inflate past this (a "zip bomb") before openpyxl reads it.
MAX_XLSX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
# Files that are certainly not a table: images, PDF, old .xls (OLE2), gzip, RAR, 7-Zip.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
)
_ZIP_MAGIC = b"PK\x03\x04"
_TEXT_EXTENSIONS = ("csv", "txt", "tsv", "")
_LINE_BREAKS_RE = re.compile(r"\s*[\r\n\t]+\s*")


# --- Reading uploaded tables ---------------------------------------------------------------------------------


class TableFileError(Exception):
    """The file as a whole cannot be read; the message is for the user, `column` the header it is about."""

    def __init__(self, message: str, *, column: str = "") -> None:
        super().__init__(message)
        self.column = column


class RowError(NamedTuple):
    """One problem: `row` as Excel numbers it (header = 1), None for the file as a whole."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{_('file')}: {self.message}"
        return f"{_('row')} {self.row}: {self.column}: {self.message}"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header: how messages name the column
    aliases: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None


@dataclass
class Table:
    """The file's content: mapped columns and data rows as stripped strings, keyed by column key."""

    headers: dict[str, str]  # column key → the header as written in the file
    rows: list[tuple[int, dict[str, str]]]  # (Excel row number, values)


def header_key(text: str) -> str:
    """A header as compared: "学号 *", "Student-No" and "student_no" are the same column."""
    return re.sub(r"[\s_-]+", "_", text.strip().strip("*＊").strip().lower())


def cell_text(value: Any) -> str:
    """openpyxl gives numbers for 学号, phones and years: 2024000001.0 must read "2024000001"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_xlsx(data: bytes, *, unreadable: str) -> list[list[str]]:
    """The first sheet's cells as text; TableFileError(unreadable) for a damaged file."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise TableFileError(_("the spreadsheet is too large; split it into several files."))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.active if hasattr(workbook.active, "iter_rows") else workbook.worksheets[0]
            return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except TableFileError:
        raise
    except Exception as exc:  # openpyxl raises a zoo of errors on damaged files; all mean the same to the user
        raise TableFileError(unreadable) from exc


# Control characters other than tab and line ends; one regex pass (a Python loop per character took seconds for a
# 20,000-row file).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes, *, unreadable: str) -> str:
    """UTF-16 (with its BOM), UTF-8 (BOM or not) or GB18030 (GBK); TableFileError(unreadable) otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # gb18030 decodes almost any byte soup; real text has no control characters.
        if _CONTROL_RE.search(text):
            raise TableFileError(unreadable)
        return text
    raise TableFileError(unreadable)


def read_csv(data: bytes, *, unreadable: str) -> list[list[str]]:
    """Comma- or tab-separated text (whichever the first line has more of), cells stripped."""
    text = decode_text(data, unreadable=unreadable)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        return [
            [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise TableFileError(unreadable) from exc


def read_cells(*, data: bytes, filename: str, unreadable: str) -> list[list[str]]:
    """Every row of an uploaded table, by its content: a zip is read as .xlsx, anything else named .csv, .txt,
    .tsv or nothing as text. TableFileError for an empty or unreadable file (`unreadable` says what to save)."""
    if not data.strip():
        raise TableFileError(_("the file is empty."))
    if data.startswith(_BINARY_MAGIC):
        raise TableFileError(unreadable)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_ZIP_MAGIC):
        return read_xlsx(data, unreadable=unreadable)
    if extension in _TEXT_EXTENSIONS:
        return read_csv(data, unreadable=unreadable)
    raise TableFileError(unreadable)


def read_table(
    *, data: bytes, filename: str, columns: Iterable[Column], key: str, unreadable: str, no_rows: str
) -> Table:
    """The uploaded table with its columns mapped (see the module docstring). The header row is the first of
    the first ten rows naming the `key` column, else the first non-empty row. Raises TableFileError: empty or
    unreadable file, a column twice, a required column missing, or no data rows (`no_rows`)."""
    columns = tuple(columns)
    lookup = {header_key(name): c for c in columns for name in (c.label, c.key, *c.aliases)}
    cells = read_cells(data=data, filename=filename, unreadable=unreadable)
    numbered = [(number, line) for number, line in enumerate(cells, start=1) if any(line)]
    header_at = next(
        (
            i
            for i, (_number, line) in enumerate(numbered[:10])
            if any(getattr(lookup.get(header_key(text)), "key", None) == key for text in line)
        ),
        0,
    )
    header = numbered[header_at][1] if numbered else []
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        column = lookup.get(header_key(text)) if text else None
        if column is None:
            continue
        if column.key in positions:
            raise TableFileError(_("column %(column)s appears twice.") % {"column": text})
        headers[column.key] = text
        positions[column.key] = position
    missing = [c.label for c in columns if c.required and c.key not in headers]
    if missing:
        raise TableFileError(_("missing column %(column)s") % {"column": "、".join(missing)}, column=missing[0])
    table = Table(headers=headers, rows=[])
    for number, line in numbered[header_at + 1 :]:
        # A line break inside a cell (Alt+Enter in Excel) is layout, not content.
        cells_of_row = {name: line[pos] if pos < len(line) else "" for name, pos in positions.items()}
        table.rows.append((number, {name: _LINE_BREAKS_RE.sub(" ", text) for name, text in cells_of_row.items()}))
    if not table.rows:
        raise TableFileError(no_rows)
    return table


# --- Writing exports -----------------------------------------------------------------------------------------


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
