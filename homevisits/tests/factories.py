"""Shared factories of home visits (trips; the records tests use them too)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from homevisits.models import Trip, TripStop, TripStudent
from portal.models import Student, User
from portal.tests.factories import UserFactory


class TripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trip
        skip_postgeneration_save = True

    year = factory.LazyFunction(lambda: date.today().year)
    title = factory.Sequence(lambda n: f"家访团 {n}")
    regions = "湖北 黄冈"
    leader = factory.SubFactory(UserFactory)
    starts_on = factory.LazyFunction(lambda: date.today() + timedelta(days=20))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + timedelta(days=4))
    budget = Decimal("10000.00")
    created_by = factory.SelfAttribute("leader")

    @factory.post_generation
    def members(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class TripStopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TripStop

    trip = factory.SubFactory(TripFactory)
    position = factory.Sequence(lambda n: n + 1)
    province = "湖北省"
    prefecture = "黄冈市"
    county = ""
    planned_on = factory.LazyAttribute(lambda o: o.trip.starts_on)


def plan(
    trip: Trip, student: Student, *, stop: TripStop | None = None, reasons: list[str] | None = None
) -> TripStudent:
    """Plan `student` on `trip` (at its first stop, made when missing)."""
    stop = stop or trip.stops.order_by("position").first() or TripStopFactory(trip=trip, position=1)
    return TripStudent.objects.create(
        trip=trip, stop=stop, student=student, reasons=reasons or [], added_by=trip.leader
    )
