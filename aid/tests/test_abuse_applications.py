"""Attacker stories against programme applications and payments (issue 13).

- The greedy student: applies for two programmes that exclude each other (the national scholarship and the
  encouragement scholarship), or the same one twice, one after the other and then from a script that posts
  both at the same instant (real PostgreSQL transactions from threads, each through its own browser); edits
  the amount of a fixed award in the POST; adds someone else's student id to the form.
- The curious classmate: reads another student's application or bank account by id or by parameter.
- The college reviewer: approves an application of another college, or takes the school's decision.
- The officer in a hurry: two officers charge awards to a fund with money for one, at the same instant. The
  service-level race (50 commits) is aid/tests/test_funds_concurrency.py; this is the same race through the
  pages, plus a fund id tampered in the POST.

The clock is pinned (a Wednesday noon in the 2025–2026 academic year, Asia/Shanghai).
"""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from aid.models import Application, BankAccount, LedgerEntry, Tier
from aid.selectors.funds import fund_balance
from aid.services import funds as services
from aid.tests.factories_funds import FundFactory, ProgrammeFactory, application_in, current_year, identify, programme
from portal.models import User

MISSING = 2_000_000_000
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def _exclusive_pair() -> tuple:
    """Two programmes that may not be combined (declared in one direction only, as the seed does)."""
    first, second = ProgrammeFactory(name="国家奖学金（测试）"), ProgrammeFactory(name="国家励志奖学金（测试）")
    first.excludes.add(second)
    return first, second


def _browser(user: User) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return browser


