"""The roster import: file formats, every kind of bad row, upserts, the command and the admin page."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from portal.crypto import blind_index
from portal.models import AuditEvent, ClassGroup, DormRoom, Guardian, Role, RoleAssignment, Student, User
from portal.roster import RosterError, roster_import
from portal.tests.factories import ClassGroupFactory, CollegeFactory, StudentFactory, UserFactory
from portal.tests.roster_files import HEADER, csv_bytes, id_card, png_bytes, roster_row, write_csv, write_xlsx
from portal.validators import mask_id_card

pytestmark = pytest.mark.django_db

PHONE_MESSAGE = "Enter an 11-digit mobile number (13800138000) or a landline with area code (027-12345678)."
ID_FORMAT_MESSAGE = "An ID-card number has 18 characters: 17 digits and a digit or X."
ID_CHECKSUM_MESSAGE = "The ID-card number's check digit is wrong."
UNREADABLE = "unreadable file: save the roster as an Excel .xlsx file or as CSV (UTF-8 or GBK)."


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in the source language whatever the catalogue holds.
    with translation.override("en"):
        yield


@pytest.fixture
def colleges(db):
    return CollegeFactory(code="CS", name="计算机学院"), CollegeFactory(code="ME", name="机电工程学院")


def import_file(path: Path, *, dry_run: bool = False, actor: User | None = None):
    return roster_import(actor=actor, data=path.read_bytes(), filename=path.name, dry_run=dry_run)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Student, User, ClassGroup, DormRoom, Guardian, RoleAssignment, AuditEvent)
    }


def three_rows(**overrides_for_row_3) -> list[dict]:
    """Rows 2, 3 and 4 as Excel numbers them; overrides apply to row 3."""
    return [roster_row(1), roster_row(2, **overrides_for_row_3), roster_row(3)]


# --- Good files ------------------------------------------------------------------------------------


def test_a_good_utf8_csv_creates_students_classes_rooms_logins_and_guardians(colleges, tmp_path):
    cs, _me = colleges
    path = write_csv(
        tmp_path / "roster.csv",
        [
            roster_row(1, 姓名="买买提·艾力", 民族="维吾尔族", 宿舍号="301"),
            roster_row(2, 姓名="ئەخمەت", 民族="维吾尔族", 宿舍号="1203"),
            roster_row(3, 姓名="  李娜 ", 手机=" 139 0000 0003 ", 状态="", 监护人="", 监护人关系="", 监护人电话=""),
        ],
    )

    result = import_file(path)

    assert result.errors == []
    assert (result.created, result.updated, result.rows) == (3, 0, 3)
    first = Student.objects.get(student_no="2024000001")
    assert first.name == "买买提·艾力"
    assert Student.objects.get(student_no="2024000002").name == "ئەخمەت"
    third = Student.objects.get(student_no="2024000003")
    assert third.name == "李娜"
    assert third.phone == "13900000003"
    assert third.status == Student.Status.ENROLLED
    assert third.guardians.count() == 0

    assert first.gender == "F" and third.gender == "F"
    assert Student.objects.get(student_no="2024000002").gender == "M"
    assert first.college == cs
    assert (first.hometown_province, first.hometown_prefecture, first.hometown_county) == (
        "新疆维吾尔自治区",
        "喀什地区",
        "疏附县",
    )
    klass = ClassGroup.objects.get(name="软件2401班")
    assert (klass.college, klass.major, klass.enrolment_year) == (cs, "软件技术", 2024)
    assert first.class_group == klass and first.enrolment_year == 2024
    assert (first.room.building, first.room.room, first.room.floor) == ("北苑3栋", "301", 3)
    assert DormRoom.objects.get(room="1203").floor == 12

    user = first.user
    assert (user.username, user.full_name) == ("2024000001", "买买提·艾力")
    assert not user.has_usable_password()
    assert RoleAssignment.objects.filter(user=user, role=Role.STUDENT).exists()
    guardian = first.guardians.get()
    assert (guardian.name, guardian.relation, guardian.phone) == ("家长1", "母亲", "13900000001")

    # The ID card is ciphertext in the table, masked for lists, found by its blind index.
    assert first.id_card_number == id_card(1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_card_number FROM portal_student WHERE student_no = %s", ["2024000001"])
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and id_card(1) not in stored
    assert first.id_card_masked == mask_id_card(id_card(1)) == id_card(1)[:4] + "*" * 10 + id_card(1)[-4:]
    assert first.id_card_index == blind_index(id_card(1))

    event = AuditEvent.objects.get(action="roster.imported")
    assert event.object_type == "portal.student"
    assert event.changes == {"created": 3, "updated": 0, "rows": 3}


def test_text_with_backslashes_and_quotes_is_stored_as_written(colleges, tmp_path):
    """New rows go in by COPY, whose text format gives the backslash a meaning: it must arrive as written."""
    path = write_csv(
        tmp_path / "roster.csv",
        [roster_row(1, 姓名="王\\N", 家庭地址=r"C:\路\t 1号 \\ 'a' \"b\""), roster_row(2, 家庭地址="\\")],
    )

    result = import_file(path)

    assert result.errors == []
    first, second = Student.objects.order_by("student_no")
    assert (first.name, first.user.full_name) == ("王\\N", "王\\N")
    assert first.hometown_address == r"C:\路\t 1号 \\ 'a' \"b\""
    assert second.hometown_address == "\\"
    # Each login has its own unusable password, as make_password(None) would give.
    passwords = set(User.objects.filter(student__isnull=False).values_list("password", flat=True))
    assert len(passwords) == 2 and all(p.startswith("!") and len(p) == 41 for p in passwords)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_csv_as_chinese_excel_writes_it_is_read(colleges, tmp_path, encoding):
    rows = [roster_row(1, 姓名="欧阳娜娜"), roster_row(2, 姓名="张伟", 家庭地址="湖北省武汉市洪山区珞喻路")]
    path = write_csv(tmp_path / "花名册.csv", rows, encoding=encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")

    result = import_file(path)

    assert result.errors == []
    assert result.created == 2
    assert Student.objects.get(student_no="2024000001").name == "欧阳娜娜"
    assert Student.objects.get(student_no="2024000002").hometown_address == "湖北省武汉市洪山区珞喻路"
    assert ClassGroup.objects.filter(name="软件2401班").exists()


def test_xlsx_with_numbers_in_cells(colleges, tmp_path):
    rows = [roster_row(1, 姓名="买买提·艾力"), roster_row(2, 姓名="ئەخمەت"), roster_row(3, 学号=2024000003.0)]
    path = write_xlsx(tmp_path / "roster.xlsx", rows)

    result = import_file(path)

    assert result.errors == []
    assert result.created == 3
    assert sorted(Student.objects.values_list("student_no", flat=True)) == ["2024000001", "2024000002", "2024000003"]
    first = Student.objects.get(student_no="2024000001")
    assert (first.name, first.phone, first.enrolment_year) == ("买买提·艾力", "13800000001", 2024)
    assert first.id_card_number == id_card(1)
    assert Student.objects.get(student_no="2024000002").name == "ئەخمەت"
    assert User.objects.filter(username="2024000003").exists()


def test_english_headers_in_any_case_are_accepted(colleges, tmp_path):
    english_header = {"学号": "Student_No", "姓名": "NAME", "性别": "gender", "学院": "College", "专业": "major"}
    english_header |= {"班级": "Class", "入学年份": "Enrolment_Year", "手机": "电话"}
    row = {english_header.get(k, k): v for k, v in roster_row(1).items() if k not in ("状态",)}
    row["College"] = "cs"  # by code, case-insensitive
    result = import_file(write_csv(tmp_path / "en.csv", [row]))
    assert result.errors == []
    assert Student.objects.get(student_no="2024000001").phone == "13800000001"


def test_reimport_updates_by_student_number_without_duplicates(colleges, tmp_path):
    import_file(write_csv(tmp_path / "first.csv", three_rows()))
    before = counts()
    rows = three_rows(姓名="新名字", 手机="13711112222", 身份证号=id_card(99), 监护人="父亲名", 监护人关系="父亲")
    rows[0]["状态"] = "休学"

    result = import_file(write_csv(tmp_path / "second.csv", rows))

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    after = counts()
    assert after.pop("AuditEvent") == before.pop("AuditEvent") + 1
    assert after == before
    changed = Student.objects.get(student_no="2024000002")
    assert (changed.name, changed.phone, changed.user.full_name) == ("新名字", "13711112222", "新名字")
    assert changed.id_card_number == id_card(99)
    assert changed.id_card_masked == mask_id_card(id_card(99))
    assert changed.id_card_index == blind_index(id_card(99))
    assert [(g.name, g.relation) for g in changed.guardians.all()] == [("父亲名", "父亲")]
    assert Student.objects.get(student_no="2024000001").status == Student.Status.LEAVE
    assert AuditEvent.objects.filter(action="roster.imported").latest("id").changes == {
        "created": 0,
        "updated": 2,
        "rows": 3,
    }


def test_reimport_without_guardian_columns_or_with_blank_guardians_keeps_guardians(colleges, tmp_path):
    import_file(write_csv(tmp_path / "first.csv", three_rows()))
    no_guardian_columns = [h for h in HEADER if not h.startswith("监护人")]
    result = import_file(write_csv(tmp_path / "second.csv", three_rows(), header=no_guardian_columns))
    assert (result.errors, result.updated, result.unchanged) == ([], 0, 3)
    blank = three_rows(监护人="", 监护人关系="", 监护人电话="")
    result = import_file(write_csv(tmp_path / "third.csv", blank))
    assert (result.errors, result.updated) == ([], 0)
    assert Guardian.objects.count() == 3


def test_an_existing_student_moves_class_and_room(colleges, tmp_path):
    existing = StudentFactory(student_no="2024000002", class_group=ClassGroupFactory(college=colleges[0]))
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(班级="软件2402班", 宿舍号="512")))
    assert (result.errors, result.created, result.updated) == ([], 2, 1)
    existing.refresh_from_db()
    assert existing.class_group.name == "软件2402班"
    assert (existing.room.room, existing.room.floor) == ("512", 5)


def test_an_import_costs_a_fixed_number_of_queries(colleges, tmp_path, django_assert_max_num_queries):
    path = write_csv(tmp_path / "roster.csv", [roster_row(n, 宿舍号=f"{n}01") for n in range(1, 61)])
    with django_assert_max_num_queries(20):
        result = import_file(path)
    assert result.created == 60
    path = write_csv(tmp_path / "roster.csv", [roster_row(n, 手机=f"137{n:08d}") for n in range(1, 61)])
    with django_assert_max_num_queries(20):
        result = import_file(path)
    assert result.updated == 60


def test_dry_run_checks_and_writes_nothing(colleges, tmp_path):
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows()), dry_run=True)
    assert (result.errors, result.created, result.dry_run) == ([], 3, True)
    assert counts() == before


# --- Bad rows: nothing is imported, every error has its row and reason ------------------------------


def this_year() -> int:
    return timezone.localdate().year  # at run time: an any_day test runs on a pinned day


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"姓名": "  "}, "姓名", "required value missing"),
        ({"学号": ""}, "学号", "required value missing"),
        ({"班级": ""}, "班级", "required value missing"),
        ({"学院": "外星学院"}, "学院", "unknown college “外星学院”"),
        ({"手机": "12345"}, "手机", PHONE_MESSAGE),
        ({"监护人电话": "110"}, "监护人电话", PHONE_MESSAGE),
        ({"身份证号": "11010519900101"}, "身份证号", ID_FORMAT_MESSAGE),
        ({"身份证号": id_card(2)[:-1] + ("0" if id_card(2)[-1] != "0" else "1")}, "身份证号", ID_CHECKSUM_MESSAGE),
        ({"性别": "未知"}, "性别", "gender must be 男 or 女 (M or F), not “未知”"),
        ({"状态": "退学"}, "状态", "status must be 在读, 休学 or 毕业, not “退学”"),
        ({"姓名": "名" * 101}, "姓名", "longer than 100 characters"),
        ({"宿舍号": ""}, "宿舍号", "give both the building and the room, or neither"),
        ({"监护人关系": ""}, "监护人关系", "the guardian's relation is missing"),
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_imported(colleges, tmp_path, overrides, column, message):
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(**overrides)))
    assert result.errors == [RosterError(3, column, message)]
    assert (result.created, result.updated) == (0, 0)
    assert counts() == before


# The latest enrolment year accepted is next year (a roster for the coming intake), counted on the import's day.
@pytest.mark.any_day
@pytest.mark.parametrize("given", ["1999", "24", "{after_next}"])
def test_an_enrolment_year_out_of_range_is_reported_and_nothing_is_imported(colleges, tmp_path, given):
    given = given.format(after_next=this_year() + 2)
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(入学年份=given)))
    message = f"enrolment year must be a year from 2000 to {this_year() + 1}, not “{given}”"
    assert result.errors == [RosterError(3, "入学年份", message)]
    assert (result.created, result.updated) == (0, 0)
    assert counts() == before


@pytest.mark.any_day
def test_next_years_intake_is_accepted(colleges, tmp_path):
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(入学年份=str(this_year() + 1))))
    assert result.errors == []
    assert result.created == 3


def test_duplicate_student_number_names_the_first_row(colleges, tmp_path):
    rows = [*three_rows(), roster_row(4, 学号="2024000002")]
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", rows))
    assert result.errors == [RosterError(5, "学号", "student number 2024000002 appears twice: first in row 3")]
    assert counts() == before


def test_duplicate_id_card_within_the_file(colleges, tmp_path):
    rows = [*three_rows(), roster_row(4, 身份证号=id_card(1).lower())]
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", rows))
    assert result.errors == [RosterError(5, "身份证号", "the same ID-card number as row 2")]
    assert counts() == before


def test_id_card_of_another_student_in_the_database(colleges, tmp_path):
    StudentFactory(student_no="2023999999", id_card_number=id_card(2))
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows()))
    assert result.errors == [RosterError(3, "身份证号", "this ID-card number already belongs to student 2023999999")]
    assert counts() == before


def test_class_belonging_to_another_college(colleges, tmp_path):
    ClassGroupFactory(name="机电2401班", college=colleges[1])
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(班级="机电2401班")))
    assert result.errors == [RosterError(3, "班级", "class 机电2401班 belongs to another college (机电工程学院)")]
    assert counts() == before


def test_new_class_given_under_two_colleges(colleges, tmp_path):
    rows = three_rows(学院="机电工程学院")
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", rows))
    assert result.errors == [RosterError(3, "班级", "class 软件2401班 is under another college in row 2")]
    assert counts() == before


def test_a_login_with_the_student_number_that_is_no_student(colleges, tmp_path):
    UserFactory(username="2024000002")
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows()))
    assert result.errors == [
        RosterError(
            3,
            "学号",
            "a login named 2024000002 already exists but belongs to no student; rename or remove it first",
        )
    ]
    assert counts() == before


def test_a_file_with_several_errors_reports_all_of_them(colleges, tmp_path):
    rows = [
        roster_row(1),
        roster_row(2, 手机="12345", 性别="X"),
        roster_row(3),
        roster_row(4, 学院="外星学院"),
        roster_row(5, 学号="2024000001", 身份证号="123"),
        roster_row(6, 入学年份="1990"),
    ]
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", rows))
    assert result.errors == [
        RosterError(3, "性别", "gender must be 男 or 女 (M or F), not “X”"),
        RosterError(3, "手机", PHONE_MESSAGE),
        RosterError(5, "学院", "unknown college “外星学院”"),
        RosterError(6, "学号", "student number 2024000001 appears twice: first in row 2"),
        RosterError(6, "身份证号", ID_FORMAT_MESSAGE),
        RosterError(7, "入学年份", f"enrolment year must be a year from 2000 to {this_year() + 1}, not “1990”"),
    ]
    assert str(result.errors[1]) == f"row 3: 手机: {PHONE_MESSAGE}"
    assert counts() == before


def test_row_numbers_count_blank_rows_and_columns_are_named_as_in_the_file(colleges, tmp_path):
    text = "Student_No,Name,Gender,College,Major,Class,Enrolment_Year\n\n2024000001,李娜,女,CS,软件技术,软件1班,24\n"
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(path)
    assert result.errors == [
        RosterError(3, "Enrolment_Year", f"enrolment year must be a year from 2000 to {this_year() + 1}, not “24”")
    ]


def test_a_title_row_above_the_header_and_line_breaks_in_cells(colleges, tmp_path):
    rows = [roster_row(1, 家庭地址="幸福路1号\n3单元"), roster_row(2)]
    text = "2024级新生名单\n" + csv_bytes(rows).decode()
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(path)
    assert result.errors == []
    assert Student.objects.get(student_no="2024000001").hometown_address == "幸福路1号 3单元"
    bad = "2024级新生名单\n" + csv_bytes([roster_row(1), roster_row(2, 性别="?")]).decode()
    path.write_text(bad, encoding="utf-8")
    assert [e.row for e in import_file(path).errors] == [4]


def test_a_floor_column_wins_over_the_room_number(colleges, tmp_path):
    rows = [roster_row(1, 宿舍号="A12", 楼层="2"), roster_row(2, 宿舍号="B05", 楼层="")]
    result = import_file(write_csv(tmp_path / "roster.csv", rows))
    assert result.errors == []
    assert DormRoom.objects.get(room="A12").floor == 2
    assert DormRoom.objects.get(room="B05").floor == 0
    no_digits = write_csv(tmp_path / "r2.csv", [roster_row(3, 宿舍号="东侧")])
    assert import_file(no_digits).errors == [
        RosterError(2, "宿舍号", "cannot tell the floor of room “东侧”: add a 楼层 column")
    ]


def test_a_cell_that_is_too_long_gets_one_message(colleges, tmp_path):
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(宿舍楼="楼" * 51, 身份证号="1" * 31)))
    assert result.errors == [
        RosterError(3, "身份证号", "longer than 30 characters"),
        RosterError(3, "宿舍楼", "longer than 50 characters"),
    ]


def test_missing_column(colleges, tmp_path):
    header = [h for h in HEADER if h != "学号"]
    before = counts()
    result = import_file(write_csv(tmp_path / "roster.csv", three_rows(), header=header))
    assert result.errors == [RosterError(None, "学号", "missing column 学号")]
    assert str(result.errors[0]) == "file: missing column 学号"
    assert counts() == before


def corrupt_xlsx(tmp_path: Path) -> bytes:
    good = write_xlsx(tmp_path / "good.xlsx", three_rows()).read_bytes()
    return good[: len(good) // 2]


def not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.csv", bytes(range(256)) * 8),
        ("photo.csv", png_bytes()),
        ("photo.png", png_bytes()),
        ("roster.xlsx", "corrupt"),
        ("roster.xlsx", not_a_workbook()),
        ("roster.xlsx", "学号,姓名\n1,a\n".encode()),
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)),
        ("roster.pdf", b"%PDF-1.7\n"),
    ],
)
def test_unreadable_files_are_refused(colleges, tmp_path, name, content):
    if content == "corrupt":
        content = corrupt_xlsx(tmp_path)
    before = counts()
    path = tmp_path / name
    path.write_bytes(content)
    result = import_file(path)
    assert result.errors == [RosterError(None, "", UNREADABLE)]
    assert counts() == before


def test_empty_file_and_header_only(colleges, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert import_file(tmp_path / "empty.csv").errors == [RosterError(None, "", "the file is empty.")]
    header_only = write_csv(tmp_path / "header.csv", [], header=HEADER)
    assert import_file(header_only).errors == [RosterError(None, "", "the file has a header row but no students.")]


# --- The command ----------------------------------------------------------------------------------


def test_command_imports_and_prints_a_summary(colleges, tmp_path):
    out = io.StringIO()
    call_command("import_roster", str(write_csv(tmp_path / "roster.csv", three_rows())), stdout=out)
    assert "3 rows imported: 3 created, 0 updated, 0 unchanged" in out.getvalue()
    assert Student.objects.count() == 3


def test_command_dry_run_writes_nothing(colleges, tmp_path):
    out = io.StringIO()
    call_command("import_roster", str(write_csv(tmp_path / "roster.csv", three_rows())), "--dry-run", stdout=out)
    assert "Would create 3 students" in out.getvalue()
    assert Student.objects.count() == 0


def test_command_prints_every_error_and_fails(colleges, tmp_path):
    path = write_csv(tmp_path / "roster.csv", [roster_row(1, 手机="12345"), roster_row(2, 学院="外星学院")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_roster", str(path), stderr=err)
    assert err.getvalue().splitlines() == [f"row 2: 手机: {PHONE_MESSAGE}", "row 3: 学院: unknown college “外星学院”"]
    assert Student.objects.count() == 0


def test_command_exit_status_is_non_zero_on_errors(colleges, tmp_path, monkeypatch, capsys):
    from django.core.management import ManagementUtility

    # run_from_argv closes connections when done, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write_csv(tmp_path / "roster.csv", three_rows(性别="?"))
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_roster", str(path)]).execute()
    assert exit_info.value.code == 1
    assert "row 3: 性别: gender must be 男 or 女 (M or F), not “?”" in capsys.readouterr().err


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_roster", str(tmp_path / "nowhere.csv"))


def test_command_records_the_actor(colleges, tmp_path):
    admin = UserFactory(username="registrar")
    call_command(
        "import_roster", str(write_csv(tmp_path / "r.csv", three_rows())), "--actor", "registrar", stdout=io.StringIO()
    )
    assert AuditEvent.objects.get(action="roster.imported").actor == admin


# --- The admin page -------------------------------------------------------------------------------


IMPORT_URL = "/admin/portal/student/import/"


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def english_requests(client):
    # Pages are asserted in English: Django's own messages (form errors) are translated for zh-hans.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def upload(client, name: str, content: bytes, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content), **extra})


def test_import_url_is_named():
    assert reverse("admin:portal_student_import_roster") == IMPORT_URL


def test_admin_sees_the_page_and_the_button(client_for, admin_user):
    client = client_for(admin_user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    changelist = client.get(reverse("admin:portal_student_changelist"))
    assert IMPORT_URL.encode() in changelist.content


def test_staff_with_the_add_student_permission_may_import(client_for):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="add_student"))
    assert client_for(clerk).get(IMPORT_URL).status_code == 200


def test_non_staff_are_sent_to_the_admin_login(client_for):
    response = client_for(UserFactory()).get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_are_sent_to_the_admin_login(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_are_forbidden(client_for, colleges, tmp_path):
    client = client_for(UserFactory(is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, "roster.csv", csv_bytes(three_rows())).status_code == 403
    assert Student.objects.count() == 0
    assert IMPORT_URL.encode() not in client.get(reverse("admin:portal_student_changelist")).content


def test_a_good_upload_imports_and_says_how_many(client_for, admin_user, colleges):
    client = client_for(admin_user)
    response = upload(client, "roster.csv", csv_bytes(three_rows()))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:portal_student_changelist")
    assert Student.objects.count() == 3
    assert AuditEvent.objects.get(action="roster.imported").actor == admin_user
    page = client.get(response["Location"])
    assert "Roster imported: 3 students created, 0 updated, 0 unchanged." in page.content.decode()


def test_a_good_xlsx_dry_run_through_the_page(client_for, admin_user, colleges, tmp_path):
    content = write_xlsx(tmp_path / "r.xlsx", three_rows()).read_bytes()
    response = upload(client_for(admin_user), "r.xlsx", content, dry_run="on")
    assert response.status_code == 200
    assert "3 rows checked, no errors: 3 new students, 0 to update." in response.content.decode()
    assert Student.objects.count() == 0


def test_a_bad_upload_shows_every_error(client_for, admin_user, colleges):
    rows = [roster_row(1, 手机="12345"), roster_row(2, 学院="外星学院")]
    response = upload(client_for(admin_user), "roster.csv", csv_bytes(rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="roster-errors"' in html
    assert "<td>2</td>" in html and "<td>手机</td>" in html
    assert "<td>3</td>" in html and "unknown college “外星学院”" in html
    assert "nothing was imported" in html
    assert Student.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.csv", png_bytes(), "unreadable file"),
        ("empty.csv", b"", "The submitted file is empty."),
        ("huge.csv", b"x" * (20 * 1024 * 1024 + 1), "larger than 20 MB"),
        ("roster.csv", "姓名,性别\n李娜,女\n".encode(), "missing column 学号"),
    ],
)
def test_uploads_that_cannot_be_imported_get_a_message_not_a_500(client_for, admin_user, name, content, message):
    response = upload(client_for(admin_user), name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Student.objects.count() == 0


def test_an_upload_without_a_file(client_for, admin_user):
    response = client_for(admin_user).post(IMPORT_URL, {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
