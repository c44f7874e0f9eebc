"""Hidden aid (隐形资助).

Canteen data in (aid/services/hiddenaid_canteen.py) → a batch per month evaluated by the rule per sex (one
INSERT … SELECT) → station counsellors and aid reviewers add or remove students of their college with a reason → an
officer approves and picks a fund → each student is told privately and may decline until `pay_on` →
the batch is paid (each payment locks the fund and cannot overdraw it) → a student may return the money
(a RELEASE entry). Nothing here ever publishes a list of recipients.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from aid.models import (
    ZERO,
    CanteenRecord,
    Fund,
    HiddenAidBatch,
    HiddenAidCandidate,
    LedgerEntry,
    Payment,
)
from aid.selectors.funds import fund_balance
from aid.services.funds import payment_record_returned
from aid.services.hiddenaid_canteen import CanteenImportResult, canteen_import
from aid.services.hiddenaid_canteen import _lock_canteen as _lock_hidden_aid
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import month_start
from portal.kernel.workflow import locked, move
from portal.models import Gender, Role, Student, User
from portal.selectors import role_holders
from portal.services import DomainError, notify

__all__ = [
    "HIDDEN_AID_DEFAULT_RULES",
    "HiddenAidAmountNeeded",
    "HiddenAidRule",
    "hiddenaid_batch_approve",
    "hiddenaid_batch_evaluate",
    "hiddenaid_batch_pay",
    "hiddenaid_candidate_add",
    "hiddenaid_candidate_decline",
    "hiddenaid_candidate_remove",
    "hiddenaid_candidate_return",
    "hiddenaid_canteen_import",
    "hiddenaid_fund_balance",
    "hiddenaid_pay_due_batches",
    "hiddenaid_rules",
    "hiddenaid_rules_of",
]

HIDDEN_AID_DEFAULT_RULES = {
    "M": {"min_meals": 60, "max_spend": "350.00"},
    "F": {"min_meals": 60, "max_spend": "300.00"},
    "mode": "top_up",
}
config.declare(
    "aid.hidden_aid_rules",
    HIDDEN_AID_DEFAULT_RULES,
    "Hidden aid: per sex (M, F) the minimum meals a month and the spend below which a student is a candidate; "
    'mode "top_up" pays the difference up to that spend, {"mode": "fixed", "amount": "150.00"} a fixed amount '
    "(also settable per sex).",
)
config.declare(
    "aid.hidden_aid_decline_days",
    3,
    "Hidden aid: days after approval during which students may decline before the batch is paid.",
)

_CENT = Decimal("0.01")


class HiddenAidAmountNeeded(DomainError):
    """The rule gives the student nothing, so someone who may set amounts (an aid officer) must add them."""


@dataclasses.dataclass(frozen=True)
class HiddenAidRule:
    """The rule for one sex: at least `min_meals` meals and a spend strictly below `max_spend`."""

    gender: str
    min_meals: int
    max_spend: Decimal
    mode: str  # "top_up" | "fixed"
    amount: Decimal | None  # the fixed amount

    def matches(self, *, meals: int, spend: Decimal) -> bool:
        return meals >= self.min_meals and spend < self.max_spend

    def amount_for(self, spend: Decimal) -> Decimal:
        """What the rule pays a student who spent `spend` (0 when a top-up has nothing to top up)."""
        if self.mode == "fixed":
            return self.amount or ZERO
        return max(self.max_spend - spend, ZERO).quantize(_CENT)

    @property
    def most(self) -> Decimal:
        """The largest amount a hand-added student may be given."""
        return max(self.max_spend, self.amount or ZERO)

    def snapshot(self) -> dict[str, object]:
        data: dict[str, object] = {"min_meals": self.min_meals, "max_spend": str(self.max_spend), "mode": self.mode}
        if self.amount is not None:
            data["amount"] = str(self.amount)
        return data


def _rule_error(what: str, value: object) -> DomainError:
    return DomainError(
        gettext("The hidden-aid rule setting has a bad %(what)s: %(value)s.") % {"what": what, "value": value}
    )


def _rule_money(value: object, what: str) -> Decimal:
    try:
        money = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _rule_error(what, value) from None
    if not money.is_finite() or money <= 0 or money != money.quantize(_CENT) or money > Decimal("99999999"):
        raise _rule_error(what, value)
    return money


def _rule_mode(raw: dict, fallback: tuple[str, Decimal | None]) -> tuple[str, Decimal | None]:
    """ "mode": "top_up", "mode": "fixed" with "amount" beside it, or "mode": {"mode": "fixed", "amount": "150.00"}."""
    mode = raw.get("mode", fallback[0])
    amount = raw.get("amount")
    if isinstance(mode, dict):
        amount = mode.get("amount", amount)
        mode = mode.get("mode")
    if mode == "top_up":
        return "top_up", None
    if mode == "fixed":
        if amount is None and fallback[0] == "fixed":
            return fallback
        return "fixed", _rule_money(amount, "amount")
    raise _rule_error("mode", mode)


def hiddenaid_rules(raw: object = None) -> dict[str, HiddenAidRule]:
    """The rule per sex from the setting "aid.hidden_aid_rules" (or `raw`), checked; DomainError when bad."""
    if raw is None:
        raw = config.get("aid.hidden_aid_rules")
    if not isinstance(raw, dict):
        raise _rule_error("value", raw)
    default_mode = _rule_mode(raw, ("top_up", None))
    rules = {}
    for gender in Gender.values:
        per_sex = raw.get(gender)
        if not isinstance(per_sex, dict):
            raise _rule_error(gender, per_sex)
        min_meals = per_sex.get("min_meals")
        if not isinstance(min_meals, int) or isinstance(min_meals, bool) or not 0 <= min_meals <= 1000:
            raise _rule_error("min_meals", min_meals)
        max_spend = _rule_money(per_sex.get("max_spend"), "max_spend")
        mode, amount = _rule_mode(per_sex, default_mode)
        rules[gender] = HiddenAidRule(gender, min_meals, max_spend, mode, amount)
    return rules


def hiddenaid_rules_of(batch: HiddenAidBatch) -> dict[str, HiddenAidRule]:
    """The rule the batch was evaluated with (its snapshot): a later change of the setting does not move it."""
    if batch.rules:
        return hiddenaid_rules(batch.rules)
    return hiddenaid_rules()


def _insert_rule_candidates(batch: HiddenAidBatch, rules: dict[str, HiddenAidRule]) -> int:
    """One INSERT … SELECT: every enrolled student of the month who meets the rule of their sex.

    Students already in the batch (kept hand changes) are left alone (ON CONFLICT DO NOTHING).
    """
    qn = connection.ops.quote_name
    cases: list[str] = []
    conditions: list[str] = []
    case_params: list[object] = []
    where_params: list[object] = []
    for rule in rules.values():
        if rule.mode == "fixed":
            cases.append("WHEN %s THEN CAST(%s AS NUMERIC)")
            case_params += [rule.gender, rule.amount]
        else:
            cases.append("WHEN %s THEN (CAST(%s AS NUMERIC) - r.total_spend)")
            case_params += [rule.gender, rule.max_spend]
        conditions.append("(s.gender = %s AND r.meals >= %s AND r.total_spend < %s)")
        where_params += [rule.gender, rule.min_meals, rule.max_spend]
    candidates = qn(HiddenAidCandidate._meta.db_table)
    records = qn(CanteenRecord._meta.db_table)
    students = qn(Student._meta.db_table)
    # Table names come from the models; every value is a parameter.
    sql = (
        f"INSERT INTO {candidates} "  # noqa: S608
        "(batch_id, student_id, gender, meals, spend, amount, included, by_rule, change_reason, status) "
        f"SELECT %s, r.student_id, s.gender, r.meals, r.total_spend, CASE s.gender {' '.join(cases)} END, "
        "TRUE, TRUE, '', %s "
        f"FROM {records} r JOIN {students} s ON s.id = r.student_id "
        f"WHERE r.month = %s AND s.status = %s AND ({' OR '.join(conditions)}) "
        "ON CONFLICT (batch_id, student_id) DO NOTHING"
    )
    params = [
        batch.pk,
        *case_params,
        HiddenAidCandidate.Status.PROPOSED.value,
        batch.month,
        Student.Status.ENROLLED.value,
        *where_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def hiddenaid_batch_evaluate(*, actor: User, month: date) -> tuple[HiddenAidBatch, int]:
    """Create the month's batch, or re-evaluate it while it is under review, by the current rule.

    Takes the hidden-aid lock (an import of the month waits). Rule candidates nobody has touched are
    replaced; candidates added or removed by hand keep their state. Only enrolled students qualify.
    Refuses a month without canteen data and a batch already approved. Returns the batch and how many
    rule candidates were written. Caller has checked that the actor is an aid officer.
    """
    month = month_start(month)
    _lock_hidden_aid()
    rules = hiddenaid_rules()
    if not CanteenRecord.objects.filter(month=month).exists():
        raise DomainError(
            gettext("There is no canteen data for %(month)s; import it first.") % {"month": f"{month:%Y-%m}"}
        )
    batch = HiddenAidBatch.objects.select_for_update().filter(month=month).first()
    snapshot = {gender: rule.snapshot() for gender, rule in rules.items()}
    if batch is None:
        batch = HiddenAidBatch.objects.create(month=month, rules=snapshot, created_by=actor)
        action = "hiddenaid.batch_created"
    else:
        if batch.status != HiddenAidBatch.Status.DRAFT:
            raise DomainError(gettext("This batch is already approved; it can no longer be evaluated again."))
        batch.rules = snapshot
        batch.save(update_fields=["rules"])
        HiddenAidCandidate.objects.filter(batch=batch, by_rule=True, changed_by__isnull=True).delete()
        action = "hiddenaid.batch_reevaluated"
    written = _insert_rule_candidates(batch, rules)
    audit_log(actor=actor, action=action, obj=batch, changes={"candidates": written})
    return batch, written


@transaction.atomic
def hiddenaid_canteen_import(
    *, actor: User | None, data: bytes, filename: str
) -> tuple[CanteenImportResult, list[HiddenAidBatch]]:
    """Import canteen data (hiddenaid_canteen: all or nothing, replaces the months in the file), then evaluate
    again the batches under review of those months. Caller has checked that the actor is an aid officer."""
    result = canteen_import(actor=actor, data=data, filename=filename)
    reevaluated: list[HiddenAidBatch] = []
    if result.ok:
        drafts = HiddenAidBatch.objects.filter(month__in=result.months, status=HiddenAidBatch.Status.DRAFT)
        for batch in drafts.order_by("month"):
            reevaluated.append(hiddenaid_batch_evaluate(actor=actor or batch.created_by, month=batch.month)[0])
    return result, reevaluated


def _locked_draft_batch(batch: HiddenAidBatch) -> HiddenAidBatch:
    """The batch, locked; DomainError (the flow's refusal) unless it is under review, i.e. may still be approved."""
    batch = locked(batch)
    HiddenAidBatch.flow.check(batch, HiddenAidBatch.Status.APPROVED)
    return batch


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Give a reason for the change."))
    return reason


@transaction.atomic
def hiddenaid_candidate_add(
    *, actor: User, batch: HiddenAidBatch, student: Student, reason: str, amount: Decimal | None = None
) -> HiddenAidCandidate:
    """Add a student to a batch under review (or include a removed one again), with a reason.

    Locks the batch; refuses once it is approved. Without `amount`, the rule's amount for the student's
    month is used (fixed, or the top-up of their recorded spend); when that is nothing, an amount is
    required. Caller has checked `can(actor, "hiddenaid_change", batch)` and that the student is in the
    actor's colleges.
    """
    reason = _clean_reason(reason)
    batch = _locked_draft_batch(batch)
    rule = hiddenaid_rules_of(batch)[student.gender]
    record = CanteenRecord.objects.filter(student=student, month=batch.month).first()
    meals, spend = (record.meals, record.total_spend) if record else (0, ZERO)
    if amount is None:
        amount = rule.amount_for(spend) if record or rule.mode == "fixed" else ZERO
    if amount <= 0:
        raise HiddenAidAmountNeeded(gettext("The rule gives this student nothing; enter an amount."))
    if amount > rule.most or amount != amount.quantize(_CENT):
        raise DomainError(gettext("The amount must be at most %(most)s yuan, in yuan and fen.") % {"most": rule.most})
    candidate = HiddenAidCandidate.objects.select_for_update().filter(batch=batch, student=student).first()
    if candidate is not None and candidate.included:
        raise DomainError(gettext("This student is already a candidate."))
    if candidate is None:
        candidate = HiddenAidCandidate(batch=batch, student=student, by_rule=False)
    candidate.gender = student.gender
    candidate.meals = meals
    candidate.spend = spend
    candidate.amount = amount
    candidate.included = True
    candidate.change_reason = reason
    candidate.changed_by = actor
    candidate.save()
    audit_log(
        actor=actor,
        action="hiddenaid.candidate_added",
        obj=candidate,
        changes={"fields": ["included", "amount", "change_reason"]},
    )
    return candidate


@transaction.atomic
def hiddenaid_candidate_remove(*, actor: User, candidate: HiddenAidCandidate, reason: str) -> HiddenAidCandidate:
    """Take a student out of a batch under review, with a reason (kept encrypted, for the officer).

    Locks the batch; refuses once it is approved. Caller has checked `can(actor, "hiddenaid_change", candidate)`.
    """
    reason = _clean_reason(reason)
    _locked_draft_batch(candidate.batch)
    candidate = HiddenAidCandidate.objects.select_for_update().get(pk=candidate.pk)
    if not candidate.included:
        raise DomainError(gettext("This student has already been removed."))
    candidate.included = False
    candidate.change_reason = reason
    candidate.changed_by = actor
    candidate.save(update_fields=["included", "change_reason", "changed_by"])
    audit_log(
        actor=actor,
        action="hiddenaid.candidate_removed",
        obj=candidate,
        changes={"fields": ["included", "change_reason"]},
    )
    return candidate


@transaction.atomic
def _pay_from_fund(*, actor: User | None, student: Student, fund: Fund, amount: Decimal) -> Payment:
    """Pay `amount` to `student` from `fund` now: a paid Payment, a COMMITMENT and a PAYMENT ledger entry.

    Locks the fund row (SELECT … FOR UPDATE) and computes its balance (budget − commitments + releases)
    after the lock, so no two payments together can overdraw it. DomainError when the amount is not
    positive or the fund cannot pay it.
    """
    if amount <= 0:
        raise DomainError(gettext("The amount must be more than zero."))
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    balance = fund_balance(fund)
    if amount > balance:
        raise DomainError(
            gettext("The fund %(fund)s has %(balance)s yuan left; it cannot pay %(amount)s yuan.")
            % {"fund": fund.name, "balance": balance, "amount": amount}
        )
    now = timezone.now()
    payment = Payment.objects.create(
        student=student,
        fund=fund,
        amount=amount,
        due_on=timezone.localdate(),
        status=Payment.Status.PAID,
        paid_at=now,
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(fund=fund, kind=kind, amount=amount, payment=payment, created_by=actor, created_at=now)
            for kind in (LedgerEntry.Kind.COMMITMENT, LedgerEntry.Kind.PAYMENT)
        ]
    )
    return payment


