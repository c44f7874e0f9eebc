"""Writes of the funds area: funds, quotas, programmes, the application pipeline, payments and batches.

The application state machine (Application.flow, portal.kernel.workflow) has one service per transition. Each
moves the application with `move`, which locks the row (SELECT … FOR UPDATE), checks the current status and the
actor's permission, saves with update_fields and appends an ApplicationEvent and an audit event; the service
adds its own rules and tells the student through the outbox (notify).
Access is checked by the caller (portal.access: "withdraw"/"appeal"/"resubmit" for the student, "review"
for the college's aid reviewer, "decide" for aid officers); state rules are checked here (DomainError).

Money: Decimal, positive, at most two decimal places. No award overdraws a fund or exceeds a quota, under
any concurrency: the college review locks the Quota row before counting the places taken, and the commit
locks the Fund row before computing the balance from the ledger. Lock order is always application →
quota / fund → payments, so two services never wait on each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from aid import eligibility
from aid.models import (
    AcademicYear,
    Application,
    ApplicationEvent,
    BankAccount,
    Fund,
    LedgerEntry,
    Party,
    Payment,
    PaymentBatch,
    Programme,
    Quota,
    Tier,
)
from aid.selectors.funds import fund_balance
from aid.selectors.identification import current_year
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import add_months
from portal.kernel.workflow import locked, locked_rows, move
from portal.models import College, Role, RoleAssignment, Student, User
from portal.selectors import role_holders
from portal.services import DomainError, notify

__all__ = [
    "APPLICATION_STATEMENT_MAX",
    "application_appeal",
    "application_apply",
    "application_clawback",
    "application_close",
    "application_college_approve",
    "application_commit",
    "application_publish_notice",
    "application_reject",
    "application_remind_overdue_reviews",
    "application_resubmit",
    "application_return",
    "application_schedule_payments",
    "application_school_approve",
    "application_withdraw",
    "bank_account_save",
    "batch_create",
    "batch_mark_paid",
    "batch_record_export",
    "check_amount",
    "fund_create",
    "fund_update",
    "payment_record_returned",
    "payment_remind_unbatched",
    "programme_update",
    "quota_set",
    "seed_programmes",
    "temporary_hardship_open",
]

config.declare("aid.review_overdue_days", 7, "Days an aid application may wait for the college before reminders.")
config.declare(
    "aid.payment_batch_warning_days",
    7,
    "Days before a scheduled payment is due that officers are told it is unbatched.",
)

APPLICATION_STATEMENT_MAX = 2000
NOTE_MAX = 2000
CENT = Decimal("0.01")
AWARD_MAX = Decimal("99999999.99")  # Application.amount: 10 digits, 2 decimal places
BUDGET_MAX = Decimal("999999999999.99")  # Fund.budget: 14 digits
MAX_INSTALLMENTS = 12


# --- Money -------------------------------------------------------------------------------------------------


def check_amount(value: object, *, maximum: Decimal | None = None, ceiling: Decimal = AWARD_MAX) -> Decimal:
    """A positive amount in yuan with at most two decimal places, not above `maximum`; else DomainError."""
    if isinstance(value, float | bool):
        raise DomainError(_("Amounts are exact: pass a Decimal, not a float."))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(_("Enter an amount in yuan, for example 1500 or 1500.50.")) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount in yuan, for example 1500 or 1500.50."))
    if amount <= 0:
        raise DomainError(_("The amount must be more than zero."))
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise DomainError(_("Amounts have at most two decimal places (fen)."))
    if maximum is not None and amount > maximum:
        raise DomainError(_("The most you can apply for is %(max)s yuan.") % {"max": f"{maximum:,.2f}"})
    if amount > ceiling:
        raise DomainError(_("That amount is too large."))
    return amount.quantize(CENT)


def _clean_text(value: str, *, limit: int, required_message: str | None = None) -> str:
    value = (value or "").strip()
    if required_message and not value:
        raise DomainError(required_message)
    if len(value) > limit:
        raise DomainError(_("Please keep it within %(n)s characters.") % {"n": limit})
    return value


# --- Funds, quotas, programmes ---------------------------------------------------------------------------------


@transaction.atomic
def fund_create(
    *,
    actor: User,
    name: str,
    party: str,
    year: AcademicYear,
    budget: Decimal,
    donor: str = "",
    restrictions: str = "",
) -> Fund:
    """Open a fund of one of the four parties for a year. Caller: an aid officer."""
    name = _clean_text(name, limit=200, required_message=_("Give the fund a name."))
    if party not in Party.values:
        raise DomainError(_("Choose one of the four parties."))
    budget = check_amount(budget, ceiling=BUDGET_MAX)
    try:
        with transaction.atomic():
            fund = Fund.objects.create(
                name=name,
                party=party,
                year=year,
                budget=budget,
                donor=_clean_text(donor, limit=200),
                restrictions=_clean_text(restrictions, limit=4000),
            )
    except IntegrityError:
        raise DomainError(_("A fund of that name already exists for %(year)s.") % {"year": year}) from None
    audit_log(actor=actor, action="fund.created", obj=fund, changes={"party": party, "budget": str(budget)})
    return fund


@transaction.atomic
def fund_update(*, actor: User, fund: Fund, budget: Decimal, donor: str, restrictions: str) -> Fund:
    """Change a fund's budget (never below what it has committed), donor and restrictions. Locks the fund."""
    budget = check_amount(budget, ceiling=BUDGET_MAX)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    spent = fund.budget - fund_balance(fund)
    if budget < spent:
        raise DomainError(
            _("The fund has committed %(spent)s yuan; the budget cannot be lower.") % {"spent": f"{spent:,.2f}"}
        )
    old = fund.budget
    fund.budget = budget
    fund.donor = _clean_text(donor, limit=200)
    fund.restrictions = _clean_text(restrictions, limit=4000)
    fund.save(update_fields=["budget", "donor", "restrictions"])
    audit_log(actor=actor, action="fund.updated", obj=fund, changes={"budget": [str(old), str(budget)]})
    return fund


