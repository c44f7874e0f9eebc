"""Factories of the funds area. Applications are moved along through the services, as in production."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from aid.models import AcademicYear, Application, Fund, Identification, Party, Programme, Tier
from aid.services import funds as services
from portal.models import Student, User


def current_year(start: int = 2025) -> AcademicYear:
    year = AcademicYear.objects.filter(is_current=True).first()
    if year is None:
        year = AcademicYear.objects.create(
            name=f"{start}-{start + 1}",
            starts_on=date(start, 9, 1),
            ends_on=date(start + 1, 8, 31),
            window_opens_on=date(start, 9, 1),
            window_closes_on=date(start, 10, 15),
            is_current=True,
        )
    return year


def identify(student: Student, tier: str = Tier.DIFFICULT, *, year: AcademicYear | None = None) -> Identification:
    """An approved identification of `tier` for the year (how the identification area ends)."""
    identification, _ = Identification.objects.update_or_create(
        student=student,
        year=year or current_year(),
        defaults={"status": Identification.Status.APPROVED, "tier": tier, "decided_at": timezone.now()},
    )
    return identification


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"助学金{n}")
    party = Party.STATE
    kind = Programme.Kind.GRANT
    amount_mode = Programme.AmountMode.FIXED
    amount = Decimal("3700")
    required_tier = Tier.GENERAL


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"资助资金{n}")
    party = Party.STATE
    year = factory.LazyFunction(current_year)
    budget = Decimal("1000000")


def programme(code: str) -> Programme:
    """One of the standard programmes (seeded on first use)."""
    services.seed_programmes()
    return Programme.objects.get(code=code)


def apply(
    student: Student, prog: Programme, *, amount: object = None, statement: str = "家庭困难，申请资助。"
) -> Application:
    return services.application_apply(
        actor=student.user, student=student, programme=prog, year=current_year(), statement=statement, amount=amount
    )


def application_in(
    status: str,
    *,
    student: Student,
    officer: User,
    prog: Programme | None = None,
    fund: Fund | None = None,
    amount: object = None,
) -> Application:
    """An application of `student` (identified if needed) moved to `status` through the services."""
    S = Application.Status
    prog = prog or ProgrammeFactory()
    if prog.required_tier and not Identification.objects.filter(student=student, year=current_year()).exists():
        identify(student)
    app = apply(student, prog, amount=amount)
    if status == S.SUBMITTED:
        return app
    if status == S.WITHDRAWN:
        return services.application_withdraw(actor=student.user, application=app)
    if status in (S.RETURNED, S.REJECTED, S.APPEALED):
        if status == S.RETURNED:
            return services.application_return(actor=officer, application=app, note="请补充材料")
        app = services.application_reject(actor=officer, application=app, note="不符合条件")
        if status == S.APPEALED:
            app = services.application_appeal(actor=student.user, application=app, reason="情况有变")
        return app
    app = services.application_college_approve(actor=officer, application=app)
    if status == S.COLLEGE_REVIEWED:
        return app
    app = services.application_publish_notice(actor=officer, application=app)
    if status == S.NOTICE:
        return app
    app = services.application_school_approve(actor=officer, application=app)
    if status == S.APPROVED:
        return app
    fund = fund or FundFactory(party=prog.party)
    app = services.application_commit(actor=officer, application=app, fund=fund)
    if status == S.COMMITTED:
        return app
    services.application_schedule_payments(
        actor=officer, application=app, first_due_on=timezone.localdate() + timedelta(days=1), installments=2
    )
    app.refresh_from_db()
    if status == S.PAYING:
        return app
    services.bank_account_save(actor=student.user, student=student, bank="中国银行", card_number="6217000012345678")
    batch = services.batch_create(actor=officer, name="批次", payment_ids=app.payments.values_list("pk", flat=True))
    services.batch_mark_paid(actor=officer, batch=batch)
    app.refresh_from_db()
    if status == S.PAID:
        return app
    if status == S.CLOSED:
        return services.application_close(actor=officer, application=app)
    if status == S.CLAWBACK:
        return services.application_clawback(actor=officer, application=app, note="信息不实")
    raise ValueError(status)