def hiddenaid_fund_balance(*, fund: Fund) -> Decimal:
    """The fund's balance as the ledger has it now (not locked: for showing, not for deciding)."""
    return fund_balance(fund)


def _mine_url() -> str:
    return reverse("aid:hiddenaid_mine")


def _payable(batch: HiddenAidBatch):
    return HiddenAidCandidate.objects.filter(
        batch=batch, included=True, status=HiddenAidCandidate.Status.PROPOSED
    ).select_related("student__user")


def _shortfall(fund: Fund, balance: Decimal, total: Decimal, tail: str) -> DomainError:
    return DomainError(
        gettext("The fund %(fund)s has %(balance)s yuan left; this batch needs %(total)s yuan.")
        % {"fund": fund.name, "balance": balance, "total": total}
        + " "
        + tail
    )


@transaction.atomic
def hiddenaid_batch_approve(*, actor: User, batch: HiddenAidBatch, fund: Fund) -> HiddenAidBatch:
    """Approve a batch under review and charge it to `fund`; tell each included student privately.

    Locks the batch; refuses an empty batch and a fund whose balance cannot cover the total (checked again,
    under the fund's lock, when paying). Students may decline until `pay_on` (today + the setting
    "aid.hidden_aid_decline_days"). Caller has checked `can(actor, "hiddenaid_approve", batch)`.
    """
    batch = _locked_draft_batch(batch)
    candidates = list(_payable(batch))
    if not candidates:
        raise DomainError(gettext("The batch has no candidates to approve."))
    total = sum((c.amount for c in candidates), ZERO)
    balance = fund_balance(fund)
    if total > balance:
        raise _shortfall(fund, balance, total, gettext("Choose another fund."))
    days = config.get("aid.hidden_aid_decline_days")
    batch = move(
        batch,
        HiddenAidBatch.Status.APPROVED,
        actor=actor,
        values={
            "fund": fund,
            "approved_by": actor,
            "approved_at": timezone.now(),
            "pay_on": timezone.localdate() + timedelta(days=days if isinstance(days, int) and 0 <= days <= 60 else 3),
        },
        changes={"fund": fund.pk, "candidates": len(candidates), "total": str(total)},
    )
    for candidate in candidates:
        notify(
            recipient=candidate.student.user,
            title=gettext("A meal subsidy is coming to your canteen card"),
            body=gettext(
                "%(amount)s yuan will be added to your canteen card on %(date)s. Only you are told. "
                "If you do not want it, you can decline it before then."
            )
            % {"amount": candidate.amount, "date": f"{batch.pay_on:%Y-%m-%d}"},
            url=_mine_url(),
            dedupe_key=f"hiddenaid:{candidate.pk}:offered",
        )
    return batch