@transaction.atomic
def quota_set(*, actor: User, programme: Programme, college: College, year: AcademicYear, places: int) -> Quota:
    """Set a college's places for a programme and year; never below the places already taken."""
    if places < 0:
        raise DomainError(_("Places cannot be negative."))
    quota, _created = Quota.objects.select_for_update().get_or_create(
        programme=programme, college=college, year=year, defaults={"places": places}
    )
    taken = _places_taken(programme_id=programme.pk, college_id=college.pk, year_id=year.pk)
    if places < taken:
        raise DomainError(_("%(n)s places are already taken in this college.") % {"n": taken})
    if quota.places != places:
        quota.places = places
        quota.save(update_fields=["places"])
    audit_log(actor=actor, action="quota.set", obj=quota, changes={"places": places})
    return quota


def _places_taken(*, programme_id: int, college_id: int, year_id: int) -> int:
    return Application.objects.filter(
        programme_id=programme_id,
        year_id=year_id,
        student__college_id=college_id,
        status__in=eligibility.QUOTA_HOLDING,
    ).count()


@transaction.atomic
def programme_update(
    *,
    actor: User,
    programme: Programme,
    name: str,
    amount: Decimal | None,
    tier_amounts: dict[str, Decimal],
    yearly_cap: Decimal | None,
    required_tier: str,
    min_study_year: int,
    installments: int,
    active: bool,
) -> Programme:
    """Change a programme's amounts and rules (DOMAIN: amounts are configurable). Locks the programme."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    name = _clean_text(name, limit=200, required_message=_("Give the programme a name."))
    if required_tier and required_tier not in (Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL):
        raise DomainError(_("Choose a tier."))
    if not 1 <= min_study_year <= 8:
        raise DomainError(_("The first study year is between 1 and 8."))
    if not 1 <= installments <= MAX_INSTALLMENTS:
        raise DomainError(_("Installments are between 1 and %(n)s.") % {"n": MAX_INSTALLMENTS})
    if programme.amount_mode == Programme.AmountMode.BY_TIER:
        cleaned = {tier: str(check_amount(value)) for tier, value in tier_amounts.items() if value is not None}
        if not cleaned:
            raise DomainError(_("Give an amount for at least one tier."))
        programme.tier_amounts = cleaned
        programme.amount = None
    else:
        if amount is None:
            raise DomainError(_("Give the amount."))
        programme.amount = check_amount(amount)
    programme.yearly_cap = check_amount(yearly_cap) if yearly_cap is not None else None
    programme.name = name
    programme.required_tier = required_tier
    programme.min_study_year = min_study_year
    programme.installments = installments
    programme.active = active
    programme.save(
        update_fields=[
            "name",
            "amount",
            "tier_amounts",
            "yearly_cap",
            "required_tier",
            "min_study_year",
            "installments",
            "active",
        ]
    )
    audit_log(actor=actor, action="programme.updated", obj=programme)
    return programme


# The programmes of DOMAIN §3.2 (amounts as of 2024) plus a school grant and an enterprise scholarship.
# code, name, party, kind, amount mode, amount, tier amounts, yearly cap, minimum tier, first study year,
# installments
PROGRAMMES: list[dict] = [
    dict(
        code="national-scholarship",
        name="国家奖学金",
        party=Party.STATE,
        kind=Programme.Kind.SCHOLARSHIP,
        amount_mode=Programme.AmountMode.FIXED,
        amount=Decimal("10000"),
        min_study_year=2,
    ),
    dict(
        code="national-encouragement",
        name="国家励志奖学金",
        party=Party.STATE,
        kind=Programme.Kind.SCHOLARSHIP,
        amount_mode=Programme.AmountMode.FIXED,
        amount=Decimal("6000"),
        required_tier=Tier.GENERAL,
        min_study_year=2,
    ),
    dict(
        code="national-grant",
        name="国家助学金",
        party=Party.STATE,
        kind=Programme.Kind.GRANT,
        amount_mode=Programme.AmountMode.BY_TIER,
        tier_amounts={Tier.SPECIAL: "4500", Tier.DIFFICULT: "3700", Tier.GENERAL: "2500"},
        required_tier=Tier.GENERAL,
        installments=2,
    ),
    dict(
        code="student-loan",
        name="国家助学贷款",
        party=Party.STATE,
        kind=Programme.Kind.LOAN,
        amount_mode=Programme.AmountMode.UP_TO,
        amount=Decimal("20000"),
        required_tier=Tier.GENERAL,
    ),
    dict(
        code="tuition-waiver",
        name="学费减免",
        party=Party.SCHOOL,
        kind=Programme.Kind.WAIVER,
        amount_mode=Programme.AmountMode.UP_TO,
        amount=Decimal("5000"),
        required_tier=Tier.SPECIAL,
    ),
    dict(
        code="green-channel",
        name="绿色通道",
        party=Party.SCHOOL,
        kind=Programme.Kind.GREEN_CHANNEL,
        amount_mode=Programme.AmountMode.UP_TO,
        amount=Decimal("6000"),
    ),
    dict(
        code="temporary-hardship",
        name="临时困难补助",
        party=Party.SCHOOL,
        kind=Programme.Kind.TEMPORARY,
        amount_mode=Programme.AmountMode.UP_TO,
        amount=Decimal("2000"),
        yearly_cap=Decimal("4000"),
    ),
    dict(
        code="school-grant",
        name="学校助学金",
        party=Party.SCHOOL,
        kind=Programme.Kind.GRANT,
        amount_mode=Programme.AmountMode.BY_TIER,
        tier_amounts={Tier.SPECIAL: "2000", Tier.DIFFICULT: "1500", Tier.GENERAL: "1000"},
        required_tier=Tier.GENERAL,
    ),
    dict(
        code="enterprise-scholarship",
        name="企业助学奖学金",
        party=Party.SOCIETY,
        kind=Programme.Kind.SCHOLARSHIP,
        amount_mode=Programme.AmountMode.FIXED,
        amount=Decimal("5000"),
        required_tier=Tier.GENERAL,
    ),
]
# Pairs that cannot be combined in one year (the grant and the encouragement scholarship combine).
EXCLUSIONS = [("national-scholarship", "national-encouragement")]


@transaction.atomic
def seed_programmes() -> int:
    """Create the standard programmes that are missing (by code); returns how many were created.

    Existing programmes are left as they are, so amounts an officer changed survive a re-run.
    """
    created = 0
    by_code: dict[str, Programme] = {}
    for spec in PROGRAMMES:
        defaults = {k: v for k, v in spec.items() if k != "code"}
        programme, new = Programme.objects.get_or_create(code=spec["code"], defaults=defaults)
        by_code[programme.code] = programme
        created += int(new)
    for a, b in EXCLUSIONS:
        if not by_code[a].excludes.filter(pk=by_code[b].pk).exists():
            by_code[a].excludes.add(by_code[b])
    return created


# --- Applications: the pipeline -----------------------------------------------------------------------------------


def _application_url(application: Application) -> str:
    return reverse("aid:application_detail", args=[application.pk])


def _tell_student(application: Application, key: str, title: str, body: str = "") -> None:
    notify(
        recipient=application.student.user,
        title=title,
        body=body,
        url=_application_url(application),
        dedupe_key=f"aid:application:{application.pk}:{key}",
    )


def _resolve_amount(ctx: eligibility.Context, programme: Programme, requested: object) -> Decimal:
    limit = eligibility.amount_limit(ctx, programme)
    if limit is None or limit <= 0:
        raise DomainError(_("This programme has no amount for your identification tier."))
    if programme.amount_mode == Programme.AmountMode.UP_TO:
        if requested in (None, ""):
            raise DomainError(_("Enter the amount you apply for."))
        return check_amount(requested, maximum=limit)
    return limit.quantize(CENT)


@transaction.atomic
def application_apply(
    *,
    actor: User,
    student: Student,
    programme: Programme,
    year: AcademicYear,
    statement: str,
    amount: object = None,
) -> Application:
    """The student applies: the pre-check again (under a lock on the student row, so two applications sent
    at once cannot both pass the exclusivity or yearly-cap check), the amount, then a submitted application.
    One application per student, programme and year (database constraint → DomainError)."""
    statement = _clean_text(
        statement, limit=APPLICATION_STATEMENT_MAX, required_message=_("Tell the reviewers briefly why you apply.")
    )
    Student.objects.select_for_update().filter(pk=student.pk).first()
    programme = Programme.objects.prefetch_related("excludes").get(pk=programme.pk)
    # A draft opened on the student's behalf (temporary_hardship_open after a home visit): they complete it.
    drafts = locked_rows(
        Application.objects.select_for_update().filter(
            student=student, programme=programme, year=year, status=Application.Status.DRAFT
        )
    )
    draft = drafts[0] if drafts else None
    ctx = eligibility.context_for(student, year, exclude_application=draft.pk if draft else None)
    reasons = eligibility.reasons(ctx, programme)
    if reasons:
        raise DomainError(" ".join(reasons))
    value = _resolve_amount(ctx, programme, amount)
    now = timezone.now()
    if draft is not None:
        draft.amount, draft.statement, draft.submitted_at = value, statement, now
        return move(draft, Application.Status.SUBMITTED, actor=actor, fields=["amount", "statement", "submitted_at"])
    try:
        with transaction.atomic():
            application = Application.objects.create(
                student=student,
                programme=programme,
                year=year,
                status=Application.Status.SUBMITTED,
                amount=value,
                statement=statement,
                created_at=now,
                submitted_at=now,
            )
    except IntegrityError:
        raise DomainError(_("You have already applied for this programme this year.")) from None
    ApplicationEvent.objects.create(
        application=application, actor=actor, from_status="", to_status=Application.Status.SUBMITTED
    )
    audit_log(actor=actor, action="application.submitted", obj=application, changes={"programme": programme.code})
    return application


@transaction.atomic
def application_resubmit(
    *, actor: User, application: Application, statement: str, amount: object = None
) -> Application:
    """returned → submitted, with the statement (and, for "up to" programmes, the amount) changed."""
    application = locked(application)
    statement = _clean_text(
        statement, limit=APPLICATION_STATEMENT_MAX, required_message=_("Tell the reviewers briefly why you apply.")
    )
    if application.status != Application.Status.RETURNED:
        raise DomainError(_("Only an application returned for changes can be sent again."))
    ctx = eligibility.context_for(application.student, application.year, exclude_application=application.pk)
    application.amount = _resolve_amount(ctx, application.programme, amount)
    application.statement = statement
    application.submitted_at = timezone.now()
    return move(application, Application.Status.SUBMITTED, actor=actor, fields=["amount", "statement", "submitted_at"])


@transaction.atomic
def application_withdraw(*, actor: User, application: Application) -> Application:
    """The student withdraws before the college has reviewed it (draft, submitted or returned)."""
    return move(application, Application.Status.WITHDRAWN, actor=actor)


@transaction.atomic
def application_return(*, actor: User, application: Application, note: str) -> Application:
    """submitted → returned for changes; the note tells the student what is missing."""
    note = _clean_text(note, limit=NOTE_MAX, required_message=_("Say what the student should change."))
    application = move(application, Application.Status.RETURNED, actor=actor, note=note)
    with override(settings.LANGUAGE_CODE):
        _tell_student(application, f"returned:{application.events.count()}", _("Your aid application was returned"))
    return application


@transaction.atomic
def application_college_approve(*, actor: User, application: Application, note: str = "") -> Application:
    """submitted (or appealed) → college reviewed, within the college's quota.

    Locks the Quota row of (programme, the student's college, year) and counts the places taken after the
    lock, so concurrent approvals never exceed it. No quota row: the programme has no limit there.
    """
    note = _clean_text(note, limit=NOTE_MAX)
    application = locked(application)
    Application.flow.check(application, Application.Status.COLLEGE_REVIEWED)
    quota = (
        Quota.objects.select_for_update()
        .filter(programme_id=application.programme_id, college_id=application.student.college_id, year=application.year)
        .first()
    )
    if quota is not None:
        taken = _places_taken(
            programme_id=application.programme_id,
            college_id=application.student.college_id,
            year_id=application.year_id,
        )
        if taken >= quota.places:
            raise DomainError(
                _("The college's quota for this programme is used up (%(places)s places).") % {"places": quota.places}
            )
    return move(application, Application.Status.COLLEGE_REVIEWED, actor=actor, note=note)


@transaction.atomic
def application_publish_notice(*, actor: User, application: Application) -> Application:
    """college reviewed → on notice (the college's public notice of its recommendations)."""
    return move(application, Application.Status.NOTICE, actor=actor)


@transaction.atomic
def application_school_approve(*, actor: User, application: Application, note: str = "") -> Application:
    """on notice → approved by the school (aid officer)."""
    note = _clean_text(note, limit=NOTE_MAX)
    application = move(
        application, Application.Status.APPROVED, actor=actor, note=note, values={"decided_at": timezone.now()}
    )
    with override(settings.LANGUAGE_CODE):
        _tell_student(
            application,
            "approved",
            _("Your application for %(programme)s was approved") % {"programme": application.programme.name},
        )
    return application


@transaction.atomic
def application_reject(*, actor: User, application: Application, note: str) -> Application:
    """submitted, college reviewed, on notice, approved or appealed → not approved, with the reason."""
    note = _clean_text(note, limit=NOTE_MAX, required_message=_("Give the reason, for the student."))
    application = move(
        application, Application.Status.REJECTED, actor=actor, note=note, values={"decided_at": timezone.now()}
    )
    with override(settings.LANGUAGE_CODE):
        _tell_student(
            application,
            f"rejected:{application.events.count()}",
            _("Your application for %(programme)s was not approved") % {"programme": application.programme.name},
            _("You may appeal from the application page."),
        )
    return application


@transaction.atomic
def application_appeal(*, actor: User, application: Application, reason: str) -> Application:
    """rejected → appealed by the student; it goes back to the college's queue."""
    reason = _clean_text(reason, limit=NOTE_MAX, required_message=_("Say why you appeal."))
    return move(
        application, Application.Status.APPEALED, actor=actor, note=reason, values={"submitted_at": timezone.now()}
    )


@transaction.atomic
def application_commit(*, actor: User, application: Application, fund: Fund) -> Application:
    """approved → charged to a fund: a COMMITMENT ledger entry of the award's amount.

    Locks the application, then the FUND row, and computes the balance from the ledger after the lock, so
    however many officers commit at once the fund is never overdrawn. The fund must be of the programme's
    party and the application's year.
    """
    application = locked(application)
    Application.flow.check(application, Application.Status.COMMITTED)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if fund.party != application.programme.party:
        raise DomainError(
            _("%(programme)s is paid from %(party)s funds.")
            % {"programme": application.programme.name, "party": Party(application.programme.party).label}
        )
    if fund.year_id != application.year_id:
        raise DomainError(_("Choose a fund of the application's year."))
    amount = check_amount(application.amount)
    balance = fund_balance(fund)
    if amount > balance:
        raise DomainError(
            _("%(fund)s has %(balance)s yuan left, less than this award of %(amount)s yuan.")
            % {"fund": fund.name, "balance": f"{balance:,.2f}", "amount": f"{amount:,.2f}"}
        )
    LedgerEntry.objects.create(
        fund=fund, kind=LedgerEntry.Kind.COMMITMENT, amount=amount, application=application, created_by=actor
    )
    application.fund = fund
    return move(application, Application.Status.COMMITTED, actor=actor, fields=["fund"])


def split_amount(amount: Decimal, installments: int) -> list[Decimal]:
    """Equal installments in fen; the last takes the remainder, so they add up exactly."""
    part = (amount / installments).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (installments - 1) + [amount - part * (installments - 1)]


@transaction.atomic
def application_schedule_payments(
    *, actor: User, application: Application, first_due_on: date, installments: int, interval_months: int = 1
) -> list[Payment]:
    """committed → being paid: the award split into installments (Payment rows), the student told."""
    if not 1 <= installments <= MAX_INSTALLMENTS:
        raise DomainError(_("Installments are between 1 and %(n)s.") % {"n": MAX_INSTALLMENTS})
    if not 1 <= interval_months <= 6:
        raise DomainError(_("Installments are 1 to 6 months apart."))
    if first_due_on < timezone.localdate() - timedelta(days=31):
        raise DomainError(_("The first payment cannot be more than a month in the past."))
    application = locked(application)
    Application.flow.check(application, Application.Status.PAYING)
    if application.status != Application.Status.COMMITTED or application.fund_id is None:
        raise DomainError(_("Charge the award to a fund first."))
    amount = check_amount(application.amount)
    if amount / installments < 1:
        raise DomainError(_("Each installment must be at least 1 yuan."))
    payments = Payment.objects.bulk_create(
        Payment(
            application=application,
            student=application.student,
            fund_id=application.fund_id,
            amount=part,
            due_on=add_months(first_due_on, i * interval_months),
        )
        for i, part in enumerate(split_amount(amount, installments))
    )
    move(application, Application.Status.PAYING, actor=actor, note=f"{installments} × {first_due_on:%Y-%m-%d}")
    with override(settings.LANGUAGE_CODE):
        _tell_student(
            application,
            "scheduled",
            _("Payments of your %(programme)s are scheduled") % {"programme": application.programme.name},
            _("%(n)s payment(s), the first due on %(date)s. Keep your bank account up to date.")
            % {"n": installments, "date": f"{first_due_on:%Y-%m-%d}"},
        )
    return payments


@transaction.atomic
def application_close(*, actor: User, application: Application, note: str = "") -> Application:
    """paid (or reclaimed) → closed."""
    return move(application, Application.Status.CLOSED, actor=actor, note=_clean_text(note, limit=NOTE_MAX))


def _release_unpaid(application: Application, *, actor: User | None) -> Decimal:
    """Cancel the scheduled payments and give the unpaid part of the commitment back to the fund."""
    application.payments.filter(status=Payment.Status.SCHEDULED).update(status=Payment.Status.CANCELLED)
    kept = application.payments.filter(status__in=(Payment.Status.PAID, Payment.Status.RETURNED)).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    unpaid = (application.amount or Decimal("0")) - kept
    if unpaid > 0 and application.fund_id:
        LedgerEntry.objects.create(
            fund_id=application.fund_id,
            kind=LedgerEntry.Kind.RELEASE,
            amount=unpaid,
            application=application,
            created_by=actor,
        )
    return unpaid


@transaction.atomic
def application_clawback(*, actor: User, application: Application, note: str) -> Application:
    """committed, being paid or paid → being reclaimed: unpaid installments are cancelled and their money
    released to the fund at once; money already paid is released as each payment comes back
    (`payment_record_returned`)."""
    note = _clean_text(note, limit=NOTE_MAX, required_message=_("Give the reason."))
    application = locked(application)
    Application.flow.check(application, Application.Status.CLAWBACK)
    _release_unpaid(application, actor=actor)
    move(application, Application.Status.CLAWBACK, actor=actor, note=note)
    with override(settings.LANGUAGE_CODE):
        _tell_student(
            application,
            "clawback",
            _("Your award of %(programme)s is being reclaimed") % {"programme": application.programme.name},
            _("The aid office will contact you about the money already paid."),
        )
    return application


# --- Payments and batches ---------------------------------------------------------------------------------------


@transaction.atomic
def batch_create(*, actor: User, name: str, payment_ids: Iterable[int]) -> PaymentBatch:
    """Group scheduled award payments into a batch for finance. Every student needs a bank account."""
    name = _clean_text(name, limit=100, required_message=_("Give the batch a name."))
    ids = sorted(set(payment_ids))
    if not ids:
        raise DomainError(_("Choose at least one payment."))
    payments = list(
        Payment.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("student").order_by("pk")
    )
    if len(payments) != len(ids) or any(
        p.status != Payment.Status.SCHEDULED or p.batch_id is not None or p.application_id is None for p in payments
    ):
        raise DomainError(_("Some of these payments are no longer waiting for a batch; reload the page."))
    with_account = set(
        BankAccount.objects.filter(student_id__in={p.student_id for p in payments}).values_list("student_id", flat=True)
    )
    missing = sorted({p.student.student_no for p in payments if p.student_id not in with_account})
    if missing:
        raise DomainError(
            _("These students have no bank account yet: %(numbers)s.") % {"numbers": ", ".join(missing[:20])}
        )
    batch = PaymentBatch.objects.create(name=name, created_by=actor)
    Payment.objects.filter(pk__in=ids).update(batch=batch)
    audit_log(actor=actor, action="payment_batch.created", obj=batch, changes={"payments": len(ids)})
    return batch


@transaction.atomic
def batch_mark_paid(*, actor: User, batch: PaymentBatch) -> int:
    """Finance paid the batch: its scheduled payments → paid, a PAYMENT ledger entry each; an award whose
    payments are all paid → paid. Locks the applications first (the services' lock order), then the payments."""
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    application_ids = sorted(
        set(
            batch.payments.filter(status=Payment.Status.SCHEDULED, application__isnull=False).values_list(
                "application_id", flat=True
            )
        )
    )
    applications = {
        a.pk: a
        for a in locked_rows(
            Application.objects.select_for_update(of=("self",))
            .filter(pk__in=application_ids)
            .select_related("student__user", "programme")
            .order_by("pk")
        )
    }
    payments = list(
        Payment.objects.select_for_update().filter(batch=batch, status=Payment.Status.SCHEDULED).order_by("pk")
    )
    if not payments:
        raise DomainError(_("Nothing in this batch is waiting to be paid."))
    now = timezone.now()
    for payment in payments:
        payment.status = Payment.Status.PAID
        payment.paid_at = now
    Payment.objects.bulk_update(payments, ["status", "paid_at"])
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            fund_id=p.fund_id,
            kind=LedgerEntry.Kind.PAYMENT,
            amount=p.amount,
            application_id=p.application_id,
            payment=p,
            created_by=actor,
            created_at=now,
        )
        for p in payments
    )
    still_scheduled = set(
        Payment.objects.filter(application_id__in=application_ids, status=Payment.Status.SCHEDULED).values_list(
            "application_id", flat=True
        )
    )
    with override(settings.LANGUAGE_CODE):
        for payment in payments:
            application = applications.get(payment.application_id)
            if application is None:
                continue
            notify(
                recipient=application.student.user,
                title=_("A payment of %(amount)s yuan was made") % {"amount": f"{payment.amount:,.2f}"},
                body=_("%(programme)s, to your bank account.") % {"programme": application.programme.name},
                url=_application_url(application),
                dedupe_key=f"aid:payment:{payment.pk}:paid",
            )
        for application in applications.values():
            if application.pk not in still_scheduled and application.status == Application.Status.PAYING:
                move(application, Application.Status.PAID, actor=actor)
    audit_log(actor=actor, action="payment_batch.paid", obj=batch, changes={"payments": len(payments)})
    return len(payments)


