"""Add/remove under review (station counsellors and aid reviewers of the college), approval and payment
(officers; never overdrawing the fund), the student's private notice, decline and return."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from aid.models import HiddenAidBatch, HiddenAidCandidate, LedgerEntry, Payment
from aid.selectors.funds import fund_balance
from aid.services import hiddenaid as services
from aid.tasks.hiddenaid import hiddenaid_pay_due_batches
from aid.tests.test_hiddenaid_helpers import (
    MONTH,
    add_record,
    english,  # noqa: F401 - a fixture
    evaluated_batch,
    make_fund,
)
from portal.models import Reminder
from portal.services import DomainError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def batch(world) -> HiddenAidBatch:
    """Under review: student_a (college A, 100 yuan top-up) and student_b (college B, 50 yuan)."""
    add_record(world.student_a, 70, "200.00")
    add_record(world.student_b, 70, "250.00")
    add_record(world.roommate_a, 30, "100.00")  # too few meals
    return evaluated_batch(world["aidofficer"])


def _approve(world, batch, budget="1000.00") -> HiddenAidBatch:
    return services.hiddenaid_batch_approve(actor=world["aidofficer"], batch=batch, fund=make_fund(budget))


def test_a_station_counsellor_adds_a_student_of_their_college_with_a_reason(world, batch, client_for):
    client = client_for(world["station"])
    url = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
    response = client.post(
        url, {"student_no": world.roommate_a.student_no, "reason": "父亲病重", "amount": ""}, follow=True
    )
    assert "was added to the batch" in response.content.decode()
    candidate = batch.candidates.get(student=world.roommate_a)
    assert (candidate.by_rule, candidate.included, candidate.amount) == (False, True, Decimal("200.00"))
    assert candidate.changed_by == world["station"]
    assert candidate.change_reason == "父亲病重"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT change_reason FROM {HiddenAidCandidate._meta.db_table} WHERE id = %s", [candidate.pk])
        assert "父亲病重" not in cursor.fetchone()[0]  # encrypted at rest


def test_nobody_adds_a_student_of_another_college(world, batch, client_for):
    url = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
    for persona in ("station", "aidreviewer"):
        response = client_for(world[persona]).post(
            url, {"student_no": world.student_b.student_no, "reason": "x", "amount": "10"}, follow=True
        )
        assert "No student with this number in your college" in response.content.decode()
    response = client_for(world["station"]).post(url, {"student_no": "nobody", "reason": "x"}, follow=True)
    assert "No student with this number in your college" in response.content.decode()
    assert batch.candidates.count() == 2


def test_adding_needs_a_reason_and_a_sensible_amount(world, batch, client_for):
    # Amounts are set by aid officers only (college staff never see them: test_abuse_hiddenaid.py).
    client = client_for(world["aidofficer"])
    url = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
    no = world.roommate_a.student_no
    assert "Reason: This field is required" in client.post(url, {"student_no": no}, follow=True).content.decode()
    body = client.post(url, {"student_no": no, "reason": "x", "amount": "-5"}, follow=True).content.decode()
    assert "Amount (yuan):" in body
    body = client.post(url, {"student_no": no, "reason": "x", "amount": "5000"}, follow=True).content.decode()
    assert "at most 300.00 yuan" in body
    body = client.post(url, {"student_no": no, "reason": "x", "amount": "abc"}, follow=True).content.decode()
    assert "Enter a number" in body
    body = client.post(url, {"student_no": world.student_a.student_no, "reason": "x"}, follow=True).content.decode()
    assert "already a candidate" in body
    assert not batch.candidates.filter(student=world.roommate_a).exists()


def test_a_hand_added_student_without_data_needs_an_amount(world, batch):
    from portal.tests.factories import StudentFactory

    newcomer = StudentFactory(class_group=world.class_a)
    with pytest.raises(DomainError, match="enter an amount"):
        services.hiddenaid_candidate_add(actor=world["station"], batch=batch, student=newcomer, reason="新生")
    candidate = services.hiddenaid_candidate_add(
        actor=world["station"], batch=batch, student=newcomer, reason="新生", amount=Decimal("120.50")
    )
    assert (candidate.meals, candidate.spend, candidate.amount) == (0, Decimal("0"), Decimal("120.50"))


def test_removal_with_a_reason_by_the_college_only(world, batch, client_for):
    candidate_a = batch.candidates.get(student=world.student_a)
    candidate_b = batch.candidates.get(student=world.student_b)
    url_a = reverse("aid:hiddenaid_candidate_remove", args=[candidate_a.pk])
    url_b = reverse("aid:hiddenaid_candidate_remove", args=[candidate_b.pk])
    assert client_for(world["station"]).post(url_b, {"reason": "x"}).status_code == 404
    assert client_for(world["station_b"]).post(url_a, {"reason": "x"}).status_code == 404
    body = client_for(world["aidreviewer"]).post(url_a, {"reason": ""}, follow=True).content.decode()
    assert "Reason: This field is required" in body
    body = client_for(world["aidreviewer"]).post(url_a, {"reason": "已获其他资助"}, follow=True).content.decode()
    assert "was removed from the batch" in body
    candidate_a.refresh_from_db()
    assert (candidate_a.included, candidate_a.changed_by, candidate_a.change_reason) == (
        False,
        world["aidreviewer"],
        "已获其他资助",
    )
    body = client_for(world["station"]).post(url_a, {"reason": "again"}, follow=True).content.decode()
    assert "already been removed" in body
    # Included again through "add", with a new reason.
    services.hiddenaid_candidate_add(actor=world["station"], batch=batch, student=world.student_a, reason="核实后恢复")
    candidate_a.refresh_from_db()
    assert candidate_a.included and candidate_a.change_reason == "核实后恢复"


def test_only_an_officer_approves(world, batch, client_for):
    fund = make_fund()
    url = reverse("aid:hiddenaid_approve", args=[batch.pk])
    for persona in ("station", "aidreviewer", "station_b"):
        assert client_for(world[persona]).post(url, {"fund": fund.pk}).status_code == 403
    for persona in ("student", "counselor", "visitor", "assessor", "liaison", "committee"):
        assert client_for(world[persona]).post(url, {"fund": fund.pk}).status_code == 404
    body = client_for(world["aidofficer"]).post(url, {"fund": fund.pk}, follow=True).content.decode()
    assert "The batch is approved" in body
    batch.refresh_from_db()
    assert (batch.status, batch.fund, batch.approved_by) == ("approved", fund, world["aidofficer"])
    assert batch.pay_on is not None
    # Approving twice, or changing candidates afterwards, is refused with a message.
    body = client_for(world["admin"]).post(url, {"fund": fund.pk}, follow=True).content.decode()
    assert "no longer under review" in body
    add = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
    assert client_for(world["station"]).post(add, {"student_no": "x", "reason": "x"}).status_code == 404


def test_approval_tells_each_included_student_privately_and_nobody_else(world, batch):
    services.hiddenaid_candidate_remove(
        actor=world["station_b"], candidate=batch.candidates.get(student=world.student_b), reason="毕业班"
    )
    _approve(world, batch)
    reminders = Reminder.objects.filter(dedupe_key__startswith="hiddenaid:")
    assert {r.recipient_id for r in reminders} == {world.student_a.user_id}
    assert {r.channel for r in reminders} == {Reminder.Channel.IN_APP}  # no e-mail, no SMS
    assert reminders.get().subject == "A meal subsidy is coming to your canteen card"


def test_a_fund_too_small_is_refused_with_a_clear_message(world, batch, client_for):
    small = make_fund("149.99", name="小基金")
    url = reverse("aid:hiddenaid_approve", args=[batch.pk])
    body = client_for(world["aidofficer"]).post(url, {"fund": small.pk}, follow=True).content.decode()
    assert "The fund 小基金 has 149.99 yuan left; this batch needs 150.00 yuan. Choose another fund." in body
    batch.refresh_from_db()
    assert batch.status == HiddenAidBatch.Status.DRAFT
    assert not Reminder.objects.exists()


def test_payment_charges_the_fund_and_tells_each_student(world, batch, client_for):
    batch = _approve(world, batch)
    body = client_for(world["aidofficer"]).post(reverse("aid:hiddenaid_pay", args=[batch.pk]), follow=True)
    assert "2 payments were made" in body.content.decode()
    batch.refresh_from_db()
    assert batch.status == HiddenAidBatch.Status.PAID
    payments = Payment.objects.filter(fund=batch.fund)
    assert sorted(p.amount for p in payments) == [Decimal("50.00"), Decimal("100.00")]
    assert {p.status for p in payments} == {Payment.Status.PAID}
    assert LedgerEntry.objects.filter(fund=batch.fund, kind=LedgerEntry.Kind.COMMITMENT).count() == 2
    assert LedgerEntry.objects.filter(fund=batch.fund, kind=LedgerEntry.Kind.PAYMENT).count() == 2
    assert fund_balance(batch.fund) == Decimal("850.00")
    paid = Reminder.objects.filter(dedupe_key__endswith=":paid:in_app")
    assert {r.recipient_id for r in paid} == {world.student_a.user_id, world.student_b.user_id}
    assert {r.subject for r in paid} == {"A meal subsidy was added to your canteen card"}
    body = client_for(world["aidofficer"]).post(reverse("aid:hiddenaid_pay", args=[batch.pk]), follow=True)
    assert "Only an approved batch can be paid" in body.content.decode()
    assert Payment.objects.count() == 2


def test_payment_never_overdraws_the_fund(world, batch, client_for):
    batch = _approve(world, batch, budget="200.00")
    LedgerEntry.objects.create(fund=batch.fund, kind=LedgerEntry.Kind.COMMITMENT, amount=Decimal("100.00"))
    body = client_for(world["aidofficer"]).post(reverse("aid:hiddenaid_pay", args=[batch.pk]), follow=True)
    assert "has 100.00 yuan left; this batch needs 150.00 yuan. Nothing was paid." in body.content.decode()
    batch.refresh_from_db()
    assert batch.status == HiddenAidBatch.Status.APPROVED
    assert not Payment.objects.exists()
    assert fund_balance(batch.fund) == Decimal("100.00")


def test_pay_from_fund_refuses_more_than_the_balance(world):
    fund = make_fund("10.00")
    with pytest.raises(DomainError, match=r"has 10\.00 yuan left; it cannot pay 10\.01 yuan"):
        services._pay_from_fund(actor=None, student=world.student_a, fund=fund, amount=Decimal("10.01"))
    with pytest.raises(DomainError, match="more than zero"):
        services._pay_from_fund(actor=None, student=world.student_a, fund=fund, amount=Decimal("0"))
    services._pay_from_fund(actor=None, student=world.student_a, fund=fund, amount=Decimal("10.00"))
    assert fund_balance(fund) == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_two_batches_paid_at_once_never_overdraw_one_fund(world):
    """Each batch needs 150 of a fund of 200: whatever the interleaving, exactly one is paid."""
    add_record(world.student_a, 70, "200.00")
    add_record(world.student_b, 70, "250.00")
    first = evaluated_batch(world["aidofficer"])
    add_record(world.student_a, 70, "200.00", month=MONTH.replace(month=2))
    add_record(world.student_b, 70, "250.00", month=MONTH.replace(month=2))
    second = evaluated_batch(world["aidofficer"], month=MONTH.replace(month=2))
    fund = make_fund("200.00")
    for b in (first, second):
        services.hiddenaid_batch_approve(actor=world["aidofficer"], batch=b, fund=fund)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def pay(b: HiddenAidBatch) -> None:
        barrier.wait()
        try:
            services.hiddenaid_batch_pay(actor=None, batch=b)
            outcomes.append("paid")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(b,)) for b in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["paid", "refused"]
    assert fund_balance(fund) == Decimal("50.00")


def test_the_student_may_decline_before_payment(world, batch, client_for):
    batch = _approve(world, batch)
    candidate = batch.candidates.get(student=world.student_a)
    client = client_for(world["student"])
    assert "2025-03" in client.get(reverse("aid:hiddenaid_mine")).content.decode()
    body = client.post(reverse("aid:hiddenaid_decline", args=[candidate.pk]), follow=True).content.decode()
    assert "You declined the meal subsidy" in body
    assert "You declined it." in body
    services.hiddenaid_batch_pay(actor=world["aidofficer"], batch=batch)
    candidate.refresh_from_db()
    assert candidate.status == HiddenAidCandidate.Status.DECLINED
    assert list(Payment.objects.values_list("student_id", flat=True)) == [world.student_b.pk]


def test_the_student_may_return_it_after_payment(world, batch, client_for):
    batch = _approve(world, batch)
    services.hiddenaid_batch_pay(actor=world["aidofficer"], batch=batch)
    candidate = batch.candidates.get(student=world.student_a)
    client = client_for(world["student"])
    body = client.post(reverse("aid:hiddenaid_decline", args=[candidate.pk]), follow=True).content.decode()
    assert "can no longer be declined; you can return it instead" in body
    body = client.post(reverse("aid:hiddenaid_return", args=[candidate.pk]), follow=True).content.decode()
    assert "You returned the meal subsidy" in body
    candidate.refresh_from_db()
    assert candidate.status == HiddenAidCandidate.Status.RETURNED
    assert Payment.objects.get(pk=candidate.payment_id).status == Payment.Status.RETURNED
    release = LedgerEntry.objects.get(kind=LedgerEntry.Kind.RELEASE)
    assert (release.amount, release.payment_id) == (Decimal("100.00"), candidate.payment_id)
    assert fund_balance(batch.fund) == Decimal("950.00")
    body = client.post(reverse("aid:hiddenaid_return", args=[candidate.pk]), follow=True).content.decode()
    assert "Only a paid subsidy can be returned" in body
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 1


def test_nobody_else_declines_or_returns_for_the_student(world, batch, client_for):
    batch = _approve(world, batch)
    candidate = batch.candidates.get(student=world.student_a)
    for persona in ("aidofficer", "admin", "station", "liaison"):
        client = client_for(world[persona])
        assert client.post(reverse("aid:hiddenaid_decline", args=[candidate.pk])).status_code == 404
        assert client.post(reverse("aid:hiddenaid_return", args=[candidate.pk])).status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == HiddenAidCandidate.Status.PROPOSED


@pytest.mark.any_day
def test_the_daily_task_pays_due_batches_once(world, batch):
    from datetime import timedelta

    from django.utils import timezone

    batch = _approve(world, batch)
    HiddenAidBatch.objects.filter(pk=batch.pk).update(pay_on=timezone.localdate() + timedelta(days=1))
    assert hiddenaid_pay_due_batches() == []
    HiddenAidBatch.objects.filter(pk=batch.pk).update(pay_on=timezone.localdate())
    assert hiddenaid_pay_due_batches() == [(batch.pk, "paid")]
    assert hiddenaid_pay_due_batches() == []
    assert Payment.objects.count() == 2


def test_the_daily_task_tells_officers_when_the_fund_cannot_pay(world, batch):
    from django.utils import timezone

    batch = _approve(world, batch, budget="150.00")
    LedgerEntry.objects.create(fund=batch.fund, kind=LedgerEntry.Kind.COMMITMENT, amount=Decimal("1.00"))
    HiddenAidBatch.objects.filter(pk=batch.pk).update(pay_on=timezone.localdate())
    outcome = hiddenaid_pay_due_batches()
    assert "Nothing was paid" in outcome[0][1]
    hiddenaid_pay_due_batches()  # a second run the same day tells nobody twice
    told = Reminder.objects.filter(dedupe_key__contains=":unpaid:")
    assert {r.recipient_id for r in told} == {world["aidofficer"].pk}
    assert told.count() == 1