@transaction.atomic
def hiddenaid_batch_pay(*, actor: User | None, batch: HiddenAidBatch) -> int:
    """Pay an approved batch: one payment per included student who has not declined, from the batch's fund.

    Locks the batch (a second call finds it paid and refuses), then the fund, then the candidates; all or
    nothing: when the fund cannot cover every payment, nothing is paid and the DomainError says how much
    is missing. Each paid student gets a private notice. Returns the number of payments. Caller has
    checked `can(actor, "hiddenaid_pay", batch)` (or is the daily task, actor None).
    """
    batch = locked(batch)
    # The map is HiddenAidBatch.flow's; the wording is this move's own (the flow's refusal is the approval's).
    if batch.fund_id is None or not HiddenAidBatch.flow.allows(batch.status, HiddenAidBatch.Status.PAID):
        raise DomainError(gettext("Only an approved batch can be paid."))
    fund = Fund.objects.select_for_update().get(pk=batch.fund_id)
    candidates = list(_payable(batch).select_for_update(of=("self",)).order_by("pk"))
    total = sum((c.amount for c in candidates), ZERO)
    balance = fund_balance(fund)
    if total > balance:
        raise _shortfall(fund, balance, total, gettext("Nothing was paid."))
    for candidate in candidates:
        candidate.payment = _pay_from_fund(actor=actor, student=candidate.student, fund=fund, amount=candidate.amount)
        candidate.status = HiddenAidCandidate.Status.PAID
    # The candidates' moves proposed → paid, set-based (one UPDATE per 500): each is told below, and the batch's
    # audit event counts them.
    HiddenAidCandidate.objects.bulk_update(candidates, ["payment", "status"], batch_size=500)
    batch = move(
        batch,
        HiddenAidBatch.Status.PAID,
        actor=actor,
        values={"paid_at": timezone.now()},
        changes={"payments": len(candidates), "total": str(total)},
    )
    for candidate in candidates:
        notify(
            recipient=candidate.student.user,
            title=gettext("A meal subsidy was added to your canteen card"),
            body=gettext(
                "%(amount)s yuan was added to your canteen card. Only you are told. If you would rather not keep "
                "it, you can return it."
            )
            % {"amount": candidate.amount},
            url=_mine_url(),
            dedupe_key=f"hiddenaid:{candidate.pk}:paid",
        )
    return len(candidates)


