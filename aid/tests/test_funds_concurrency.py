"""No award overdraws a fund or exceeds a quota, whatever the concurrency: real PostgreSQL transactions from
many threads, each on its own connection, released together by a Barrier."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from aid.models import Application, LedgerEntry
from aid.selectors.funds import fund_balance
from aid.services import funds as services
from aid.tests.factories_funds import FundFactory, ProgrammeFactory, current_year
from portal.services import DomainError
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(n: int, work) -> tuple[list[int], list[str], list[BaseException]]:
    """Run work(i) in n threads at once; collect successes, DomainError messages and anything else."""
    barrier = threading.Barrier(n)
    ok: list[int] = []
    refused: list[str] = []
    crashed: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):  # a new thread starts in the project's default language
                work(i)
            with lock:
                ok.append(i)
        except DomainError as exc:
            with lock:
                refused.append(str(exc))
        except BaseException as exc:  # anything else fails the test below
            with lock:
                crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return ok, refused, crashed


def _applications(n: int, status: str, *, college=None, programme=None, amount: str = "3700") -> list[Application]:
    year = current_year()
    programme = programme or ProgrammeFactory(amount=Decimal(amount))
    students = [StudentFactory(**({"class_group__college": college} if college else {})) for _ in range(n)]
    return [
        Application.objects.create(
            student=s, programme=programme, year=year, status=status, amount=Decimal(amount), statement="x"
        )
        for s in students
    ]


def test_fifty_concurrent_commits_against_a_fund_for_ten_commit_exactly_ten(world):
    officer = world["aidofficer"]
    fund = FundFactory(budget=Decimal("37000.00"))  # exactly 10 awards of 3,700
    applications = _applications(50, Application.Status.APPROVED)

    ok, refused, crashed = _run_together(
        50, lambda i: services.application_commit(actor=officer, application=applications[i], fund=fund)
    )

    assert crashed == []
    assert len(ok) == 10
    assert len(refused) == 40
    assert all("left, less than this award" in message for message in refused)
    assert Application.objects.filter(status=Application.Status.COMMITTED, fund=fund).count() == 10
    assert Application.objects.filter(status=Application.Status.APPROVED).count() == 40
    entries = LedgerEntry.objects.filter(fund=fund, kind=LedgerEntry.Kind.COMMITMENT)
    assert entries.count() == 10
    assert sum(e.amount for e in entries) == Decimal("37000.00")
    assert fund_balance(fund) == Decimal("0.00")


def test_concurrent_college_approvals_never_exceed_the_quota(world):
    from aid.models import Quota

    reviewer = world["aidreviewer"]
    programme = ProgrammeFactory()
    Quota.objects.create(programme=programme, college=world.college_a, year=current_year(), places=5)
    applications = _applications(20, Application.Status.SUBMITTED, college=world.college_a, programme=programme)

    ok, refused, crashed = _run_together(
        20, lambda i: services.application_college_approve(actor=reviewer, application=applications[i])
    )

    assert crashed == []
    assert len(ok) == 5
    assert len(refused) == 15
    assert all("quota" in message for message in refused)
    assert Application.objects.filter(status=Application.Status.COLLEGE_REVIEWED).count() == 5


def test_the_same_application_committed_twice_at_once_is_charged_once(world):
    officer = world["aidofficer"]
    fund = FundFactory(budget=Decimal("100000"))
    (application,) = _applications(1, Application.Status.APPROVED)

    ok, refused, crashed = _run_together(
        8, lambda i: services.application_commit(actor=officer, application=application, fund=fund)
    )

    assert crashed == []
    assert len(ok) == 1
    assert len(refused) == 7
    assert LedgerEntry.objects.filter(application=application).count() == 1
