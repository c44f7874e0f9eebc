"""The roster import: a college's student list (CSV or XLSX, Chinese headers) into students, classes,
rooms, logins and guardians. All or nothing: one bad row and nothing is written.

`roster_read` turns the uploaded bytes into a table (no database); `roster_import` validates every
row, then writes with bulk operations in one transaction. The command `import_roster` and the
student admin's "Import roster" page are thin wrappers around `roster_import`.

Updating an existing student: required columns always apply; an optional column missing from the file
leaves that field alone, while a present but blank cell clears it (a blank 状态 means enrolled).
Guardians are replaced only where the row names a guardian. Classes and rooms are created when missing;
existing ones are never changed (a differing 专业 for an existing class is ignored).
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_log
from portal.crypto import blind_index
from portal.kernel.spreadsheets import MAX_FILE_BYTES, Column, RowError, Table, TableFileError, read_table
from portal.models import ClassGroup, College, DormRoom, Gender, Guardian, Role, RoleAssignment, Student, User
from portal.validators import mask_id_card, normalise_id_card, normalise_phone, validate_id_card, validate_phone

BATCH_SIZE = 1000

_STUDENT_NO_RE = re.compile(r"^[\w.@+-]+$")
_YEAR_RE = re.compile(r"^\d{4}$")
_FLOOR_RE = re.compile(r"^-?\d{1,3}$")
_DIGITS_RE = re.compile(r"\d+")
_CONTROL_RE = re.compile("[\x00-\x1f]")


# --- Columns ---------------------------------------------------------------------------------------


COLUMNS: tuple[Column, ...] = (
    Column("student_no", "学号", ("student_no", "student_number"), required=True, max_length=20),
    Column("name", "姓名", ("name",), required=True, max_length=100),
    Column("gender", "性别", ("gender", "sex"), required=True),
    Column("ethnicity", "民族", ("ethnicity",), max_length=20),
    Column("id_card", "身份证号", ("身份证号码", "身份证", "id_card", "id_card_number"), max_length=30),
    Column("phone", "手机", ("电话", "手机号", "手机号码", "联系电话", "phone", "mobile"), max_length=20),
    Column("college", "学院", ("college",), required=True, max_length=100),
    Column("major", "专业", ("major",), required=True, max_length=100),
    Column("class", "班级", ("class", "class_group", "class_name"), required=True, max_length=100),
    Column("enrolment_year", "入学年份", ("enrolment_year", "enrollment_year", "year"), required=True),
    Column("building", "宿舍楼", ("building", "dorm_building"), max_length=50),
    Column("room", "宿舍号", ("room", "dorm_room"), max_length=20),
    Column("floor", "楼层", ("floor",)),
    Column("province", "省", ("省份", "province"), max_length=30),
    Column("prefecture", "地区", ("地市", "prefecture"), max_length=50),
    Column("county", "县", ("区县", "county"), max_length=50),
    Column("address", "家庭地址", ("address", "home_address"), max_length=200),
    Column("status", "状态", ("status",)),
    Column("guardian_name", "监护人", ("监护人姓名", "guardian_name", "guardian"), max_length=100),
    Column("guardian_relation", "监护人关系", ("guardian_relation",), max_length=20),
    Column("guardian_phone", "监护人电话", ("guardian_phone",), max_length=20),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}

_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "m": Gender.MALE, "f": Gender.FEMALE}
_GENDERS |= {"male": Gender.MALE, "female": Gender.FEMALE}
_STATUSES = {
    "在读": Student.Status.ENROLLED,
    "在校": Student.Status.ENROLLED,
    "休学": Student.Status.LEAVE,
    "毕业": Student.Status.GRADUATED,
    "已毕业": Student.Status.GRADUATED,
    "enrolled": Student.Status.ENROLLED,
    "leave": Student.Status.LEAVE,
    "on leave": Student.Status.LEAVE,
    "graduated": Student.Status.GRADUATED,
}


# --- Results ---------------------------------------------------------------------------------------


RosterError = RowError  # one problem of the file or of a row (portal.kernel.spreadsheets)


@dataclass
class RosterImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading files ---------------------------------------------------------------------------------


def _unreadable() -> str:
    return _("unreadable file: save the roster as an Excel .xlsx file or as CSV (UTF-8 or GBK).")


def roster_read(*, data: bytes, filename: str) -> Table:
    """Parse an uploaded roster (portal.kernel.spreadsheets.read_table). Raises TableFileError (with a message for
    the user)."""
    return read_table(
        data=data,
        filename=filename,
        columns=COLUMNS,
        key="student_no",
        unreadable=_unreadable(),
        no_rows=_("the file has a header row but no students."),
    )


# --- Validating rows -------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    student_no: str = ""
    gender: str = ""
    id_card: str = ""
    phone: str = ""
    college: College | None = None
    enrolment_year: int = 0
    status: str = Student.Status.ENROLLED
    room_key: tuple[str, str] | None = None
    floor: int | None = None
    guardian: tuple[str, str, str] | None = None


class _Checker:
    """Collects errors, named by the file's own headers, and returns them in row and column order."""

    _ORDER = {c.key: i for i, c in enumerate(COLUMNS)}

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self._found: list[tuple[int, int, RosterError]] = []

    def add(self, row: int, key: str, message: str) -> None:
        error = RosterError(row, self.headers.get(key) or COLUMNS_BY_KEY[key].label, message)
        self._found.append((row, self._ORDER[key], error))

    @property
    def errors(self) -> list[RosterError]:
        return [error for _row, _order, error in sorted(self._found, key=lambda found: found[:2])]