def _locked_own_candidate(actor: User, candidate: HiddenAidCandidate) -> HiddenAidCandidate:
    """The candidate, locked after its batch (HiddenAidCandidate.flow's lock order); DomainError unless it is the
    actor's own included subsidy."""
    candidate = locked(candidate)
    if candidate.student.user_id != actor.pk or not candidate.included:
        raise DomainError(gettext("This meal subsidy is not yours."))
    return candidate


@transaction.atomic
def hiddenaid_candidate_decline(*, actor: User, candidate: HiddenAidCandidate) -> HiddenAidCandidate:
    """The student declines a subsidy approved but not yet paid. Locks the batch first (as paying does), so
    a decline and the payment never cross. Only the student themself."""
    candidate = _locked_own_candidate(actor, candidate)
    if candidate.batch.status != HiddenAidBatch.Status.APPROVED:  # the candidate's own status: the flow's refusal
        raise DomainError(gettext("This subsidy can no longer be declined; you can return it instead."))
    return move(
        candidate, HiddenAidCandidate.Status.DECLINED, actor=actor, values={"responded_at": timezone.now()}, changes={}
    )


@transaction.atomic
def hiddenaid_candidate_return(*, actor: User, candidate: HiddenAidCandidate) -> HiddenAidCandidate:
    """The student returns a paid subsidy: the payment is marked returned and a RELEASE entry gives the
    money back to the fund (aid.services.funds.payment_record_returned). Only the student themself, once."""
    candidate = _locked_own_candidate(actor, candidate)
    # The map is HiddenAidCandidate.flow's; the wording is this move's own (the flow's refusal is the decline's).
    if candidate.payment_id is None or not HiddenAidCandidate.flow.allows(
        candidate.status, HiddenAidCandidate.Status.RETURNED
    ):
        raise DomainError(gettext("Only a paid subsidy can be returned."))
    payment_record_returned(actor=actor, payment=candidate.payment, note=gettext("Hidden aid returned by the student."))
    return move(
        candidate, HiddenAidCandidate.Status.RETURNED, actor=actor, values={"responded_at": timezone.now()}, changes={}
    )


