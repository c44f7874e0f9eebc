"""The eligibility rules of DOMAIN §3.2, row by row: each row sets up a situation and names the programme and
the reason expected (None: eligible)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from aid import eligibility
from aid.models import AcademicYear, Application, Identification, Programme, Quota, Tier
from aid.services import funds as services
from aid.tests.factories_funds import ProgrammeFactory, application_in, apply, current_year, identify, programme
from portal.tests.factories import ClassGroupFactory, StudentFactory

pytestmark = pytest.mark.django_db


def _nothing(world) -> None:
    pass


def _tier(tier: str) -> Callable:
    def setup(world) -> None:
        identify(world.student_a, tier)

    return setup


def _submitted_identification(world) -> None:
    Identification.objects.create(student=world.student_a, year=current_year(), status="submitted")


def _last_year_only(world) -> None:
    last = AcademicYear.objects.create(
        name="2024-2025",
        starts_on=date(2024, 9, 1),
        ends_on=date(2025, 8, 31),
        window_opens_on=date(2024, 9, 1),
        window_closes_on=date(2024, 10, 15),
    )
    identify(world.student_a, Tier.SPECIAL, year=last)


def _first_year(world) -> None:
    """Replace student_a by a first-year student of the same college (enrolled 2025)."""
    fresh = StudentFactory(class_group=ClassGroupFactory(college=world.college_a, enrolment_year=2025))
    world.student_a = fresh
    identify(fresh, Tier.DIFFICULT)


def _applied(*codes: str, status: str = "") -> Callable:
    def setup(world) -> None:
        identify(world.student_a, Tier.DIFFICULT)
        for code in codes:
            app = apply(world.student_a, programme(code))
            if status == "withdrawn":
                services.application_withdraw(actor=world.student_a.user, application=app)

    return setup


def _quota_used_in(college_attr: str) -> Callable:
    def setup(world) -> None:
        identify(world.student_a, Tier.DIFFICULT)
        grant = programme("national-grant")
        college = getattr(world, college_attr)
        Quota.objects.create(programme=grant, college=college, year=current_year(), places=1)
        other = world.roommate_a if college_attr == "college_a" else world.student_b
        application_in(Application.Status.COLLEGE_REVIEWED, student=other, officer=world["aidofficer"], prog=grant)

    return setup


def _closed(world) -> None:
    identify(world.student_a, Tier.DIFFICULT)
    Programme.objects.filter(code="national-grant").update(active=False)


def _temporary_received(total: str) -> Callable:
    def setup(world) -> None:
        remaining = Decimal(total)
        while remaining > 0:
            part = min(remaining, Decimal("2000"))
            other = ProgrammeFactory(
                kind=Programme.Kind.TEMPORARY,
                party="school",
                amount_mode=Programme.AmountMode.UP_TO,
                amount=Decimal("2000"),
                yearly_cap=Decimal("4000"),
                required_tier="",
            )
            apply(world.student_a, other, amount=part)
            remaining -= part

    return setup


NOT_IDENTIFIED = "needs a current identification"
ROWS = [
    # (what, setup, programme code, expected reason or None)
    ("grant with a difficult tier", _tier(Tier.DIFFICULT), "national-grant", None),
    ("grant with a general tier", _tier(Tier.GENERAL), "national-grant", None),
    ("grant without identification", _nothing, "national-grant", NOT_IDENTIFIED),
    ("grant with an identification still in review", _submitted_identification, "national-grant", NOT_IDENTIFIED),
    ("grant with last year's identification only", _last_year_only, "national-grant", NOT_IDENTIFIED),
    ("grant when identified as 'not identified'", _tier(Tier.NONE), "national-grant", NOT_IDENTIFIED),
    ("waiver needs 'especially difficult'", _tier(Tier.GENERAL), "tuition-waiver", "especially difficult or above"),
    ("waiver with 'especially difficult'", _tier(Tier.SPECIAL), "tuition-waiver", None),
    ("national scholarship needs no identification", _nothing, "national-scholarship", None),
    ("green channel needs no identification", _nothing, "green-channel", None),
    ("loan with an identification", _tier(Tier.GENERAL), "student-loan", None),
    ("encouragement in the 2nd year", _tier(Tier.DIFFICULT), "national-encouragement", None),
    ("encouragement in the 1st year", _first_year, "national-encouragement", "open from study year 2"),
    ("grant in the 1st year", _first_year, "national-grant", None),
    ("encouragement combines with the grant", _applied("national-grant"), "national-encouragement", None),
    ("grant combines with encouragement", _applied("national-encouragement"), "national-grant", None),
    (
        "encouragement not with the national scholarship",
        _applied("national-scholarship"),
        "national-encouragement",
        "cannot be combined with 国家奖学金",
    ),
    (
        "national scholarship not with encouragement",
        _applied("national-encouragement"),
        "national-scholarship",
        "cannot be combined with 国家励志奖学金",
    ),
    (
        "a withdrawn application does not exclude",
        _applied("national-encouragement", status="withdrawn"),
        "national-scholarship",
        None,
    ),
    ("one application per programme and year", _applied("national-grant"), "national-grant", "already applied"),
    (
        "withdrawn still counts as the year's application",
        _applied("national-grant", status="withdrawn"),
        "national-grant",
        "already applied",
    ),
    ("quota used up in the college", _quota_used_in("college_a"), "national-grant", "no places left"),
    ("quota of another college does not matter", _quota_used_in("college_b"), "national-grant", None),
    ("closed programme", _closed, "national-grant", "not open"),
    ("temporary hardship below the yearly cap", _temporary_received("2000"), "temporary-hardship", None),
    (
        "temporary hardship at the yearly cap",
        _temporary_received("4000"),
        "temporary-hardship",
        "this year's maximum of 4,000.00",
    ),
]


@pytest.mark.parametrize(("what", "setup", "code", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_eligibility_table(world, what, setup, code, expected):
    services.seed_programmes()
    setup(world)
    found = eligibility.check(world.student_a, Programme.objects.get(code=code), current_year())
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert expected.lower() in found[0].lower(), found


AMOUNTS = [
    ("national-grant", Tier.SPECIAL, Decimal("4500")),
    ("national-grant", Tier.DIFFICULT, Decimal("3700")),
    ("national-grant", Tier.GENERAL, Decimal("2500")),
    ("national-scholarship", Tier.GENERAL, Decimal("10000")),
    ("national-encouragement", Tier.GENERAL, Decimal("6000")),
    ("student-loan", Tier.GENERAL, Decimal("20000")),
    ("temporary-hardship", Tier.GENERAL, Decimal("2000")),
]


@pytest.mark.parametrize(("code", "tier", "amount"), AMOUNTS)
def test_amount_by_programme_and_tier(world, code, tier, amount):
    identify(world.student_a, tier)
    ctx = eligibility.context_for(world.student_a, current_year())
    assert eligibility.amount_limit(ctx, programme(code)) == amount


def test_the_national_grant_is_paid_in_tiers_around_3700(db):
    amounts = sorted(Decimal(v) for v in programme("national-grant").tier_amounts.values())
    assert amounts == [Decimal("2500"), Decimal("3700"), Decimal("4500")]


def test_temporary_hardship_room_shrinks_with_the_yearly_cap(world):
    _temporary_received("2500")(world)
    ctx = eligibility.context_for(world.student_a, current_year())
    assert eligibility.amount_limit(ctx, programme("temporary-hardship")) == Decimal("1500")
    with pytest.raises(services.DomainError, match=r"1,500\.00"):
        apply(world.student_a, programme("temporary-hardship"), amount="1600")


def test_a_fixed_amount_is_awarded_whatever_the_student_asks(world):
    identify(world.student_a, Tier.SPECIAL)
    app = apply(world.student_a, programme("national-grant"), amount="99999")
    assert app.amount == Decimal("4500.00")


def test_seeding_programmes_twice_creates_nothing_and_keeps_changes(db):
    assert services.seed_programmes() == 9
    Programme.objects.filter(code="national-scholarship").update(amount=Decimal("12000"))
    assert services.seed_programmes() == 0
    assert Programme.objects.get(code="national-scholarship").amount == Decimal("12000")
    scholarship = Programme.objects.get(code="national-scholarship")
    assert list(scholarship.excludes.values_list("code", flat=True)) == ["national-encouragement"]
