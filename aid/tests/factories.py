"""factory_boy factories and helpers shared by the aid tests (each area may add its own below)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from aid.models import AcademicYear, FamilyMember, Identification, IdentificationEvent, Notice, Tier
from portal.models import Student, User


class AcademicYearFactory(factory.django.DjangoModelFactory):
    """The current year by default, its identification window open today."""

    class Meta:
        model = AcademicYear
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"{2030 + n}-{2031 + n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=300))
    window_opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=5))
    window_closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    is_current = True


class IdentificationFactory(factory.django.DjangoModelFactory):
    """A row in any state, written directly (tests of a transition start from the state before it)."""

    class Meta:
        model = Identification

    year = factory.SubFactory(AcademicYearFactory)
    status = Identification.Status.DRAFT
    household_size = 4
    household_income = Decimal("24000.00")
    household_debt = Decimal("0.00")
    special_statuses = factory.LazyFunction(list)
    statement = "父亲务农，母亲常年生病，家里还有一个妹妹读初中。"


class FamilyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyMember

    identification = factory.SubFactory(IdentificationFactory)
    relation = "父亲"
    age = 50
    occupation = "务农"
    annual_income = Decimal("12000.00")


def identification_in(
    student: Student, status: str, *, year: AcademicYear | None = None, actor: User | None = None, **fields: object
) -> Identification:
    """An identification of `student` already in `status`, with one timeline entry."""
    year = year or AcademicYearFactory()
    if status != Identification.Status.DRAFT:
        fields.setdefault("submitted_at", timezone.now())
        fields.setdefault("pledge_signed_at", timezone.now())
    ident = IdentificationFactory(student=student, year=year, status=status, **fields)
    IdentificationEvent.objects.create(identification=ident, actor=actor, to_status=status)
    return ident


def notice_for(
    identifications: list[Identification],
    *,
    kind: str,
    created_by: User,
    starts_on: date | None = None,
    ends_on: date | None = None,
    tier: str = Tier.DIFFICULT,
) -> Notice:
    """A notice of the first identification's college and year, with the rows linked and tiered."""
    today = timezone.localdate()
    first = identifications[0]
    notice = Notice.objects.create(
        kind=kind,
        year=first.year,
        college=first.student.college,
        title="公示",
        starts_on=starts_on or today - timedelta(days=1),
        ends_on=ends_on or today + timedelta(days=7),
        created_by=created_by,
    )
    for ident in identifications:
        if kind == Notice.Kind.COLLEGE:
            ident.college_notice, ident.college_tier = notice, tier
            ident.status = Identification.Status.COLLEGE_NOTICE
        else:
            ident.school_notice, ident.tier = notice, tier
            ident.status = Identification.Status.SCHOOL_NOTICE
        ident.save()
    return notice


# --- Five-aid and work-study ------------------------------------------------------------------------------


def current_academic_year() -> AcademicYear:
    """The current academic year (created when there is none)."""
    return AcademicYear.objects.filter(is_current=True).first() or AcademicYearFactory()


def identified(student: Student, tier: str = Tier.DIFFICULT, *, year: AcademicYear | None = None) -> Identification:
    """An approved identification of `student` (how the identification area ends)."""
    return identification_in(student, Identification.Status.APPROVED, year=year or current_academic_year(), tier=tier)


def fiveaid_case_for(student: Student, tier: str = Tier.DIFFICULT):
    from aid.services.fiveaid import fiveaid_open_for

    return fiveaid_open_for(identified(student, tier))


def workstudy_post(
    *,
    supervisor: User,
    kind: str = "temporary",
    rate: str = "15.00",
    hours: int = 40,
    openings: int = 3,
    year: AcademicYear | None = None,
    title: str = "图书整理",
):
    from aid.models import WorkStudyPost

    return WorkStudyPost.objects.create(
        year=year or current_academic_year(),
        unit="图书馆",
        title=title,
        kind=kind,
        hourly_rate=Decimal(rate),
        hours_per_month=hours,
        openings=openings,
        supervisor=supervisor,
    )


def workstudy_placed(student: Student, post, *, days_ago: int = 90):
    """A placement already placed, `days_ago` days back (so earlier months' hours may be entered)."""
    from aid.models import WorkStudyPlacement

    when = timezone.now() - timedelta(days=days_ago)
    return WorkStudyPlacement.objects.create(
        post=post, student=student, status=WorkStudyPlacement.Status.PLACED, applied_at=when, decided_at=when
    )


def award_for(student: Student, *, amount: str, party: str, code: str, year: AcademicYear | None = None):
    """An approved award of `amount` from a programme of `party` (rows written directly)."""
    from aid.models import Application, Programme

    programme, _ = Programme.objects.get_or_create(
        code=code,
        defaults={
            "name": f"项目{code}",
            "party": party,
            "kind": "grant",
            "amount_mode": "fixed",
            "amount": Decimal(amount),
        },
    )
    return Application.objects.create(
        student=student,
        programme=programme,
        year=year or current_academic_year(),
        status="approved",
        amount=Decimal(amount),
    )