def hiddenaid_pay_due_batches(*, today: date | None = None) -> list[tuple[int, str]]:
    """Pay every approved batch whose decline window has ended, each in its own transaction.

    Idempotent: a paid batch is no longer approved. A batch the fund cannot cover stays approved and the
    aid officers are told (once a day). Returns (batch id, "paid" or the refusal) for each batch tried.
    """
    today = today or timezone.localdate()
    outcome: list[tuple[int, str]] = []
    due = HiddenAidBatch.objects.filter(status=HiddenAidBatch.Status.APPROVED, pay_on__lte=today)
    for batch in due.order_by("month"):
        try:
            hiddenaid_batch_pay(actor=None, batch=batch)
        except DomainError as exc:
            outcome.append((batch.pk, str(exc)))
            officers = role_holders(Role.AID_OFFICER)
            with transaction.atomic():
                for officer in officers:
                    notify(
                        recipient=officer,
                        title=gettext("A hidden-aid batch could not be paid"),
                        body=str(exc),
                        url=reverse("aid:hiddenaid_batch", args=[batch.pk]),
                        dedupe_key=f"hiddenaid:batch:{batch.pk}:unpaid:{today:%Y%m%d}:{officer.pk}",
                    )
        else:
            outcome.append((batch.pk, "paid"))
    return outcome