def _validation_message(exc: ValidationError) -> str:
    return str(exc.messages[0])


def _check_cells(row: _Row, checker: _Checker, this_year: int) -> None:
    """Checks that need only the row itself."""
    values = row.values
    n = row.number
    bad: set[str] = set()  # cells with a general error get no further checks: one message per cell
    for key, value in values.items():
        column = COLUMNS_BY_KEY[key]
        if column.required and not value:
            checker.add(n, key, _("required value missing"))
        elif _CONTROL_RE.search(value):
            checker.add(n, key, _("the text contains control characters"))
        elif column.max_length and len(value) > column.max_length:
            checker.add(n, key, _("longer than %(max)d characters") % {"max": column.max_length})
        else:
            continue
        bad.add(key)
    values = {key: ("" if key in bad else value) for key, value in values.items()}
    row.values = values

    row.student_no = values["student_no"]
    if row.student_no and not _STUDENT_NO_RE.match(row.student_no):
        checker.add(n, "student_no", _("a student number may only contain letters, digits and . @ + - _"))

    if values["gender"]:
        gender = _GENDERS.get(values["gender"].lower())
        if gender is None:
            checker.add(
                n, "gender", _("gender must be 男 or 女 (M or F), not “%(value)s”") % {"value": values["gender"]}
            )
        else:
            row.gender = gender

    year = values["enrolment_year"]
    if year:
        if not _YEAR_RE.match(year) or not 2000 <= int(year) <= this_year + 1:
            checker.add(
                n,
                "enrolment_year",
                _("enrolment year must be a year from 2000 to %(last)d, not “%(value)s”")
                % {"last": this_year + 1, "value": year},
            )
        else:
            row.enrolment_year = int(year)

    if values.get("status"):
        status = _STATUSES.get(values["status"].lower())
        if status is None:
            checker.add(
                n, "status", _("status must be 在读, 休学 or 毕业, not “%(value)s”") % {"value": values["status"]}
            )
        else:
            row.status = status

    if values.get("id_card"):
        row.id_card = normalise_id_card(values["id_card"])
        try:
            validate_id_card(row.id_card)
        except ValidationError as exc:
            checker.add(n, "id_card", _validation_message(exc))

    for key in ("phone", "guardian_phone"):
        if values.get(key):
            phone = normalise_phone(values[key])
            try:
                validate_phone(phone)
            except ValidationError as exc:
                checker.add(n, key, _validation_message(exc))
            if key == "phone":
                row.phone = phone
            else:
                values[key] = phone

    building, room = values.get("building", ""), values.get("room", "")
    if building and room:
        row.room_key = (building, room)
        if values.get("floor"):
            if _FLOOR_RE.match(values["floor"]):
                row.floor = int(values["floor"])
            else:
                checker.add(n, "floor", _("floor must be a whole number, not “%(value)s”") % {"value": values["floor"]})
        else:
            digits = _DIGITS_RE.search(room)
            if digits is None:
                checker.add(
                    n, "room", _("cannot tell the floor of room “%(room)s”: add a 楼层 column") % {"room": room}
                )
            else:
                row.floor = int(digits.group()[:-2] if len(digits.group()) >= 3 else digits.group()[0])
    elif (building or room) and not bad & {"building", "room"}:
        missing_key = "room" if building else "building"
        checker.add(n, missing_key, _("give both the building and the room, or neither"))

    guardian_name = values.get("guardian_name", "")
    guardian_relation = values.get("guardian_relation", "")
    guardian_phone = values.get("guardian_phone", "")
    if guardian_name:
        if not guardian_relation and "guardian_relation" not in bad:
            checker.add(n, "guardian_relation", _("the guardian's relation is missing"))
        row.guardian = (guardian_name, guardian_relation, guardian_phone)
    elif (guardian_relation or guardian_phone) and "guardian_name" not in bad:
        checker.add(n, "guardian_name", _("the guardian's name is missing"))


