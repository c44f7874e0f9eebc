"""Roster files for tests and the benchmark, written into a temporary directory (no binary fixtures)."""

from __future__ import annotations

import csv
import io
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from portal.validators import id_card_check_digit

HEADER = [
    "学号",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "手机",
    "学院",
    "专业",
    "班级",
    "入学年份",
    "宿舍楼",
    "宿舍号",
    "省",
    "地区",
    "县",
    "家庭地址",
    "状态",
    "监护人",
    "监护人关系",
    "监护人电话",
]


def id_card(n: int) -> str:
    """A valid 18-character ID-card number, different for every n below 3,650,000."""
    born = date(1990, 1, 1) + timedelta(days=n // 1000)
    first17 = f"110105{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def roster_row(n: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "学号": f"2024{n:06d}",
        "姓名": f"学生{n}",
        "性别": "女" if n % 2 else "男",
        "民族": "汉族",
        "身份证号": id_card(n),
        "手机": f"138{n:08d}",
        "学院": "计算机学院",
        "专业": "软件技术",
        "班级": "软件2401班",
        "入学年份": "2024",
        "宿舍楼": "北苑3栋",
        "宿舍号": f"{3 + n % 3}{n % 20 + 1:02d}",
        "省": "新疆维吾尔自治区",
        "地区": "喀什地区",
        "县": "疏附县",
        "家庭地址": f"幸福路{n}号",
        "状态": "在读",
        "监护人": f"家长{n}",
        "监护人关系": "母亲",
        "监护人电话": f"139{n:08d}",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, Any]], *, header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    if header is None:
        header = list(rows[0]) if rows else HEADER
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode(encoding)


def write_csv(
    path: Path, rows: list[dict[str, Any]], *, header: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    path.write_bytes(csv_bytes(rows, header=header, encoding=encoding))
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], *, header: list[str] | None = None) -> Path:
    """An .xlsx as Excel writes it: numbers where the cell looks like a number (学号, phone, year)."""
    from openpyxl import Workbook

    if header is None:
        header = list(rows[0]) if rows else HEADER
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        cells = []
        for column in header:
            value = row.get(column, "")
            if isinstance(value, str) and value.isdigit() and len(value) <= 15:
                value = int(value)
            cells.append(value)
        sheet.append(cells)
    workbook.save(path)
    return path


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