@transaction.atomic
def payment_record_returned(*, actor: User, payment: Payment, note: str) -> Payment:
    """A paid installment came back (clawback, or a closed card): the payment → returned, its amount
    released to the fund; the award, unless already being reclaimed, → being reclaimed."""
    note = _clean_text(note, limit=NOTE_MAX, required_message=_("Give the reason."))
    application = locked(payment.application) if payment.application_id else None
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.PAID:
        raise DomainError(_("Only a paid payment can be recorded as returned."))
    payment.status = Payment.Status.RETURNED
    payment.save(update_fields=["status"])
    LedgerEntry.objects.create(
        fund_id=payment.fund_id,
        kind=LedgerEntry.Kind.RELEASE,
        amount=payment.amount,
        application=application,
        payment=payment,
        created_by=actor,
    )
    audit_log(actor=actor, action="payment.returned", obj=payment, changes={"amount": str(payment.amount)})
    # Already being reclaimed: its unpaid part was released then. Otherwise reclaim it now.
    if application is not None and Application.flow.allows(application.status, Application.Status.CLAWBACK):
        _release_unpaid(application, actor=actor)
        move(application, Application.Status.CLAWBACK, actor=actor, note=note)
    return payment


@transaction.atomic
def batch_record_export(*, actor: User, batch: PaymentBatch, rows: int) -> None:
    """The finance export shows card numbers in full: every export is audited."""
    PaymentBatch.objects.filter(pk=batch.pk).update(exported_at=timezone.now())
    audit_log(actor=actor, action="payment_batch.exported", obj=batch, changes={"rows": rows})


