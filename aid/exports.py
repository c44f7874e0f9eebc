"""XLSX exports of aid. The finance roster of a payment batch is the only place where bank-card numbers
appear in full; the view that serves it audits every export (services.batch_record_export)."""

from __future__ import annotations

from openpyxl import Workbook

from aid.models import Payment, PaymentBatch
from aid.selectors.funds import batch_payments
from portal.kernel.spreadsheets import append_row, text_cell, workbook_bytes

__all__ = ["ROSTER_HEADERS", "batch_roster_xlsx"]

ROSTER_HEADERS = ["学号", "姓名", "开户银行", "银行卡号", "金额"]


def batch_roster_xlsx(batch: PaymentBatch) -> tuple[bytes, int]:
    """(the workbook's bytes, number of payment rows): 学号, name, bank, full card number, amount.

    Cancelled and returned payments are left out: finance pays what is listed.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "付款名单"
    append_row(ws, ROSTER_HEADERS)
    rows = 0
    total = 0
    for payment in batch_payments(batch).filter(status__in=(Payment.Status.SCHEDULED, Payment.Status.PAID)):
        rows += 1
        student = payment.student
        account = getattr(student, "bank_account", None)
        row = rows + 1
        text_cell(ws.cell(row=row, column=1), student.student_no)
        text_cell(ws.cell(row=row, column=2), student.name)
        text_cell(ws.cell(row=row, column=3), account.bank if account else "")
        text_cell(ws.cell(row=row, column=4), account.card_number if account else "")
        amount = ws.cell(row=row, column=5, value=payment.amount)
        amount.number_format = "0.00"
        total += payment.amount
    append_row(ws, ["合计", "", "", "", total])
    ws.cell(row=rows + 2, column=5).number_format = "0.00"
    for column, width in zip("ABCDE", (14, 18, 24, 24, 12), strict=True):
        ws.column_dimensions[column].width = width
    return workbook_bytes(wb), rows
