"""The finance export: the batch's roster as XLSX with full card numbers (and only there), audited."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from aid.models import Application, PaymentBatch
from aid.services import funds as services
from aid.tests.factories_funds import FundFactory, application_in, identify, programme
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(world) -> PaymentBatch:
    officer = world["aidofficer"]
    fund = FundFactory(party="state")
    grant = programme("national-grant")
    identify(world.roommate_a, "special")
    for student, card in ((world.student_a, "6217000012345678"), (world.roommate_a, "6228480012345678901")):
        application_in(Application.Status.PAYING, student=student, officer=officer, prog=grant, fund=fund)
        services.bank_account_save(actor=student.user, student=student, bank="中国建设银行", card_number=card)
    payments = [p.pk for p in fund.payments.order_by("pk")]
    return services.batch_create(actor=officer, name="第一批", payment_ids=payments)


def test_the_roster_lists_each_payment_with_the_full_card_number(world, client_for, batch):
    response = client_for(world["aidofficer"]).get(reverse("aid:batch_export", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"  # portal.middleware_cache
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("学号", "姓名", "开户银行", "银行卡号", "金额")
    body = rows[1:-1]
    expected = sorted(
        [
            (world.student_a.student_no, world.student_a.name, "中国建设银行", "6217000012345678", Decimal("1850")),
            (world.student_a.student_no, world.student_a.name, "中国建设银行", "6217000012345678", Decimal("1850")),
            (
                world.roommate_a.student_no,
                world.roommate_a.name,
                "中国建设银行",
                "6228480012345678901",
                Decimal("2250"),
            ),
            (
                world.roommate_a.student_no,
                world.roommate_a.name,
                "中国建设银行",
                "6228480012345678901",
                Decimal("2250"),
            ),
        ]
    )
    assert sorted((r[0], r[1], r[2], r[3], Decimal(str(r[4]))) for r in body) == expected
    assert rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][4])) == Decimal("8200")
    # Card numbers are text, never numbers in scientific notation.
    assert all(sheet.cell(row=i, column=4).data_type == "s" for i in range(2, len(rows)))


def test_exporting_is_audited_and_stamped(world, client_for, batch):
    client_for(world["aidofficer"]).get(reverse("aid:batch_export", args=[batch.pk]))
    event = AuditEvent.objects.get(action="payment_batch.exported")
    assert event.object_id == str(batch.pk)
    assert event.changes == {"rows": 4}
    assert "6217000012345678" not in str(event.changes)
    batch.refresh_from_db()
    assert batch.exported_at is not None


@pytest.mark.parametrize("persona", ["student", "aidreviewer", "station", "counselor", "liaison"])
def test_only_officers_export(world, client_for, batch, persona):
    assert client_for(world[persona]).get(reverse("aid:batch_export", args=[batch.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="payment_batch.exported").exists()


def test_marking_the_batch_paid_pays_every_award(world, client_for, batch):
    response = client_for(world["aidofficer"]).post(reverse("aid:batch_mark_paid", args=[batch.pk]), follow=True)
    assert "4 payment(s) marked paid." in response.text
    assert set(Application.objects.values_list("status", flat=True)) == {Application.Status.PAID}
    again = client_for(world["aidofficer"]).post(reverse("aid:batch_mark_paid", args=[batch.pk]), follow=True)
    assert "Nothing in this batch is waiting to be paid." in again.text
