"""Demo data of home visits: a past Xinjiang trip (喀什, 阿图什, 乌鲁木齐) with the demo `visitor` as a member,
and a planned trip to an old revolutionary area (红安/大悟). Idempotent: trips are keyed on their title.

Two steps, in this order (`STEPS`, at the end): the trips, then visit records and follow-ups of `past_trip()`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from homevisits.models import Expense, Trip, TripStop, TripStudent
from portal.demo import DemoSchool
from portal.models import Student, User

PAST_TRIP_TITLE = "新疆家访团（喀什、阿图什、乌鲁木齐）"
PLANNED_TRIP_TITLE = "红安、大悟老区家访"


def past_trip() -> Trip | None:
    """The demo's past Xinjiang trip (None before seeding)."""
    return Trip.objects.filter(title=PAST_TRIP_TITLE).first()


def _stops(trip: Trip, places: list[tuple[str, str, str, date]]) -> int:
    created = 0
    for i, (province, prefecture, county, day) in enumerate(places, start=1):
        _stop, made = TripStop.objects.get_or_create(
            trip=trip,
            position=i,
            defaults={"province": province, "prefecture": prefecture, "county": county, "planned_on": day},
        )
        created += int(made)
    return created


def _plan_students(trip: Trip, actor: User, limit_per_stop: int = 3) -> int:
    created = 0
    for stop in trip.stops.order_by("position"):
        qs = Student.objects.filter(hometown_province=stop.province)
        if stop.prefecture:
            qs = qs.filter(hometown_prefecture=stop.prefecture)
        if stop.county:
            qs = qs.filter(hometown_county=stop.county)
        for student in qs.order_by("student_no")[:limit_per_stop]:
            _ts, made = TripStudent.objects.get_or_create(
                trip=trip, student=student, defaults={"stop": stop, "added_by": actor}
            )
            created += int(made)
    return created


def seed_homevisit_trips(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    officer = school.logins["aidofficer"]
    visitor = school.logins["visitor"]
    today = date.today()
    counts = {"homevisits.trip": 0, "homevisits.stop": 0, "homevisits.planned": 0, "homevisits.expense": 0}
    start = date(today.year if today.month > 8 else today.year - 1, 7, 10)
    past, made = Trip.objects.get_or_create(
        title=PAST_TRIP_TITLE,
        defaults={
            "year": start.year,
            "regions": "新疆 喀什、阿图什、乌鲁木齐",
            "leader": officer,
            "starts_on": start,
            "ends_on": start + timedelta(days=6),
            "budget": Decimal("30000.00"),
            "briefing": "尊重当地风俗；每户走访前电话确认；携带资助政策宣传册（维汉双语）。",
            "status": Trip.Status.REPORTING,
            "created_by": officer,
            "approved_by": officer,
        },
    )
    counts["homevisits.trip"] += int(made)
    if made:
        past.members.add(visitor)
    xj = "新疆维吾尔自治区"
    counts["homevisits.stop"] += _stops(
        past,
        [
            (xj, "喀什地区", "", start + timedelta(days=1)),
            (xj, "克孜勒苏柯尔克孜自治州", "阿图什市", start + timedelta(days=3)),
            (xj, "乌鲁木齐市", "", start + timedelta(days=5)),
        ],
    )
    counts["homevisits.planned"] += _plan_students(past, officer)
    if made:
        for day, cat, amount in ((0, "交通", "8600.00"), (1, "住宿", "3200.00"), (3, "慰问品", "4000.00")):
            Expense.objects.create(
                trip=past,
                spent_on=start + timedelta(days=day),
                category=cat,
                amount=Decimal(amount),
                created_by=officer,
            )
            counts["homevisits.expense"] += 1
    nxt = today + timedelta(days=30)
    planned, made = Trip.objects.get_or_create(
        title=PLANNED_TRIP_TITLE,
        defaults={
            "year": nxt.year,
            "regions": "湖北 老区：红安县、大悟县",
            "leader": visitor,
            "starts_on": nxt,
            "ends_on": nxt + timedelta(days=2),
            "budget": Decimal("6000.00"),
            "status": Trip.Status.PLANNING,
            "created_by": officer,
        },
    )
    counts["homevisits.trip"] += int(made)
    counts["homevisits.stop"] += _stops(
        planned,
        [("湖北省", "黄冈市", "红安县", nxt), ("湖北省", "孝感市", "大悟县", nxt + timedelta(days=1))],
    )
    counts["homevisits.planned"] += _plan_students(planned, visitor, limit_per_stop=2)
    return counts


def seed_homevisit_records(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    """Records for most students of the past Xinjiang trip (one not reached), with two follow-ups.

    Written through the services, as a team member would in the field; keyed on fixed idempotency keys
    so a second run adds nothing.
    """
    import uuid

    from homevisits.models import FollowUp, TripStudent
    from homevisits.services.records import follow_up_add, visit_record_create

    trip = past_trip()
    counts = {"homevisits.record": 0, "homevisits.follow_up": 0}
    if trip is None:
        return counts
    visitor = school.logins["visitor"]
    planned = list(TripStudent.objects.filter(trip=trip).select_related("stop", "student").order_by("pk"))
    for index, trip_student in enumerate(planned):
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"nuanxin-demo-visit-{trip.pk}-{trip_student.student_id}")
        reached = index != 1
        data = {
            "outcome": "visited" if reached else "not_reached",
            "not_reached_reason": "" if reached else "家长外出务工，电话未接通；已请村委会转告。",
            "visited_on": trip_student.stop.planned_on,
            "place": str(trip_student.stop),
            "form": "home",
            "people_present": "母亲、祖父" if reached else "",
            "interpreter_needed": index % 2 == 0,
            "family_members": "父亲在外务工，母亲务农，弟弟读初中。" if reached else "",
            "income_and_spending": "年收入约两万元，主要支出为弟弟学费和祖父医药费。" if reached else "",
            "hardship_causes": "祖父患病，家庭劳动力不足。" if reached else "",
            "housing": "自建平房，较旧。" if reached else "",
            "role_at_home": "假期帮助照顾祖父和弟弟。" if reached else "",
            "policies_explained": "国家助学金、生源地信用助学贷款、勤工助学" if reached else "",
            "aid_received": "去年获国家助学金。" if reached else "",
            "parents_views": "希望孩子安心学习，关心毕业后就业。" if reached else "",
            "gift_amount": "500.00" if reached else "0",
            "gift_note": "慰问品（米、油）" if reached else "",
            "needs": ["financial", "employment"] if reached else [],
            "summary": "家庭困难属实，学生懂事，建议继续资助并关注就业。" if reached else "",
        }
        _, made = visit_record_create(actor=visitor, trip_student=trip_student, data=data, idempotency_key=key)
        counts["homevisits.record"] += int(made)
    first = trip.records.filter(outcome="visited").order_by("pk").first()
    if first is not None and not FollowUp.objects.filter(record=first).exists():
        due = date.today() + timedelta(days=7)
        follow_up_add(
            actor=visitor,
            record=first,
            kind=FollowUp.Kind.TASK,
            title="寄送就业指导资料",
            note="",
            owner=visitor,
            due_on=due,
        )
        follow_up_add(
            actor=visitor,
            record=first,
            kind=FollowUp.Kind.COUNSELLING_REFERRAL,
            title="请学院心理辅导站关心学生的压力",
            note="学生担心家庭负担，情绪较低落，建议辅导员约谈。",
            owner=school.logins["counselor"],
            due_on=due,
        )
        counts["homevisits.follow_up"] += 2
    return counts


STEPS = (seed_homevisit_trips, seed_homevisit_records)
