"""The canteen import: CSV (UTF-8, GBK) and XLSX, all or nothing with every error listed by row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate
from aid.services import hiddenaid as services
from aid.services.hiddenaid_canteen import canteen_import, parse_month
from aid.tests.test_hiddenaid_helpers import (
    MONTH,
    canteen_csv,
    canteen_xlsx,
    english,  # noqa: F401 - a fixture
    evaluated_batch,
    make_fund,
)
from portal.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _rows(world) -> list[list[object]]:
    return [
        [world.student_a.student_no, "2025-03", 62, "123.45"],
        [world.roommate_a.student_no, "2025-03", 40, "500.00"],
        [world.student_b.student_no, "2025-03", 75, "0"],
    ]


def _records() -> dict[str, tuple[int, Decimal]]:
    return {r.student.student_no: (r.meals, r.total_spend) for r in CanteenRecord.objects.select_related("student")}


def test_it_imports_a_utf8_csv(world):
    result = canteen_import(actor=world["aidofficer"], data=canteen_csv(_rows(world)), filename="食堂.csv")
    assert result.ok, result.errors
    assert result.rows == 3
    assert result.months == [MONTH]
    assert _records()[world.student_a.student_no] == (62, Decimal("123.45"))
    assert CanteenImport.objects.get().rows == 3
    assert AuditEvent.objects.filter(action="hiddenaid.canteen_imported").count() == 1


def test_it_imports_a_gbk_csv(world):
    data = canteen_csv(_rows(world), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = canteen_import(actor=world["aidofficer"], data=data, filename="canteen.csv")
    assert result.ok, result.errors
    assert len(_records()) == 3


def test_it_imports_an_xlsx_with_numbers_and_date_cells(world):
    rows = [
        [int(world.student_a.student_no), date(2025, 3, 1), 62, 123.45],
        [int(world.student_b.student_no), "2025-03", 61.0, 88],
    ]
    result = canteen_import(actor=world["aidofficer"], data=canteen_xlsx(rows), filename="canteen.xlsx")
    assert result.ok, result.errors
    assert _records() == {
        world.student_a.student_no: (62, Decimal("123.45")),
        world.student_b.student_no: (61, Decimal("88.00")),
    }


def test_it_reads_english_headers(world):
    data = canteen_csv(_rows(world), header=["student_no", "month", "meals", "spend"])
    assert canteen_import(actor=None, data=data, filename="c.csv").ok


def test_every_kind_of_bad_row_is_listed_and_nothing_is_imported(world):
    a, b, c = world.student_a.student_no, world.student_b.student_no, world.roommate_a.student_no
    rows = [
        ["9999999999", "2025-03", 60, "100"],  # row 2: unknown student
        [a, "2025-13", 60, "100"],  # row 3: bad month
        [b, "2025-03", -1, "100"],  # row 4: negative meals
        [c, "2025-03", 60, "abc"],  # row 5: non-numeric spend
        [a, "2025-02", 60, "-3.00"],  # row 6: negative spend
        [b, "2025-02", 60, "10"],  # row 7: fine
        [b, "2025-02", 61, "11"],  # row 8: duplicate of row 7
        [c, "2025-04", "many", "10"],  # row 9: non-numeric meals
        [c, "", 60, "10"],  # row 10: missing month
        [c, "2099-01", 60, "10"],  # row 11: future month
        [a, "2025-01", 60, "1.234"],  # row 12: three decimals
    ]
    result = canteen_import(actor=world["aidofficer"], data=canteen_csv(rows), filename="bad.csv")
    assert not result.ok
    assert CanteenRecord.objects.count() == 0
    assert CanteenImport.objects.count() == 0
    by_row = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(str(error))
    assert sorted(by_row) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert "unknown student number 9999999999" in by_row[2][0]
    assert "YYYY-MM" in by_row[3][0]
    assert "whole number" in by_row[4][0]
    assert "must be a number" in by_row[5][0]
    assert "cannot be negative" in by_row[6][0]
    assert "appears twice for 2025-02: first in row 7" in by_row[8][0]
    assert "required value missing" in by_row[10][0]
    assert "in the future" in by_row[11][0]
    assert "two decimals" in by_row[12][0]
    assert str(result.errors[0]).startswith("row 2: 学号:")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "canteen.csv", "unreadable file"),
        (b"PK\x03\x04not really a zip", "canteen.xlsx", "unreadable file"),
        (b"\xff\x00\x01\x02garbage\x00", "canteen.csv", "unreadable file"),
        (b"hello,world\n1,2\n", "canteen.csv", "missing column"),
        (b"   ", "canteen.csv", "empty"),
        ("学号,月份,用餐次数,消费金额\n".encode(), "canteen.csv", "no data rows"),
        (b"a,b", "canteen.pdf", "unreadable file"),
    ],
)
def test_an_unreadable_file_is_one_error_and_nothing_is_imported(world, data, filename, message):
    result = canteen_import(actor=None, data=data, filename=filename)
    assert len(result.errors) == 1
    assert result.errors[0].row is None
    assert message in str(result.errors[0])
    assert CanteenRecord.objects.count() == 0


def test_reimporting_a_month_replaces_it_and_leaves_other_months(world):
    officer = world["aidofficer"]
    canteen_import(actor=officer, data=canteen_csv(_rows(world)), filename="march.csv")
    canteen_import(
        actor=officer, data=canteen_csv([[world.student_a.student_no, "2025-02", 70, "50"]]), filename="feb.csv"
    )
    result = canteen_import(
        actor=officer, data=canteen_csv([[world.student_b.student_no, "2025-03", 66, "77.70"]]), filename="march2.csv"
    )
    assert result.ok
    assert result.replaced == 3
    march = CanteenRecord.objects.filter(month=MONTH)
    assert [(r.student_id, r.meals, r.total_spend) for r in march] == [(world.student_b.pk, 66, Decimal("77.70"))]
    assert CanteenRecord.objects.filter(month=date(2025, 2, 1)).count() == 1
    assert list(CanteenImport.objects.filter(month=MONTH).values_list("filename", flat=True)) == ["march2.csv"]


def test_a_month_whose_batch_is_approved_cannot_be_replaced(world):
    officer = world["aidofficer"]
    canteen_import(actor=officer, data=canteen_csv(_rows(world)), filename="march.csv")
    batch = evaluated_batch(officer)
    services.hiddenaid_batch_approve(actor=officer, batch=batch, fund=make_fund())
    result = canteen_import(actor=officer, data=canteen_csv(_rows(world)[:1]), filename="again.csv")
    assert not result.ok
    assert "already approved" in str(result.errors[0])
    assert CanteenRecord.objects.filter(month=MONTH).count() == 3


def test_reimporting_a_month_under_review_evaluates_it_again_and_keeps_hand_changes(world):
    officer = world["aidofficer"]
    services.hiddenaid_canteen_import(actor=officer, data=canteen_csv(_rows(world)), filename="march.csv")
    batch = evaluated_batch(officer)
    assert set(batch.candidates.values_list("student_id", flat=True)) == {world.student_a.pk, world.student_b.pk}
    services.hiddenaid_candidate_add(
        actor=world["station"], batch=batch, student=world.roommate_a, reason="家里刚出事", amount=Decimal("100")
    )
    rows = [[world.student_a.student_no, "2025-03", 30, "100"], [world.roommate_a.student_no, "2025-03", 40, "500"]]
    result, reevaluated = services.hiddenaid_canteen_import(actor=officer, data=canteen_csv(rows), filename="m.csv")
    assert result.ok
    assert reevaluated == [batch]
    remaining = dict(HiddenAidCandidate.objects.filter(batch=batch).values_list("student_id", "by_rule"))
    assert remaining == {world.roommate_a.pk: False}  # student_a no longer qualifies, student_b has no data


def test_the_import_page_is_for_officers_and_lists_errors(world, client_for):
    url = reverse("aid:hiddenaid_import")
    assert client_for(world["station"]).get(url).status_code == 403
    client = client_for(world["aidofficer"])
    assert client.get(url).status_code == 200
    bad = canteen_csv([["9999999999", "2025-03", 60, "100"], [world.student_a.student_no, "March", 60, "x"]])
    response = client.post(url, {"file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")})
    assert response.status_code == 200
    body = response.content.decode()
    assert "nothing was imported" in body
    assert "row 2: 学号: unknown student number 9999999999" in body
    assert "row 3: 月份:" in body
    assert "row 3: 消费金额:" in body
    assert CanteenRecord.objects.count() == 0
    good = canteen_csv(_rows(world), encoding="gbk")
    response = client.post(url, {"file": SimpleUploadedFile("good.csv", good, content_type="text/csv")}, follow=True)
    assert "3 rows imported for 2025-03" in response.content.decode()
    assert CanteenRecord.objects.count() == 3


def test_the_import_page_refuses_a_missing_file_with_a_message(world, client_for):
    response = client_for(world["aidofficer"]).post(reverse("aid:hiddenaid_import"), {})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_the_command_imports_and_reports_errors(world, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(canteen_csv(_rows(world)))
    call_command("import_canteen", str(good), "--actor", "aidofficer")
    assert CanteenRecord.objects.count() == 3
    assert CanteenImport.objects.get().imported_by == world["aidofficer"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(canteen_csv([["nobody", "2025-01", 1, "1"]]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_canteen", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_canteen", str(tmp_path / "missing.csv"))
    assert not HiddenAidBatch.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03", date(2025, 3, 1)),
        ("2025/3", date(2025, 3, 1)),
        ("2025年3月", date(2025, 3, 1)),
        ("2025-03-01", date(2025, 3, 1)),
        ("2025-13", None),
        ("2025-02-30", None),
        ("March", None),
        ("", None),
    ],
)
def test_months_are_read_in_the_usual_spellings(text, expected):
    assert parse_month(text) == expected
