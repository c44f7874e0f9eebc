"""Reads of the funds area: balances, programmes with their pre-check, applications, payments and batches.

Every list comes with the joins and annotations it shows, so a page costs the same number of queries at
5 rows or 5,000. Scoping goes through portal.access (`visible`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from aid import eligibility
from aid.models import (
    AcademicYear,
    Application,
    BankAccount,
    Fund,
    LedgerEntry,
    Payment,
    PaymentBatch,
    Programme,
    Quota,
)
from portal.access import visible
from portal.models import Student, User

__all__ = [
    "ProgrammeOption",
    "academic_year_current",
    "application_timeline",
    "applications_for_officer",
    "applications_of_student",
    "bank_account_of",
    "batch_payments",
    "batches_for_officer",
    "fund_balance",
    "funds_for_commit",
    "funds_with_balances",
    "ledger_of",
    "payments_of_application",
    "payments_ready_for_batch",
    "programme_options_for_student",
    "programmes_with_quotas",
    "review_queue",
]

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


def academic_year_current() -> AcademicYear | None:
    return AcademicYear.objects.filter(is_current=True).first()


# --- Funds --------------------------------------------------------------------------------------------------


def _ledger_sum(kind: str) -> Subquery:
    total = (
        LedgerEntry.objects.filter(fund_id=OuterRef("pk"), kind=kind)
        .order_by()
        .values("fund_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), ZERO)


def fund_balance(fund: Fund) -> Decimal:
    """What the fund can still commit: budget − commitments + releases. Payments draw on commitments."""
    totals = LedgerEntry.objects.filter(fund_id=fund.pk).aggregate(
        committed=Coalesce(Sum("amount", filter=Q(kind=LedgerEntry.Kind.COMMITMENT)), ZERO),
        released=Coalesce(Sum("amount", filter=Q(kind=LedgerEntry.Kind.RELEASE)), ZERO),
    )
    return fund.budget - totals["committed"] + totals["released"]


def funds_with_balances(user: User, *, year: AcademicYear | None = None) -> QuerySet[Fund]:
    """Funds with committed, paid, released and balance annotated: one query, however many funds."""
    qs = visible(user, Fund).select_related("year")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.annotate(
        committed=_ledger_sum(LedgerEntry.Kind.COMMITMENT),
        paid=_ledger_sum(LedgerEntry.Kind.PAYMENT),
        released=_ledger_sum(LedgerEntry.Kind.RELEASE),
    ).annotate(balance=ExpressionWrapper(F("budget") - F("committed") + F("released"), output_field=MONEY))


def funds_for_commit(user: User, application: Application) -> QuerySet[Fund]:
    """Funds an approved application may be charged to: the programme's party, the application's year."""
    return funds_with_balances(user, year=application.year).filter(party=application.programme.party)


def ledger_of(fund: Fund) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(fund=fund)
        .select_related("application__student", "application__programme", "created_by")
        .order_by("-created_at", "-id")
    )


# --- Programmes -----------------------------------------------------------------------------------------------


def programmes_with_quotas(user: User, *, year: AcademicYear | None) -> QuerySet[Programme]:
    """Programmes (officer view) with their excluded programmes and this year's quotas and use."""
    quotas = Quota.objects.filter(year=year).select_related("college").order_by("college__code")
    return (
        visible(user, Programme)
        .prefetch_related("excludes", Prefetch("quotas", queryset=quotas, to_attr="year_quotas"))
        .annotate(
            application_count=Count("applications", filter=Q(applications__year=year)),
            awarded_total=Coalesce(
                Sum(
                    "applications__amount",
                    filter=Q(applications__year=year, applications__status__in=eligibility.QUOTA_HOLDING),
                ),
                ZERO,
            ),
        )
        .order_by("party", "name")
    )


@dataclass
class ProgrammeOption:
    programme: Programme
    reasons: list[str]
    limit: Decimal | None

    @property
    def eligible(self) -> bool:
        return not self.reasons


def programme_options_for_student(student: Student, year: AcademicYear) -> list[ProgrammeOption]:
    """Every open programme with the reasons the student may not apply (the pre-check); fixed query count."""
    ctx = eligibility.context_for(student, year)
    programmes = Programme.objects.filter(active=True).prefetch_related("excludes").order_by("party", "name")
    options = []
    for programme in programmes:
        options.append(
            ProgrammeOption(programme, eligibility.reasons(ctx, programme), eligibility.amount_limit(ctx, programme))
        )
    options.sort(key=lambda o: (not o.eligible, o.programme.party, o.programme.name))
    return options


# --- Applications ----------------------------------------------------------------------------------------------


def _application_rows(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related("student__college", "student__class_group", "programme", "year", "fund")


def applications_of_student(student: Student) -> QuerySet[Application]:
    return Application.objects.filter(student=student).select_related("programme", "year").order_by("-created_at")


def review_queue(user: User) -> QuerySet[Application]:
    """Applications waiting for the college: submitted or appealed, in the reviewer's colleges, oldest first."""
    qs = visible(user, Application).filter(
        status__in=(Application.Status.SUBMITTED, Application.Status.APPEALED, Application.Status.COLLEGE_REVIEWED)
    )
    return _application_rows(qs).order_by("submitted_at", "id")


def applications_for_officer(
    user: User,
    *,
    status: str = "",
    programme_id: int | None = None,
    college_id: int | None = None,
    year_id: int | None = None,
    query: str = "",
) -> QuerySet[Application]:
    qs = visible(user, Application)
    if status:
        qs = qs.filter(status=status)
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if college_id:
        qs = qs.filter(student__college_id=college_id)
    if year_id:
        qs = qs.filter(year_id=year_id)
    if query:
        qs = qs.filter(Q(student__student_no=query) | Q(student__name__icontains=query))
    return _application_rows(qs).order_by("-created_at", "-id")


def application_timeline(application: Application) -> QuerySet:
    return application.events.select_related("actor").order_by("at", "id")


def payments_of_application(application: Application) -> QuerySet[Payment]:
    return application.payments.select_related("batch").order_by("due_on", "id")


# --- Payments and batches ---------------------------------------------------------------------------------------


def payments_ready_for_batch(user: User) -> QuerySet[Payment]:
    """Scheduled award payments not yet in a batch, with what the roster shows."""
    return (
        visible(user, Payment)
        .filter(status=Payment.Status.SCHEDULED, batch__isnull=True, application__isnull=False)
        .select_related("student", "student__bank_account", "application__programme", "fund")
        .order_by("due_on", "id")
    )


def batches_for_officer(user: User) -> QuerySet[PaymentBatch]:
    return (
        visible(user, PaymentBatch)
        .select_related("created_by")
        .annotate(
            payment_count=Count("payments"),
            total=Coalesce(Sum("payments__amount"), ZERO),
            scheduled_count=Count("payments", filter=Q(payments__status=Payment.Status.SCHEDULED)),
        )
        .order_by("-created_at", "-id")
    )


def batch_payments(batch: PaymentBatch) -> QuerySet[Payment]:
    return batch.payments.select_related("student", "student__bank_account", "application__programme", "fund").order_by(
        "student__student_no", "id"
    )


def bank_account_of(student: Student) -> BankAccount | None:
    return BankAccount.objects.filter(student=student).first()