@dataclass
class _Plan:
    rows: list[_Row]
    present: set[str]
    existing: dict[str, Student]
    classes: dict[str, ClassGroup]  # name → existing class
    new_classes: dict[str, ClassGroup]  # name → unsaved class
    rooms: dict[tuple[str, str], DormRoom]
    new_rooms: dict[tuple[str, str], DormRoom]


def _plan(table: Table, checker: _Checker) -> _Plan:
    """Validate every row against the file and the database; nothing is written."""
    this_year = timezone.localdate().year
    rows = [_Row(number=n, values=values) for n, values in table.rows]
    first_row_of_no: dict[str, int] = {}
    first_row_of_id_card: dict[str, int] = {}
    for row in rows:
        _check_cells(row, checker, this_year)
        if row.student_no:
            if row.student_no in first_row_of_no:
                checker.add(
                    row.number,
                    "student_no",
                    _("student number %(no)s appears twice: first in row %(first)d")
                    % {"no": row.student_no, "first": first_row_of_no[row.student_no]},
                )
            else:
                first_row_of_no[row.student_no] = row.number
        if row.id_card:
            if row.id_card in first_row_of_id_card:
                checker.add(
                    row.number,
                    "id_card",
                    _("the same ID-card number as row %(first)d") % {"first": first_row_of_id_card[row.id_card]},
                )
            else:
                first_row_of_id_card[row.id_card] = row.number

    colleges: dict[str, College] = {}
    for college in College.objects.all():
        colleges[college.code.lower()] = college
        colleges[college.name] = college
    for row in rows:
        name = row.values["college"]
        if name:
            row.college = colleges.get(name) or colleges.get(name.lower())
            if row.college is None:
                checker.add(row.number, "college", _("unknown college “%(value)s”") % {"value": name})

    class_names = {row.values["class"] for row in rows if row.values["class"]}
    classes = {c.name: c for c in ClassGroup.objects.filter(name__in=class_names).select_related("college")}
    new_classes: dict[str, ClassGroup] = {}
    first_row_of_new_class: dict[str, int] = {}
    for row in rows:
        name = row.values["class"]
        if not name or row.college is None:
            continue
        if name in classes:
            if classes[name].college_id != row.college.pk:
                checker.add(
                    row.number,
                    "class",
                    _("class %(class)s belongs to another college (%(college)s)")
                    % {"class": name, "college": classes[name].college.name},
                )
        elif name in new_classes:
            if new_classes[name].college_id != row.college.pk:
                checker.add(
                    row.number,
                    "class",
                    _("class %(class)s is under another college in row %(first)d")
                    % {"class": name, "first": first_row_of_new_class[name]},
                )
        elif row.enrolment_year:
            new_classes[name] = ClassGroup(
                name=name, college=row.college, major=row.values["major"], enrolment_year=row.enrolment_year
            )
            first_row_of_new_class[name] = row.number

    room_keys = {row.room_key for row in rows if row.room_key}
    buildings = {building for building, _room in room_keys}
    rooms = {(r.building, r.room): r for r in DormRoom.objects.filter(building__in=buildings)}
    new_rooms: dict[tuple[str, str], DormRoom] = {}
    for row in rows:
        if row.room_key and row.room_key not in rooms and row.room_key not in new_rooms and row.floor is not None:
            new_rooms[row.room_key] = DormRoom(building=row.room_key[0], room=row.room_key[1], floor=row.floor)

    numbers = list(first_row_of_no)
    existing = {s.student_no: s for s in Student.objects.filter(student_no__in=numbers).defer("id_card_number")}
    new_numbers = [no for no in numbers if no not in existing]
    taken_usernames = set(User.objects.filter(username__in=new_numbers).values_list("username", flat=True))
    id_card_owner: dict[str, str] = {}
    if first_row_of_id_card:
        indexes = [blind_index(card) for card in first_row_of_id_card]
        id_card_owner = dict(
            Student.objects.filter(id_card_index__in=indexes).values_list("id_card_index", "student_no")
        )
    for row in rows:
        if row.student_no in taken_usernames and first_row_of_no.get(row.student_no) == row.number:
            checker.add(
                row.number,
                "student_no",
                _("a login named %(no)s already exists but belongs to no student; rename or remove it first")
                % {"no": row.student_no},
            )
        if row.id_card:
            owner = id_card_owner.get(blind_index(row.id_card))
            # An owner who is in this file gets their number from the file (caught as a duplicate above).
            if owner and owner != row.student_no and owner not in first_row_of_no:
                checker.add(
                    row.number,
                    "id_card",
                    _("this ID-card number already belongs to student %(no)s") % {"no": owner},
                )

    return _Plan(rows, set(table.headers), existing, classes, new_classes, rooms, new_rooms)