# --- Bank accounts ------------------------------------------------------------------------------------------------


def normalise_card_number(value: str) -> str:
    return "".join(ch for ch in (value or "") if not ch.isspace() and ch != "-")


@transaction.atomic
def bank_account_save(*, actor: User, student: Student, bank: str, card_number: str) -> BankAccount:
    """The student's own account for awards. 12–19 digits; no Luhn check (some Chinese bank cards fail it,
    and a false refusal would block a payment); the form asks for the number twice instead."""
    bank = _clean_text(bank, limit=100, required_message=_("Name the bank."))
    digits = normalise_card_number(card_number)
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise DomainError(_("A bank-card number has 12 to 19 digits."))
    account = BankAccount.objects.select_for_update().filter(student=student).first()
    created = account is None
    if created:
        account = BankAccount(student=student)
    elif account.bank == bank and account.card_number == digits:
        return account
    account.bank = bank
    account.card_number = digits
    account.save()
    audit_log(
        actor=actor,
        action="bank_account.created" if created else "bank_account.changed",
        obj=account,
        changes={"fields": ["bank", "card_number"]},
    )
    return account


# --- Reminders ------------------------------------------------------------------------------------------------------


def _reviewers_by_college(college_ids: Iterable[int]) -> dict[int, list[User]]:
    assignments = (
        RoleAssignment.objects.current()
        .filter(role=Role.AID_REVIEWER, college_id__in=list(college_ids), user__is_active=True)
        .select_related("user")
    )
    found: dict[int, list[User]] = {}
    for assignment in assignments:
        found.setdefault(assignment.college_id, []).append(assignment.user)
    return found


