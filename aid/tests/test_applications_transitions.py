"""Each transition of an application, through its page, by the right role; refused (403 in scope, 404 out of
scope) for everyone else, with the application unchanged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aid.models import Application, ApplicationEvent, LedgerEntry, Payment
from aid.selectors.funds import fund_balance
from aid.services import funds as services
from aid.tests.factories_funds import FundFactory, application_in, programme
from portal.models import Reminder

pytestmark = pytest.mark.django_db

S = Application.Status
PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]
NOT_VISIBLE = {"liaison", "committee", "station", "counselor", "assessor", "visitor"}

# action, the status it starts from, who may, the status it ends in, extra POST data
TRANSITIONS = [
    # Admins may do everything (portal.access.can), the student's own steps included.
    ("withdraw", S.SUBMITTED, {"student", "admin"}, S.WITHDRAWN, {}),
    ("appeal", S.REJECTED, {"student", "admin"}, S.APPEALED, {"note": "家庭情况有新变化"}),
    ("return", S.SUBMITTED, {"aidreviewer", "aidofficer", "admin"}, S.RETURNED, {"note": "请补充说明"}),
    ("college_approve", S.SUBMITTED, {"aidreviewer", "aidofficer", "admin"}, S.COLLEGE_REVIEWED, {}),
    ("college_approve", S.APPEALED, {"aidreviewer", "aidofficer", "admin"}, S.COLLEGE_REVIEWED, {}),
    ("reject", S.SUBMITTED, {"aidreviewer", "aidofficer", "admin"}, S.REJECTED, {"note": "不符合条件"}),
    ("notice", S.COLLEGE_REVIEWED, {"aidreviewer", "aidofficer", "admin"}, S.NOTICE, {}),
    ("school_approve", S.NOTICE, {"aidofficer", "admin"}, S.APPROVED, {}),
    ("reject", S.NOTICE, {"aidofficer", "admin"}, S.REJECTED, {"note": "公示期有异议"}),
    ("commit", S.APPROVED, {"aidofficer", "admin"}, S.COMMITTED, {"fund": "FUND"}),
    (
        "schedule",
        S.COMMITTED,
        {"aidofficer", "admin"},
        S.PAYING,
        {"first_due_on": "DATE", "installments": "2", "interval_months": "1"},
    ),
    ("clawback", S.PAID, {"aidofficer", "admin"}, S.CLAWBACK, {"note": "信息不实"}),
    ("close", S.PAID, {"aidofficer", "admin"}, S.CLOSED, {}),
    ("close", S.CLAWBACK, {"aidofficer", "admin"}, S.CLOSED, {}),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("action", "start", "allowed", "end", "data"), TRANSITIONS, ids=[f"{t[0]}-from-{t[1]}" for t in TRANSITIONS]
)
def test_each_transition_by_role(world, client_for, persona, action, start, allowed, end, data):
    officer = world["aidofficer"]
    fund = FundFactory(party="state", budget=Decimal("100000"))
    application = application_in(
        start, student=world.student_a, officer=officer, prog=programme("national-grant"), fund=fund
    )
    post = {
        k: {"FUND": str(fund.pk), "DATE": f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}"}.get(v, v)
        for k, v in data.items()
    }
    events = ApplicationEvent.objects.filter(application=application).count()

    response = client_for(world[persona]).post(reverse("aid:application_action", args=[application.pk, action]), post)

    application.refresh_from_db()
    if persona in allowed:
        assert response.status_code == 302
        assert application.status == end, [str(m) for m in response.wsgi_request._messages]
        assert ApplicationEvent.objects.filter(application=application).count() == events + 1
    else:
        assert response.status_code == (404 if persona in NOT_VISIBLE else 403)
        assert application.status == start
        assert ApplicationEvent.objects.filter(application=application).count() == events


def test_a_reviewer_may_not_approve_for_the_school_or_reject_after_the_notice(world, client_for):
    app = application_in(
        S.APPROVED, student=world.student_a, officer=world["aidofficer"], prog=programme("national-grant")
    )
    client = client_for(world["aidreviewer"])
    assert client.post(reverse("aid:application_action", args=[app.pk, "reject"]), {"note": "x"}).status_code == 403


def test_a_step_from_the_wrong_status_is_a_message_not_a_500(world, client_for):
    app = application_in(
        S.SUBMITTED, student=world.student_a, officer=world["aidofficer"], prog=programme("national-grant")
    )
    response = client_for(world["aidofficer"]).post(
        reverse("aid:application_action", args=[app.pk, "school_approve"]), follow=True
    )
    assert response.status_code == 200
    assert "so that step is not possible now" in response.text
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


def test_a_required_reason_is_required(world, client_for):
    app = application_in(
        S.SUBMITTED, student=world.student_a, officer=world["aidofficer"], prog=programme("national-grant")
    )
    response = client_for(world["aidreviewer"]).post(
        reverse("aid:application_action", args=[app.pk, "return"]), {"note": "  "}, follow=True
    )
    assert "This field is required." in response.text
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


def test_a_student_withdraws_only_before_review(world, client_for):
    app = application_in(
        S.COLLEGE_REVIEWED, student=world.student_a, officer=world["aidofficer"], prog=programme("national-grant")
    )
    response = client_for(world["student"]).post(
        reverse("aid:application_action", args=[app.pk, "withdraw"]), follow=True
    )
    assert "so that step is not possible now" in response.text
    app.refresh_from_db()
    assert app.status == S.COLLEGE_REVIEWED


def test_a_returned_application_is_sent_again_with_changes(world, client_for):
    app = application_in(
        S.RETURNED, student=world.student_a, officer=world["aidofficer"], prog=programme("student-loan"), amount="8000"
    )
    client = client_for(world["student"])
    assert "Send again" in client.get(reverse("aid:application_detail", args=[app.pk])).text
    response = client.post(
        reverse("aid:application_action", args=[app.pk, "resubmit"]), {"statement": "补充：母亲住院", "amount": "9000"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == S.SUBMITTED
    assert app.amount == Decimal("9000.00")
    assert app.statement == "补充：母亲住院"
    # Another user may not resubmit it, and a bad amount changes nothing.
    services.application_return(actor=world["aidreviewer"], application=app, note="again")
    assert (
        client_for(world["aidofficer"])
        .post(reverse("aid:application_action", args=[app.pk, "resubmit"]), {"statement": "x", "amount": "1"})
        .status_code
        == 403
    )
    client = client_for(world["student"])
    client.post(reverse("aid:application_action", args=[app.pk, "resubmit"]), {"statement": "x", "amount": "-5"})
    app.refresh_from_db()
    assert app.status == S.RETURNED
    assert app.amount == Decimal("9000.00")


def test_commit_refuses_a_fund_of_another_party_and_an_overdraw(world):
    officer = world["aidofficer"]
    app = application_in(S.APPROVED, student=world.student_a, officer=officer, prog=programme("national-grant"))
    with pytest.raises(services.DomainError, match="paid from"):
        services.application_commit(actor=officer, application=app, fund=FundFactory(party="school"))
    small = FundFactory(party="state", budget=Decimal("100"))
    with pytest.raises(services.DomainError, match=r"100\.00 yuan left"):
        services.application_commit(actor=officer, application=app, fund=small)
    assert not LedgerEntry.objects.exists()


def test_the_whole_pipeline_keeps_the_ledger_straight(world):
    officer = world["aidofficer"]
    fund = FundFactory(party="state", budget=Decimal("10000"))
    app = application_in(S.PAID, student=world.student_a, officer=officer, prog=programme("national-grant"), fund=fund)
    # tier "difficult": 3,700, in two installments of 1,850
    assert sorted(p.amount for p in app.payments.all()) == [Decimal("1850.00"), Decimal("1850.00")]
    assert fund_balance(fund) == Decimal("6300.00")
    kinds = list(LedgerEntry.objects.filter(fund=fund).values_list("kind", flat=True))
    assert kinds.count("commitment") == 1 and kinds.count("payment") == 2
    # The student was told when payments were scheduled and paid.
    keys = set(Reminder.objects.filter(recipient=world["student"]).values_list("dedupe_key", flat=True))
    assert f"aid:application:{app.pk}:scheduled:in_app" in keys
    assert sum(1 for k in keys if k.startswith("aid:payment:")) == 2

    # A paid installment comes back: released to the fund, the award is being reclaimed.
    payment = app.payments.first()
    services.payment_record_returned(actor=officer, payment=payment, note="学生退回")
    app.refresh_from_db()
    assert app.status == S.CLAWBACK
    assert fund_balance(fund) == Decimal("8150.00")
    services.application_close(actor=officer, application=app)
    app.refresh_from_db()
    assert app.status == S.CLOSED


def test_clawback_before_payment_releases_the_unpaid_commitment(world):
    officer = world["aidofficer"]
    fund = FundFactory(party="state", budget=Decimal("10000"))
    app = application_in(
        S.PAYING, student=world.student_a, officer=officer, prog=programme("national-grant"), fund=fund
    )
    assert fund_balance(fund) == Decimal("6300.00")
    services.application_clawback(actor=officer, application=app, note="退学")
    assert fund_balance(fund) == Decimal("10000.00")
    assert set(app.payments.values_list("status", flat=True)) == {Payment.Status.CANCELLED}


def test_a_batch_needs_every_students_bank_account(world):
    officer = world["aidofficer"]
    app = application_in(S.PAYING, student=world.student_a, officer=officer, prog=programme("national-grant"))
    with pytest.raises(services.DomainError, match=world.student_a.student_no):
        services.batch_create(actor=officer, name="b", payment_ids=app.payments.values_list("pk", flat=True))


def test_a_fund_budget_cannot_drop_below_its_commitments(world):
    officer = world["aidofficer"]
    fund = FundFactory(party="state", budget=Decimal("10000"))
    application_in(S.COMMITTED, student=world.student_a, officer=officer, prog=programme("national-grant"), fund=fund)
    with pytest.raises(services.DomainError, match=r"3,700\.00"):
        services.fund_update(actor=officer, fund=fund, budget=Decimal("3000"), donor="", restrictions="")
    services.fund_update(actor=officer, fund=fund, budget=Decimal("3700"), donor="", restrictions="")
    fund.refresh_from_db()
    assert fund_balance(fund) == Decimal("0.00")