# --- Writing -----------------------------------------------------------------------------------------


# Column key → Student field, for optional columns: a column missing from the file leaves the field alone.
_OPTIONAL_FIELDS = {
    "ethnicity": "ethnicity",
    "province": "hometown_province",
    "prefecture": "hometown_prefecture",
    "county": "hometown_county",
    "address": "hometown_address",
}
_ATTNAME_TO_FIELD = {"college_id": "college", "class_group_id": "class_group", "room_id": "room"}


def _student_values(row: _Row, plan: _Plan) -> dict[str, Any]:
    """The Student attributes this row sets (foreign keys by id, so comparing them costs no query).

    Call after the new classes and rooms are saved: their ids are needed.
    """
    class_name = row.values["class"]
    values: dict[str, Any] = {
        "name": row.values["name"],
        "gender": row.gender,
        "college_id": row.college.pk if row.college else None,
        "class_group_id": (plan.classes.get(class_name) or plan.new_classes[class_name]).pk,
        "enrolment_year": row.enrolment_year,
    }
    for key, field_name in _OPTIONAL_FIELDS.items():
        if key in plan.present:
            values[field_name] = row.values[key]
    if "phone" in plan.present:
        values["phone"] = row.phone
    if "status" in plan.present:
        values["status"] = row.status
    if "building" in plan.present or "room" in plan.present:
        room = (plan.rooms.get(row.room_key) or plan.new_rooms[row.room_key]) if row.room_key else None
        values["room_id"] = room.pk if room else None
    return values


def _set_id_card(student: Student, id_card: str) -> None:
    # bulk_create and bulk_update skip Student.save(), which derives the masked form and the blind index.
    student.id_card_number = id_card
    student.id_card_masked = mask_id_card(id_card) if id_card else ""
    student.id_card_index = blind_index(id_card) if id_card else ""


def _guardian(student: Student, guardian: tuple[str, str, str]) -> Guardian:
    name, relation, phone = guardian
    return Guardian(student=student, name=name, relation=relation, phone=phone)