def application_remind_overdue_reviews(*, now: datetime | None = None) -> int:
    """Daily: tell each college's aid reviewers how many applications waited longer than the configured
    days (submitted or appealed). One reminder per reviewer and day (dedupe key), so running twice is safe."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(config.get("aid.review_overdue_days")))
    waiting = dict(
        Application.objects.filter(
            status__in=(Application.Status.SUBMITTED, Application.Status.APPEALED), submitted_at__lt=cutoff
        )
        .values_list("student__college_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    sent = 0
    today = timezone.localdate(now)
    with override(settings.LANGUAGE_CODE):
        for college_id, reviewers in _reviewers_by_college(waiting).items():
            for reviewer in reviewers:
                notify(
                    recipient=reviewer,
                    title=_("%(n)s aid application(s) have waited more than %(days)s days for review")
                    % {"n": waiting[college_id], "days": config.get("aid.review_overdue_days")},
                    url=reverse("aid:application_queue"),
                    dedupe_key=f"aid:reviews_overdue:{college_id}:{reviewer.pk}:{today:%Y%m%d}",
                    email=True,
                )
                sent += 1
    return sent


def payment_remind_unbatched(*, now: datetime | None = None) -> int:
    """Daily: tell aid officers about scheduled award payments due soon that are in no batch yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=int(config.get("aid.payment_batch_warning_days")))
    count = Payment.objects.filter(
        status=Payment.Status.SCHEDULED, batch__isnull=True, application__isnull=False, due_on__lte=horizon
    ).count()
    if not count:
        return 0
    officers = role_holders(Role.AID_OFFICER)
    sent = 0
    with override(settings.LANGUAGE_CODE):
        for officer in officers:
            notify(
                recipient=officer,
                title=_("%(n)s scheduled aid payment(s) due soon are in no batch") % {"n": count},
                url=reverse("aid:batch_list"),
                dedupe_key=f"aid:payments_unbatched:{officer.pk}:{today:%Y%m%d}",
            )
            sent += 1
    return sent


