"""Home visits at scale (see portal.scale): trips of the last three years (~600 visit records at 30,000
students) with stops, planned students, expenses and follow-ups, and this year's trip of `bench_visitor`
in planning with ~20 students and their priority reasons.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from homevisits.models import Expense, FollowUp, Trip, TripStop, TripStudent, VisitRecord
from homevisits.services.candidates import priority_reasons_for
from portal.models import Role, Student
from portal.scale import ScaleSchool, bulk, money, register_scale_step, stable_uuid

PER_TRIP = 30
SUMMARIES = [
    "家庭以务农为主，父母身体尚可，学生在家承担较多家务，家长支持孩子完成学业。",
    "父亲长期在外务工，母亲照顾老人，家庭收入不稳定，已讲解国家助学金和助学贷款政策。",
    "家中有病人长期服药，开支较大，建议学院关注学生生活费情况。",
]


def _trip_students(
    rng: random.Random, by_place: dict[tuple, list[int]], size: int, *, busiest: bool = False
) -> list[tuple[tuple, list[int]]]:
    """Up to four counties of one province and `size` students from them: [(place, [student index])].
    `busiest`: the province and counties with the most students (a full trip even for a small school)."""
    totals: dict[str, int] = defaultdict(int)
    for place, students in by_place.items():
        totals[place[0]] += len(students)
    province = max(sorted(totals), key=totals.get) if busiest else rng.choice(sorted(totals))
    places = sorted(p for p in by_place if p[0] == province)
    chosen = sorted(places, key=lambda p: -len(by_place[p]))[:4] if busiest else rng.sample(places, min(4, len(places)))
    pools = {p: rng.sample(by_place[p], len(by_place[p])) for p in chosen}
    picked: dict[tuple, list[int]] = {p: [] for p in chosen}
    while sum(len(v) for v in picked.values()) < size and any(pools.values()):
        for p in chosen:
            if pools[p] and sum(len(v) for v in picked.values()) < size:
                picked[p].append(pools[p].pop())
    return [(p, picked[p]) for p in chosen if picked[p]]


@register_scale_step
def seed_trips(school: ScaleSchool) -> dict[str, int]:
    rng = school.rng("homevisits.trips")
    team = school.all_staff(Role.VISIT_TEAM)
    officer = school.all_staff(Role.AID_OFFICER)[0]
    bench = school.logins["bench_visitor"]
    enrolled = [i for i, st in enumerate(school.student_status) if st == Student.Status.ENROLLED]
    by_prefecture: dict[tuple, list[int]] = defaultdict(list)
    for i in enrolled:
        if i != school.bench_student_index:
            by_prefecture[school.student_place[i]].append(i)

    n_records = school.scaled(600, minimum=10)
    n_past = max(1, round(n_records / PER_TRIP))
    start = school.academic_year_start
    specs = []  # (year, starts, status, leader, students per place)
    for k in range(n_past):
        year = start - 2 + k * 3 // n_past
        starts = date(year + 1, 1, 10) + timedelta(days=rng.randint(0, 30)) if k % 2 else date(year, 7, 10)
        starts = min(starts, school.today - timedelta(days=30))
        specs.append(
            (starts.year, starts, Trip.Status.CLOSED, rng.choice(team), _trip_students(rng, by_prefecture, PER_TRIP))
        )
    bench_starts = school.today + timedelta(days=40)
    specs.append(
        (
            bench_starts.year,
            bench_starts,
            Trip.Status.PLANNING,
            bench,
            _trip_students(rng, by_prefecture, 20, busiest=True),
        )
    )

    trips = bulk(
        Trip,
        [
            Trip(
                year=year,
                title=f"{year}年{places[0][0][0]}家访（{'、'.join(p[1] for p, _s in places)}）",
                regions="、".join(f"{p[1]}{p[2]}" for p, _s in places),
                leader_id=leader,
                starts_on=starts,
                ends_on=starts + timedelta(days=len(places) * 2),
                budget=Decimal(8000 + 2000 * len(places)),
                briefing="出发前学习家访工作要求：尊重家庭意愿，不公开学生困难情况。",
                status=status,
                created_by_id=leader,
                created_at=school.at(starts - timedelta(days=30)),
                approved_by_id=officer if status != Trip.Status.PLANNING else None,
                approved_at=school.at(starts - timedelta(days=20)) if status != Trip.Status.PLANNING else None,
                report="家访顺利完成，详见各户记录。" if status == Trip.Status.CLOSED else "",
                report_submitted_at=school.at(starts + timedelta(days=14)) if status == Trip.Status.CLOSED else None,
            )
            for year, starts, status, leader, places in specs
        ],
    )
    members = []
    for trip, (_y, _s, _st, leader, _p) in zip(trips, specs, strict=True):
        crew = {leader, *rng.sample(team, min(2, len(team)))}
        members += [Trip.members.through(trip_id=trip.pk, user_id=uid) for uid in sorted(crew)]
    bulk(Trip.members.through, members)

    stops, planned = [], []
    for trip, (_y, starts, _st, leader, places) in zip(trips, specs, strict=True):
        for position, (place, indexes) in enumerate(places, start=1):
            stop = TripStop(
                trip=trip,
                position=position,
                province=place[0],
                prefecture=place[1],
                county=place[2],
                planned_on=starts + timedelta(days=(position - 1) * 2),
            )
            stops.append(stop)
            planned += [(trip, stop, i, leader) for i in indexes]
    bulk(TripStop, stops)
    # Priority reasons as the candidate list computes them (aid and counselling selectors): codes only.
    reasons = priority_reasons_for([school.student_ids[i] for _t, _s, i, _l in planned], first_year=start)
    bulk(
        TripStudent,
        [
            TripStudent(
                stop=stop,
                trip=trip,
                student_id=school.student_ids[i],
                reasons=reasons.get(school.student_ids[i], []),
                added_by_id=leader,
                added_at=trip.created_at + timedelta(days=1),
            )
            for trip, stop, i, leader in planned
        ],
    )

    # Records of past trips: most visited at home, a few not reached; follow-ups for one in five.
    records = []
    for trip, stop, i, leader in planned:
        if trip.status != Trip.Status.CLOSED:
            continue
        reached = rng.random() < 0.93
        records.append(
            VisitRecord(
                trip=trip,
                student_id=school.student_ids[i],
                outcome=VisitRecord.Outcome.VISITED if reached else VisitRecord.Outcome.NOT_REACHED,
                not_reached_reason="" if reached else "家长外出务工，电话未接通",
                visited_on=stop.planned_on,
                place=f"{stop.prefecture}{stop.county}",
                form=VisitRecord.Form.HOME if reached else VisitRecord.Form.PHONE,
                people_present="父亲、母亲、学生本人" if reached else "",
                interpreter_needed=school.student_minority[i] and rng.random() < 0.4,
                # The narrative fields are encrypted by the fields themselves.
                family_members="父母、祖母、弟弟" if reached else "",
                income_and_spending="年收入约三万元，主要来自务农和务工" if reached else "",
                hardship_causes="劳动力少，医疗支出大" if reached else "",
                housing="自建砖房" if reached else "",
                policies_explained="国家助学金、生源地助学贷款、勤工助学",
                gift_amount=money(rng.choice((0, 200, 500, 1000))) if reached else Decimal("0.00"),
                needs=rng.sample(
                    ["identification", "temporary_hardship", "counselling", "employment"], rng.randint(0, 2)
                ),
                summary=rng.choice(SUMMARIES) if reached else "",
                idempotency_key=stable_uuid(rng),
                created_by_id=leader,
                created_at=school.at(stop.planned_on, 20),
            )
        )
    records = bulk(VisitRecord, records)
    school.target("homevisits.visitrecord", [r.pk for r in records])
    follow_ups = bulk(
        FollowUp,
        [
            FollowUp(
                record=r,
                kind=rng.choice(
                    [FollowUp.Kind.IDENTIFICATION_REVIEW, FollowUp.Kind.TASK, FollowUp.Kind.TEMPORARY_HARDSHIP]
                ),
                title="回校后跟进家庭经济困难认定复核",
                owner_id=r.created_by_id,
                due_on=r.visited_on + timedelta(days=14),
                status=FollowUp.Status.DONE,
                created_by_id=r.created_by_id,
                created_at=r.created_at,
                done_at=school.at(r.visited_on + timedelta(days=10)),
            )
            for r in records
            if rng.random() < 0.2
        ],
    )
    expenses = bulk(
        Expense,
        [
            Expense(
                trip=trip,
                spent_on=trip.starts_on + timedelta(days=d),
                category=cat,
                amount=money(rng.randint(200, 1500)),
                created_by_id=trip.leader_id,
            )
            for trip in trips
            if trip.status == Trip.Status.CLOSED
            for d, cat in enumerate(("交通", "住宿", "餐饮"))
        ],
    )
    return {
        "homevisits.trip": len(trips),
        "homevisits.tripstop": len(stops),
        "homevisits.tripstudent": len(planned),
        "homevisits.visitrecord": len(records),
        "homevisits.followup": len(follow_ups),
        "homevisits.expense": len(expenses),
    }