def _bulk_update(model: type[Model], objs: list[Model], fields: list[str]) -> None:
    """bulk_update's CASE WHEN grows quadratically with the batch (20,000 students took a minute);
    on PostgreSQL an UPDATE … FROM (VALUES …) joined on the primary key stays linear."""
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=BATCH_SIZE)
        return
    qn = connection.ops.quote_name
    pk = model._meta.pk
    changed = [model._meta.get_field(name) for name in fields]
    columns = [pk, *changed]
    table = qn(model._meta.db_table)
    row_sql = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in columns) + ")"
    set_sql = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in changed)
    names_sql = ", ".join(qn(f.column) for f in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            batch = objs[start : start + BATCH_SIZE]
            # get_db_prep_save runs each field's conversion: EncryptedTextField encrypts here.
            params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in batch for f in columns]
            cursor.execute(
                f"UPDATE {table} SET {set_sql} FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v({names_sql}) "  # noqa: S608
                f"WHERE {table}.{qn(pk.column)} = v.{qn(pk.column)}",
                params,
            )


def _copy_value(value: Any) -> str:
    """One value, as get_db_prep_save gives it, in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):  # a datetime is aware (USE_TZ): its ISO form carries the offset
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")


_PLAIN_FIELDS = {
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.EmailField,
    models.ForeignKey,
    models.OneToOneField,
    models.PositiveSmallIntegerField,
    models.TextField,
}


def _bulk_create(model: type[Model], objs: list[Model]) -> None:
    """bulk_create, on PostgreSQL by COPY: ids drawn from the table's sequence in one query, every row in one
    COPY … FROM STDIN. The ORM's INSERT … VALUES spent more time composing its statements (a parameter per
    cell, 20,000 students × 19 columns) than PostgreSQL spent on them. Like bulk_create: no save(), no signals,
    each field's pre_save and get_db_prep_save (the ID-card number is encrypted there), the ids set on `objs`."""
    if connection.vendor != "postgresql" or not objs:
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    meta = model._meta
    qn = connection.ops.quote_name
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        # Plain columns are written as the attribute holds them (a str, int, bool or None already); the others
        # (the encrypted ID-card number, dates) go through pre_save and get_db_prep_save like bulk_create's.
        plain = [type(f) in _PLAIN_FIELDS for f in fields]
        attnames = [f.attname for f in fields]
        buffer = io.StringIO()
        for obj, pk in zip(objs, ids, strict=True):
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            obj.pk = pk
            values = [
                getattr(obj, attname) if is_plain else f.get_db_prep_save(f.pre_save(obj, True), connection)
                for f, attname, is_plain in zip(fields, attnames, plain, strict=True)
            ]
            buffer.write("\t".join(map(_copy_value, values)) + "\n")
        buffer.seek(0)
        columns = ", ".join(qn(f.column) for f in fields)
        cursor.cursor.copy_expert(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN", buffer)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _unusable_password() -> str:
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def _create_students(plan: _Plan, rows: list[_Row]) -> tuple[list[Student], list[Guardian]]:
    # One random unusable password per user, as make_password(None) makes it (! and 40 random characters), from
    # one call to the OS each rather than 40 (make_password took 8 s of a 20,000-row import): no hashing; accounts
    # are activated by SSO or a reset.
    users = [User(username=row.student_no, full_name=row.values["name"], password=_unusable_password()) for row in rows]
    _bulk_create(User, users)
    students = []
    for row, user in zip(rows, users, strict=True):
        student = Student(user=user, student_no=row.student_no, **_student_values(row, plan))
        _set_id_card(student, row.id_card)
        students.append(student)
    _bulk_create(Student, students)
    _bulk_create(RoleAssignment, [RoleAssignment(user=user, role=Role.STUDENT) for user in users])
    guardians = [_guardian(student, row.guardian) for row, student in zip(rows, students, strict=True) if row.guardian]
    return students, guardians


def _update_students(plan: _Plan, rows: list[_Row]) -> tuple[list[Student], list[Guardian]]:
    """Change only students whose data differ, so re-importing the same file writes (almost) nothing."""
    has_id_card = "id_card" in plan.present
    current_guardians: dict[int, list[tuple[str, str, str]]] = {}
    if "guardian_name" in plan.present and rows:
        for student_id, name, relation, phone in Guardian.objects.filter(
            student_id__in=[plan.existing[row.student_no].pk for row in rows]
        ).values_list("student_id", "name", "relation", "phone"):
            current_guardians.setdefault(student_id, []).append((name, relation, phone))

    changed: list[Student] = []
    changed_id_cards: list[str] = []
    new_guardians: list[Guardian] = []
    update_fields: set[str] = set()
    for row in rows:
        student = plan.existing[row.student_no]
        values = _student_values(row, plan)
        update_fields.update(values)
        is_changed = False
        for attname, value in values.items():
            if getattr(student, attname) != value:
                setattr(student, attname, value)
                is_changed = True
        # The number itself is deferred (no decrypting 20,000 values): compare blind indexes.
        if has_id_card and student.id_card_index != (blind_index(row.id_card) if row.id_card else ""):
            is_changed = True
        # Guardians are replaced only when the row names one; a blank cell keeps the current list.
        if row.guardian and current_guardians.get(student.pk) != [row.guardian]:
            new_guardians.append(_guardian(student, row.guardian))
            is_changed = True
        if is_changed:
            changed.append(student)
            changed_id_cards.append(row.id_card)

    if not changed:
        return [], []
    fields = {_ATTNAME_TO_FIELD.get(name, name) for name in update_fields}
    if has_id_card:
        fields |= {"id_card_number", "id_card_masked", "id_card_index"}
        for student, id_card in zip(changed, changed_id_cards, strict=True):
            _set_id_card(student, id_card)
    _bulk_update(Student, changed, sorted(fields))

    names = {student.user_id: student.name for student in changed}
    renamed = []
    for user in User.objects.filter(pk__in=names).only("pk", "full_name"):
        if user.full_name != names[user.pk]:
            user.full_name = names[user.pk]
            renamed.append(user)
    _bulk_update(User, renamed, ["full_name"])
    Guardian.objects.filter(student_id__in=[g.student_id for g in new_guardians]).delete()
    return changed, new_guardians


def _lock_roster_imports() -> None:
    """Two imports at once would race on the same 学号 and classes; the second waits for the first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('nuanxin.roster_import'))")


@transaction.atomic
def roster_import(*, actor: User | None, data: bytes, filename: str, dry_run: bool = False) -> RosterImportResult:
    """Import a roster file: all rows or none.

    Validates every row (file-level problems first: unreadable file, missing columns); with any error
    nothing is written and `errors` lists them all. Otherwise creates or updates students by 学号, creates
    missing classes and rooms, gives each new student a login with an unusable password and the student
    role, and writes one audit event with counts only. `dry_run` validates without writing.
    The caller has checked the actor may add students.
    """
    result = RosterImportResult(dry_run=dry_run)
    try:
        table = roster_read(data=data, filename=filename)
    except TableFileError as exc:
        result.errors.append(RosterError(None, exc.column, str(exc)))
        return result
    result.rows = len(table.rows)
    _lock_roster_imports()
    checker = _Checker(table.headers)
    plan = _plan(table, checker)
    if checker.errors:
        result.errors = checker.errors
        return result
    new_rows = [row for row in plan.rows if row.student_no not in plan.existing]
    old_rows = [row for row in plan.rows if row.student_no in plan.existing]
    if dry_run:
        result.created = len(new_rows)
        result.updated = len(old_rows)  # at most: a dry run does not compare values
        return result

    ClassGroup.objects.bulk_create(list(plan.new_classes.values()), batch_size=BATCH_SIZE)
    DormRoom.objects.bulk_create(list(plan.new_rooms.values()), batch_size=BATCH_SIZE)
    created, guardians = _create_students(plan, new_rows)
    changed, replacement_guardians = _update_students(plan, old_rows)
    _bulk_create(Guardian, guardians + replacement_guardians)

    result.created = len(created)
    result.updated = len(changed)
    result.unchanged = len(old_rows) - len(changed)
    audit_log(
        actor=actor,
        action="roster.imported",
        object_type="portal.student",
        changes={"created": result.created, "updated": result.updated, "rows": result.rows},
    )
    return result


# --- The upload form -------------------------------------------------------------------------------


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy("An Excel .xlsx file or a CSV file (UTF-8 or GBK), at most 20 MB."),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Only check the file; import nothing"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 20 MB; split it into several files."), code="too_large")
        return upload