# --- Requests from other apps ---------------------------------------------------------------------------


@transaction.atomic
def temporary_hardship_open(*, actor: User, student: Student, note: str) -> Application:
    """A home-visit team opens a temporary hardship application on the student's behalf.

    The application is a DRAFT of the active temporary-hardship programme for the current academic year,
    with the team's note as its statement; the student is told to complete and submit it (a draft is not
    reviewed by anyone). No eligibility check and no amount: those happen when the student submits.
    Idempotent per student, programme and year (the database constraint): when the student already has an
    application of that programme this year, in whatever state, it is returned unchanged.
    Raises DomainError when there is no current year or no active temporary-hardship programme.
    """
    statement = _clean_text(
        note, limit=APPLICATION_STATEMENT_MAX, required_message=_("Say briefly why the student needs help.")
    )
    year = current_year()
    if year is None:
        raise DomainError(_("There is no current academic year in the aid office's settings."))
    programme = Programme.objects.filter(kind=Programme.Kind.TEMPORARY, active=True).order_by("pk").first()
    if programme is None:
        raise DomainError(_("There is no active temporary hardship programme."))
    existing = Application.objects.filter(student=student, programme=programme, year=year).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            application = Application.objects.create(
                student=student, programme=programme, year=year, status=Application.Status.DRAFT, statement=statement
            )
    except IntegrityError:  # opened at the same moment by someone else
        return Application.objects.get(student=student, programme=programme, year=year)
    ApplicationEvent.objects.create(
        application=application, actor=actor, from_status="", to_status=Application.Status.DRAFT
    )
    audit_log(
        actor=actor, action="application.opened_for_student", obj=application, changes={"programme": programme.code}
    )
    with override(settings.LANGUAGE_CODE):
        title = _("A temporary hardship application was opened for you: please complete and submit it")
    _tell_student(application, "opened_for_student", title)
    return application
