"""Helpers shared by the hidden-aid tests (no tests here): canteen files, records, funds, batches."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from aid.models import AcademicYear, CanteenImport, CanteenRecord, Fund, HiddenAidBatch, Party
from aid.services import hiddenaid as services
from portal.models import Setting, Student, User

MONTH = date(2025, 3, 1)
HEADER = ["学号", "月份", "用餐次数", "消费金额"]


def canteen_csv(rows: list[list[object]], *, header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def canteen_xlsx(rows: list[list[object]], *, header: list[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def add_record(student: Student, meals: int, spend: str | Decimal, *, month: date = MONTH) -> CanteenRecord:
    source = CanteenImport.objects.filter(month=month).first()
    if source is None:
        source = CanteenImport.objects.create(month=month, filename="test.csv", rows=0)
    return CanteenRecord.objects.create(
        student=student, month=month, meals=meals, total_spend=Decimal(str(spend)), source=source
    )


def make_fund(budget: str = "100000.00", name: str = "隐形资助专项") -> Fund:
    year = AcademicYear.objects.filter(name="2024-2025").first() or AcademicYear.objects.create(
        name="2024-2025",
        starts_on=date(2024, 9, 1),
        ends_on=date(2025, 8, 31),
        window_opens_on=date(2024, 9, 1),
        window_closes_on=date(2024, 10, 15),
    )
    return Fund.objects.create(name=name, party=Party.SCHOOL, year=year, budget=Decimal(budget))


def set_rules(rules: dict) -> None:
    from portal import config

    Setting.objects.update_or_create(key="aid.hidden_aid_rules", defaults={"value": rules})
    config.clear_cache()


def evaluated_batch(officer: User, *, month: date = MONTH) -> HiddenAidBatch:
    return services.hiddenaid_batch_evaluate(actor=officer, month=month)[0]


@pytest.fixture
def english():
    """Services called outside a request speak the default language (Chinese): the tests read English."""
    with translation.override("en"):
        yield
