"""A student's copy of their personal data (PIPL art. 45, the right of access), as JSON or XLSX.

Each app contributes sections from its own `personal_data.py` module (found by autodiscovery, so the
dependency stays one-way): `register_section(key, title, fn)` with fn(student) -> list of rows, each row a
dict from a column label to a value. A section holds exactly what the student can already see in the portal,
never more:

- portal: profile (ID-card number masked, as the portal shows it), guardians, notifications.
- counseling: reports the student filed with their name, with the status a reporter sees (received / being
  handled / closed) and the follow-up questions; bookings, waitlist, screening results and invitations, event
  sign-ups. Never a report someone else filed about them, a case, its timeline, notes, assessments, session
  notes or the care file.
- aid: identifications (with family members, documents, objections), applications, payments, the bank account
  (masked), work-study, hidden-aid subsidies once approved, the support plan. Never evaluation-group
  suggestions, internal review notes, or hidden-aid candidacy before approval.
- homevisits: nothing. Visit records, drafts and guardian contacts are staff notes about the family that a
  student cannot see in the portal; the priority reasons would reveal the care list and aid decisions.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from portal.kernel.spreadsheets import append_row, safe_cell
from portal.models import Student

Row = dict[str | Promise, Any]
SectionFn = Callable[[Student], list[Row]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    rows: SectionFn
    order: int


_sections: dict[str, Section] = {}
_discovered = False


def register_section(key: str, title: str | Promise, fn: SectionFn, *, order: int = 100) -> None:
    _sections[key] = Section(key, title, fn, order)


def sections() -> list[Section]:
    global _discovered
    if not _discovered:
        autodiscover_modules("personal_data")
        _discovered = True
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def plain(value: Any) -> Any:
    """A value as JSON and a spreadsheet cell can hold it: text, numbers as text, local times."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def collect(student: Student) -> dict[str, Any]:
    """Everything, in the active language: {"student_no", "generated_at", "sections": [{key, title, rows}]}."""
    return {
        "student_no": student.student_no,
        "generated_at": date_format(timezone.localtime(), "Y-m-d H:i"),
        "sections": [
            {
                "key": section.key,
                "title": str(section.title),
                "rows": [{str(k): plain(v) for k, v in row.items()} for row in section.rows(student)],
            }
            for section in sections()
        ],
    }


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def as_xlsx(data: dict[str, Any]) -> bytes:
    """One sheet per section, a header row of the section's column labels."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for section in data["sections"]:
        # Sheet titles: at most 31 characters, none of []:*?/\ (labels are ours, but stay safe).
        title = "".join(c for c in section["title"] if c not in "[]:*?/\\")[:31] or section["key"][:31]
        sheet = book.create_sheet(title)
        columns: list[str] = []
        for row in section["rows"]:
            columns += [c for c in row if c not in columns]
        if not columns:
            sheet.append([str(_("Nothing recorded."))])
            continue
        append_row(sheet, columns)
        for row in section["rows"]:
            append_row(sheet, [cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell(value: Any) -> Any:
    """One value as a cell: lists and dicts joined as text; never a formula (portal.kernel.spreadsheets.safe_cell)."""
    if isinstance(value, list):
        return safe_cell("; ".join(str(cell(v)) for v in value))
    if isinstance(value, dict):
        return safe_cell(", ".join(f"{k}: {cell(v)}" for k, v in value.items()))
    return safe_cell(value)


# --- The portal's own sections -------------------------------------------------------------------------------


def _profile(student: Student) -> list[Row]:
    return [
        {
            _("student number"): student.student_no,
            _("name"): student.name,
            _("gender"): student.get_gender_display(),
            _("ethnicity"): student.ethnicity,
            _("ID-card number"): student.id_card_masked,
            _("phone"): student.phone,
            _("province"): student.hometown_province,
            _("prefecture"): student.hometown_prefecture,
            _("county"): student.hometown_county,
            _("home address"): student.hometown_address,
            _("college"): student.college.name,
            _("class"): student.class_group.name,
            _("room"): str(student.room) if student.room else "",
            _("enrolment year"): student.enrolment_year,
            _("status"): student.get_status_display(),
            _("login"): student.user.username,
            _("e-mail"): student.user.email,
        }
    ]


def _guardians(student: Student) -> list[Row]:
    return [
        {_("name"): g.name, _("relation"): g.relation, _("phone"): g.phone} for g in student.guardians.order_by("id")
    ]


def _notifications(student: Student) -> list[Row]:
    return [
        {_("created"): n.created_at, _("title"): n.title, _("message"): n.body, _("read"): n.read_at}
        for n in student.user.notifications.order_by("-created_at", "-id")
    ]


register_section("profile", _("Profile"), _profile, order=10)
register_section("guardians", _("Guardians"), _guardians, order=11)
register_section("notifications", _("Notifications"), _notifications, order=12)