def _together(calls: list) -> tuple[list, list[BaseException]]:
    """Run the calls in threads released together by a barrier; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            with translation.override("en"):
                barrier.wait(timeout=20)
                outcome = call()
            with lock:
                results.append(outcome)
        except BaseException as exc:  # anything but an answer fails the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["declared", "reversed"])
def test_a_student_cannot_hold_two_programmes_that_exclude_each_other(world, client_for, order):
    identify(world.student_a, Tier.SPECIAL)
    first, second = _exclusive_pair()
    if order == "reversed":
        first, second = second, first
    client = client_for(world["student"])
    assert client.post(reverse("aid:programme_apply", args=[first.pk]), {"statement": "第一份"}).status_code == 302
    response = client.post(reverse("aid:programme_apply", args=[second.pk]), {"statement": "第二份"})
    assert "cannot apply for this programme now" in response.text
    assert list(Application.objects.filter(student=world.student_a).values_list("programme_id", flat=True)) == [
        first.pk
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["exclusive", "same"])
def test_a_script_posting_two_applications_at_once_gets_one(world, kind):
    identify(world.student_a, Tier.SPECIAL)
    first, second = _exclusive_pair()
    targets = [first, second] if kind == "exclusive" else [first, first]
    browsers = [_browser(world["student"]) for _ in targets]
    calls = [
        lambda b=b, p=p: b.post(reverse("aid:programme_apply", args=[p.pk]), {"statement": "脚本申请"}).status_code
        for b, p in zip(browsers, targets, strict=True)
    ]
    statuses, errors = _together(calls)
    assert errors == []
    assert sorted(statuses) == [200, 302]  # one sent, one answered with a message; never a 500
    assert Application.objects.filter(student=world.student_a).count() == 1


@pytest.mark.django_db
def test_a_student_cannot_raise_a_fixed_award_or_apply_in_someone_elses_name(world, client_for):
    identify(world.student_a, Tier.SPECIAL)
    grant = programme("national-grant")
    client_for(world["student"]).post(
        reverse("aid:programme_apply", args=[grant.pk]),
        {
            "statement": "家里困难",
            "amount": "20000",
            "student": world.roommate_a.pk,
            "student_id": world.roommate_a.pk,
            "status": "approved",
            "tier": "special",
        },
    )
    application = Application.objects.get()
    assert application.student == world.student_a
    assert application.amount == Decimal("4500.00")  # the tier's amount, not the POST's
    assert application.status == Application.Status.SUBMITTED


@pytest.mark.django_db
def test_a_classmate_reads_neither_another_students_application_nor_their_bank_account(world, client_for):
    officer = world["aidofficer"]
    application = application_in(
        Application.Status.PAYING, student=world.student_a, officer=officer, prog=programme("national-grant")
    )
    services.bank_account_save(
        actor=world["student"], student=world.student_a, bank="中国农业银行", card_number="6228480012345678913"
    )
    classmate = client_for(world.roommate_a.user)
    for pk in (application.pk, MISSING):
        assert classmate.get(reverse("aid:application_detail", args=[pk])).status_code == 404
        assert classmate.post(reverse("aid:application_action", args=[pk, "withdraw"])).status_code == 404
    # The bank-account page takes no id; a tampered parameter or field changes nothing.
    url = reverse("aid:payment_bank_account")
    page = classmate.get(url, {"student": world.student_a.pk, "pk": world.student_a.pk}).text
    assert "中国农业银行" not in page and "8913" not in page
    card = "6228480012345678913"
    classmate.post(
        url, {"bank": "假银行", "card_number": card, "card_number_again": card, "student": world.student_a.pk}
    )
    account = BankAccount.objects.get(student=world.student_a)
    assert account.bank == "中国农业银行"
    assert BankAccount.objects.get(student=world.roommate_a).bank == "假银行"
    application.refresh_from_db()
    assert application.status == Application.Status.PAYING


@pytest.mark.django_db
def test_a_college_reviewer_cannot_approve_another_colleges_application_or_take_the_schools_decision(world, client_for):
    officer = world["aidofficer"]
    theirs = application_in(Application.Status.SUBMITTED, student=world.student_b, officer=officer)
    mine = application_in(Application.Status.COLLEGE_REVIEWED, student=world.student_a, officer=officer)
    client = client_for(world["aidreviewer"])
    for action in ("college_approve", "notice", "return", "reject"):
        for pk in (theirs.pk, MISSING):
            response = client.post(reverse("aid:application_action", args=[pk, action]), {"note": "同意"})
            assert response.status_code == 404, (action, pk)
    for action in ("school_approve", "commit", "close", "clawback"):
        response = client.post(reverse("aid:application_action", args=[mine.pk, action]), {"note": "同意"})
        assert response.status_code == 403, action
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == Application.Status.SUBMITTED
    assert mine.status == Application.Status.COLLEGE_REVIEWED


@pytest.mark.django_db
def test_an_officer_cannot_charge_an_award_to_a_fund_of_another_party_or_a_made_up_fund_id(world, client_for):
    officer = world["aidofficer"]
    application = application_in(Application.Status.APPROVED, student=world.student_a, officer=officer)
    wrong_party = FundFactory(party="society", budget=Decimal("100000"))
    for fund_pk in (wrong_party.pk, MISSING, "1 OR 1=1"):
        client_for(officer).post(reverse("aid:application_action", args=[application.pk, "commit"]), {"fund": fund_pk})
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED and application.fund_id is None
    assert not LedgerEntry.objects.filter(application=application).exists()


@pytest.mark.django_db(transaction=True)
def test_two_officers_charging_a_fund_for_one_award_at_once_overdraw_nothing(world):
    from portal.models import Role
    from portal.tests.factories import StaffFactory, UserFactory, grant

    officer = world["aidofficer"]
    second_officer = StaffFactory(user=UserFactory(username="aidofficer2"), name="aidofficer2").user
    grant(second_officer, Role.AID_OFFICER)
    prog = ProgrammeFactory(amount=Decimal("3700"))
    fund = FundFactory(party=prog.party, budget=Decimal("3700.00"))  # money for exactly one award
    applications = [
        application_in(Application.Status.APPROVED, student=s, officer=officer, prog=prog)
        for s in (world.student_a, world.roommate_a)
    ]
    assert current_year() == fund.year
    calls = [
        lambda b=_browser(u), a=a: (
            b.post(reverse("aid:application_action", args=[a.pk, "commit"]), {"fund": fund.pk}).status_code
        )
        for u, a in zip((officer, second_officer), applications, strict=True)
    ]
    statuses, errors = _together(calls)
    assert errors == [] and statuses == [302, 302]
    assert Application.objects.filter(pk__in=[a.pk for a in applications], status="committed").count() == 1
    assert fund_balance(fund) == Decimal("0.00")
