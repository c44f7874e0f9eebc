"""Counselling at scale (see portal.scale): three years of crisis cases with their reports and timelines,
appointments (~2 per student over three years), freshman screening campaigns, monthly zero reports.

Invariants kept: one open case per student; one live booking per slot; at most one future booking per
student; slots unique per counsellor and start; timelines only appended (COPY inserts).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta

from counseling.models import (
    Assessment,
    Booking,
    Case,
    CaseEvent,
    InterventionAction,
    Mode,
    Relation,
    Report,
    ScreeningCampaign,
    ScreeningResult,
    SessionNote,
    Sign,
    Slot,
    ZeroReport,
)
from portal.kernel.dates import month_start, shift_month
from portal.models import Role, Student
from portal.scale import ScaleSchool, bulk, copy_rows, encrypt, register_scale_step, reserve_ids, stable_uuid

ACK_LIMITS = {1: timedelta(hours=72), 2: timedelta(hours=24), 3: timedelta(hours=2), 4: timedelta(minutes=30)}
LEVEL_WEIGHTS = [(1, 45), (2, 35), (3, 15), (4, 5)]
NARRATIVES = [
    "最近一个月经常失眠，上课注意力不集中，几次在宿舍里哭，说觉得什么都没意思。",
    "室友说他这两周几乎不出宿舍，饭也很少吃，问他也不愿意说话。",
    "期末考试挂了三门，很担心拿不到毕业证，跟家里人吵了一架。",
    "家里父亲生病住院，她说学费和生活费都成问题，情绪很低落。",
    "在朋友圈发了一些让人担心的话，说活着很累。",
    "和室友发生冲突后一直情绪激动，晚上不回宿舍。",
    "失恋后状态很差，喝酒比以前多，课也经常不来。",
    "自己最近压力很大，心里很慌，想找老师聊一聊。",
]
CASE_NOTES = [
    "已与学生面谈，约定下周再次见面。",
    "已联系班主任了解情况，室友会多关心。",
    "学生情绪较前稳定，继续跟踪。",
    "已电话联系家长，家长表示配合。",
]
SESSION_NOTES = ["来访者讨论了学业压力与睡眠问题，约定练习放松训练。", "本次聚焦人际关系，来访者情绪有所缓解。"]
BOOKING_REASONS = ["学习压力", "人际关系", "情绪低落", "睡眠问题", "适应问题", "家庭问题", ""]
BOOKING_COLUMNS = [
    "id",
    "slot_id",
    "student_id",
    "status",
    "source",
    "reason",
    "first_visit",
    "preferred_gender",
    "consent_at",
    "created_at",
    "cancelled_at",
]
SLOT_HOURS = (9, 10, 11, 14, 15, 16)
PHQ9_BANDS = [(4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe")]
GAD7_BANDS = [(4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")]


def _band(total: int, bands: list[tuple[int, str]]) -> str:
    return next(name for top, name in bands if total <= top)


def _weighted_level(rng: random.Random) -> int:
    return rng.choices([lv for lv, _w in LEVEL_WEIGHTS], weights=[w for _lv, w in LEVEL_WEIGHTS])[0]


@register_scale_step
def seed_cases(school: ScaleSchool) -> dict[str, int]:
    """~6,000 reports (×students/30,000) in ~4,600 cases over three years, with timelines and assessments."""
    rng = school.rng("counseling.cases")
    n_reports = school.scaled(6_000, minimum=20)
    n_cases = round(n_reports / 1.3)
    now = school.at(school.today, 12)
    college_station = {cid: school.staff_of(Role.STATION_COUNSELLOR, cid) for cid in {c.pk for c in school.colleges}}
    centre = school.all_staff(Role.CENTRE_COUNSELLOR)
    assessors = school.all_staff(Role.ASSESSOR)
    enrolled = [i for i, st in enumerate(school.student_status) if st == Student.Status.ENROLLED]
    bench_college = school.colleges[0].pk
    college_one = [i for i in enrolled if school.student_college[i] == bench_college]
    open_students: set[int] = {school.bench_student_index}  # the bench student demos booking, not a case

    # Plan the cases oldest first; a case older than ~10 weeks is closed, newer ones are spread over the states.
    n_recent = max(6, round(n_cases * 0.03))
    plans = []
    for k in range(n_cases):
        # The last 3 % are this week's cases; college 1 gets its share of them, so the bench queue is never empty.
        recent = k >= n_cases - n_recent
        if recent:
            created = now - timedelta(minutes=rng.randint(10, 7 * 24 * 60))
        else:
            created = school.random_moment(rng, school.history_start, school.today - timedelta(days=8))
        level = _weighted_level(rng)
        age = now - created
        if age > timedelta(days=70) or (age > timedelta(days=21) and rng.random() < 0.6):
            status = Case.Status.CLOSED
        elif created + ACK_LIMITS[level] > now or (recent and rng.random() < 0.3):
            status = Case.Status.NEW
        else:
            status = rng.choice(
                [Case.Status.ACKNOWLEDGED, Case.Status.MONITORING, Case.Status.MONITORING]
                + ([Case.Status.ASSESSING, Case.Status.INTERVENING] if level >= 3 else [])
            )
        index = None
        if rng.random() > 0.02:  # 2 %: unmatched reports, in the centre's queue
            for _try in range(20):
                candidate = rng.choice(enrolled)
                if recent and k % 2 == 0:
                    candidate = rng.choice(college_one)
                if status == Case.Status.CLOSED or candidate not in open_students:
                    index = candidate
                    break
            if index is None:
                status = Case.Status.CLOSED
                index = rng.choice(enrolled)
            if status != Case.Status.CLOSED:
                open_students.add(index)
        plans.append((created, level, status, index))
    open_students.discard(school.bench_student_index)

    cases = []
    for created, level, status, index in plans:
        college_id = school.student_college[index] if index is not None else None
        owners = college_station.get(college_id) or centre
        owner = rng.choice(owners) if status != Case.Status.NEW else None
        acknowledged = created + ACK_LIMITS[level] * rng.uniform(0.1, 0.9) if status != Case.Status.NEW else None
        closed = None
        if status == Case.Status.CLOSED:
            closed = min(created + timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 8)), now)
        touchpoint = None
        if status in (Case.Status.ACKNOWLEDGED, Case.Status.ASSESSING, Case.Status.INTERVENING, Case.Status.MONITORING):
            touchpoint = school.today + timedelta(days=rng.randint(-3, 14))
        cases.append(
            Case(
                student_id=school.student_ids[index] if index is not None else None,
                college_id=college_id,
                status=status,
                level=level,
                self_harm_level=level if status != Case.Status.NEW else None,
                others_harm_level=1 if status != Case.Status.NEW else None,
                owner_id=owner,
                created_at=created,
                ack_due_at=created + ACK_LIMITS[level],
                acknowledged_at=acknowledged,
                next_touchpoint=touchpoint,
                closed_at=closed,
                close_reason=rng.choice(list(Case.CloseReason.values)[:4]) if closed else "",
                # Old cases were escalated at the time; the beat must not send alerts about them again.
                escalation_stage=0 if status == Case.Status.NEW else 2,
            )
        )
    cases = bulk(Case, cases)
    school.target("counseling.case", [c.pk for c in cases])
    school.shared["open_case_students"] = {school.student_ids[i] for i in open_students}

    # Reports: one per case, plus a second or third for ~30 % of cases.
    reporters_pool = school.liaison_user_ids + list(school.committee_by_class.values())
    reports = []
    for case, (_created, _level, _status, index) in zip(cases, plans, strict=True):
        extra = 0 if len(reports) + 1 >= n_reports else rng.choices((0, 1, 2), weights=(75, 20, 5))[0]
        for r in range(1 + extra):
            at = case.created_at + timedelta(hours=r * rng.randint(4, 72))
            relation = rng.choice(list(Relation.values))
            anonymous = rng.random() < 0.05
            if relation == Relation.SELF and index is not None:
                reporter = school.student_user_ids[index]
            elif relation == Relation.STAFF:
                reporter = rng.choice(centre + college_station.get(case.college_id, []))
            else:
                reporter = rng.choice(reporters_pool)
            reports.append(
                Report(
                    case=case,
                    reporter_id=None if anonymous else reporter,
                    anonymous=anonymous,
                    receipt_hash=hashlib.sha256(f"{rng.getrandbits(64)}".encode()).hexdigest() if anonymous else None,
                    relation=relation,
                    subject_given="" if index is not None else "经管学院一位女生，名字不清楚",
                    signs=rng.sample(list(Sign.values), rng.randint(1, 3)),
                    narrative=rng.choice(NARRATIVES),  # encrypted by the field
                    in_danger=case.level == 4 and rng.random() < 0.3,
                    idempotency_key=stable_uuid(rng),
                    created_at=min(at, school.at(school.today, 12)),
                )
            )
    bulk(Report, reports)

    # Assessments and intervention plans of level ≥ 3 cases that got that far.
    assessments, actions, assessor_links = [], [], []
    for case in cases:
        if case.level < 3 or case.status in (Case.Status.NEW, Case.Status.ACKNOWLEDGED):
            continue
        who = rng.choice(assessors)
        assessor_links.append((case.pk, who))
        assessments.append(
            Assessment(
                case=case,
                assessor_id=who,
                created_at=case.acknowledged_at + timedelta(hours=rng.randint(2, 48)),
                risk_factors="睡眠差，社会支持少",
                protective_factors="与母亲关系好，愿意求助",
                conclusion=rng.choice(list(Assessment.Conclusion.values)),
            )
        )
        for kind in rng.sample([InterventionAction.Kind.GUARDIAN, InterventionAction.Kind.COMPANION, "interview"], 2):
            done = case.status == Case.Status.CLOSED or rng.random() < 0.5
            actions.append(
                InterventionAction(
                    case=case,
                    kind=kind,
                    owner_id=case.owner_id,
                    due_date=(case.acknowledged_at + timedelta(days=rng.randint(1, 7))).date(),
                    status=InterventionAction.Status.DONE if done else InterventionAction.Status.OPEN,
                    created_by_id=who,
                    created_at=case.acknowledged_at + timedelta(hours=3),
                    done_at=case.acknowledged_at + timedelta(days=2) if done else None,
                )
            )
    bulk(Assessment, assessments)
    bulk(InterventionAction, actions)
    copy_rows(Case.assessors.through, ["case_id", "user_id"], assessor_links)

    # The timeline (COPY): created, one entry per report joining, acknowledged, level, owner, status changes,
    # touchpoints and notes, closing.
    path = {
        Case.Status.NEW: [],
        Case.Status.ACKNOWLEDGED: [],
        Case.Status.MONITORING: ["monitoring"],
        Case.Status.ASSESSING: ["assessing"],
        Case.Status.INTERVENING: ["assessing", "intervening"],
        Case.Status.CLOSED: ["monitoring", "closed"],
    }
    reports_per_case: dict[int, int] = {}
    for report in reports:
        reports_per_case[report.case_id] = reports_per_case.get(report.case_id, 0) + 1

    def events():
        for case in cases:
            yield (case.pk, case.created_at, None, CaseEvent.Kind.CREATED, "", {"level": case.level})
            for r in range(1, reports_per_case[case.pk]):
                yield (case.pk, case.created_at + timedelta(hours=r * 6), None, CaseEvent.Kind.REPORT, "", {})
            if case.acknowledged_at is None:
                continue
            at = case.acknowledged_at
            yield (case.pk, at, case.owner_id, CaseEvent.Kind.ACKNOWLEDGED, "", {})
            yield (case.pk, at, case.owner_id, CaseEvent.Kind.LEVEL, "", {"level": case.level})
            yield (case.pk, at, case.owner_id, CaseEvent.Kind.OWNER, "", {"owner": case.owner_id})
            previous = "acknowledged"
            for step, to in enumerate(path[case.status]):
                at = at + timedelta(days=1 + step)
                if case.closed_at is not None and to == "closed":
                    at = max(case.closed_at, at)
                note = encrypt(rng.choice(CASE_NOTES)) if rng.random() < 0.5 else ""
                yield (case.pk, at, case.owner_id, CaseEvent.Kind.NOTE, note, {}) if note else None
                yield (case.pk, at, case.owner_id, CaseEvent.Kind.STATUS, "", {"from": previous, "to": to})
                previous = to
            if case.next_touchpoint:
                data = {"date": case.next_touchpoint.isoformat()}
                yield (case.pk, at, case.owner_id, CaseEvent.Kind.TOUCHPOINT, "", data)

    n_events = copy_rows(
        CaseEvent, ["case_id", "at", "actor_id", "kind", "note", "data"], (e for e in events() if e is not None)
    )
    return {
        "counseling.case": len(cases),
        "counseling.report": len(reports),
        "counseling.caseevent": n_events,
        "counseling.assessment": len(assessments),
        "counseling.interventionaction": len(actions),
    }


@register_scale_step
def seed_appointments(school: ScaleSchool) -> dict[str, int]:
    """~60,000 bookings (×students/30,000) over three years and open slots for the next 14 days."""
    rng = school.rng("counseling.appointments")
    n_bookings = school.scaled(60_000, minimum=50)
    counsellors = school.all_staff(Role.CENTRE_COUNSELLOR) + school.all_staff(Role.STATION_COUNSELLOR)
    now = school.at(school.today, 12)
    enrolled = [i for i, st in enumerate(school.student_status) if st == Student.Status.ENROLLED]

    # Working days of the history, and of the next two weeks.
    days_past = [
        school.history_start + timedelta(days=d)
        for d in range((school.today - school.history_start).days)
        if (school.history_start + timedelta(days=d)).weekday() < 5
    ]
    days_future = [school.today + timedelta(days=d) for d in range(1, 15)]
    days_future = [d for d in days_future if d.weekday() < 5]

    taken: set[tuple[int, datetime]] = set()
    slots: list[tuple] = []  # (counsellor, starts, mode)

    def new_slot(day: date) -> tuple[int, datetime, str] | None:
        for _try in range(10):
            counsellor = rng.choice(counsellors)
            starts = school.at(day, rng.choice(SLOT_HOURS))
            if (counsellor, starts) not in taken:
                taken.add((counsellor, starts))
                return (counsellor, starts, Mode.ONLINE if rng.random() < 0.15 else Mode.ROOM)
        return None

    n_future_slots = max(len(counsellors) * len(days_future) * 3, 20)
    n_future_booked = min(n_future_slots // 2, len(enrolled) // 4, max(n_bookings // 40, 5))
    n_past = n_bookings - n_future_booked
    past = [s for s in (new_slot(rng.choice(days_past)) for _ in range(n_past)) if s]
    future = [s for s in (new_slot(rng.choice(days_future)) for _ in range(n_future_slots)) if s]
    past.sort(key=lambda s: s[1])
    future.sort(key=lambda s: s[1])
    slots = past + future
    slot_ids = reserve_ids(Slot, len(slots))

    # Past bookings: one per past slot; future bookings: distinct students, the bench student first.
    others = [i for i in enrolled if i != school.bench_student_index]
    future_students = [school.bench_student_index, *rng.sample(others, n_future_booked - 1)]
    bookings = []  # (slot index, student index, status, source, created)
    slot_status = ["booked"] * len(past) + ["open"] * len(future)
    for k, (_counsellor, starts, _mode) in enumerate(past):
        roll = rng.random()
        if starts > now - timedelta(days=2) and roll < 0.5:
            status = Booking.Status.AWAITING_OUTCOME
        elif roll < 0.82:
            status = Booking.Status.ATTENDED
        elif roll < 0.88:
            status = Booking.Status.NO_SHOW
        elif roll < 0.92:
            status = Booking.Status.LATE_CANCELLED
        else:
            status = Booking.Status.CANCELLED
            slot_status[k] = "open"
        bookings.append((k, rng.choice(enrolled), status, starts - timedelta(days=rng.randint(1, 10))))
    for j, student_index in enumerate(future_students):
        k = len(past) + j * (len(future) // max(len(future_students), 1))
        slot_status[k] = "booked"
        bookings.append((k, student_index, Booking.Status.CONFIRMED, now - timedelta(days=rng.randint(0, 5))))

    copy_rows(
        Slot,
        ["id", "counsellor_id", "starts_at", "ends_at", "mode", "location", "status"],
        (
            (sid, c, starts, starts + timedelta(minutes=50), mode, "心理中心 203" if mode == Mode.ROOM else "", st)
            for sid, (c, starts, mode), st in zip(slot_ids, slots, slot_status, strict=True)
        ),
    )
    booking_ids = reserve_ids(Booking, len(bookings))
    reasons = {r: encrypt(r) for r in BOOKING_REASONS if r}
    copy_rows(
        Booking,
        BOOKING_COLUMNS,
        (
            (
                bid,
                slot_ids[k],
                school.student_ids[i],
                status,
                Booking.Source.STUDENT,
                reasons.get(rng.choice(BOOKING_REASONS), ""),
                rng.random() < 0.4,
                "",
                created,
                created,
                created + timedelta(hours=1) if status in ("cancelled", "late_cancelled") else None,
            )
            for bid, (k, i, status, created) in zip(booking_ids, bookings, strict=True)
        ),
    )
    school.target("counseling.booking", booking_ids)
    school.shared["bench_booking"] = booking_ids[len(past)]

    # Session notes for one attended session in ten, written by the counsellor.
    notes = [encrypt(n) for n in SESSION_NOTES]
    n_notes = copy_rows(
        SessionNote,
        ["booking_id", "author_id", "body", "created_at", "updated_at", "status", "signed_at"],
        (
            (bid, slots[k][0], rng.choice(notes), *[slots[k][1] + timedelta(hours=1)] * 2, "signed", slots[k][1])
            for bid, (k, _i, status, _c) in zip(booking_ids, bookings, strict=True)
            if status == Booking.Status.ATTENDED and rng.random() < 0.1
        ),
    )
    return {"counseling.slot": len(slots), "counseling.booking": len(bookings), "counseling.sessionnote": n_notes}


@register_scale_step
def seed_screening(school: ScaleSchool) -> dict[str, int]:
    """A freshman campaign per cohort (PHQ-9 and GAD-7, ~90 % complete), and self-screenings."""
    rng = school.rng("counseling.screening")
    creator = school.all_staff(Role.CENTRE_COUNSELLOR)[0]
    campaigns = []
    for year in sorted(set(school.student_year)):
        opens = date(year, 9, 15)
        campaigns.append(
            ScreeningCampaign(
                title=f"{year}级新生心理普查",
                enrolment_year=year,
                opens_on=opens,
                closes_on=opens + timedelta(days=30),
                instruments=["phq9", "gad7"],
                created_by_id=creator,
                created_at=school.at(opens - timedelta(days=7)),
            )
        )
    campaigns = bulk(ScreeningCampaign, campaigns)
    by_year = {c.enrolment_year: c for c in campaigns}

    def answers(n: int) -> list[int]:
        return [min(3, max(0, round(rng.gauss(0.6, 0.8)))) for _ in range(n)]

    def rows():
        for i, sid in enumerate(school.student_ids):
            campaign = by_year[school.student_year[i]]
            moments = []
            if campaign.opens_on <= school.today and (rng.random() < 0.9 or i == school.bench_student_index):
                day = campaign.opens_on + timedelta(days=rng.randint(0, 20))
                moments.append((campaign.pk, school.at(min(day, school.today), rng.randint(8, 21))))
            if rng.random() < 0.08 or (i == school.bench_student_index and not moments):
                moments.append((None, school.random_moment(rng, school.history_start, school.today)))
            for campaign_id, at in moments:
                for instrument, items, bands in (("phq9", 9, PHQ9_BANDS), ("gad7", 7, GAD7_BANDS)):
                    a = answers(items)
                    yield (sid, instrument, a, sum(a), _band(sum(a), bands), campaign_id, at, stable_uuid(rng))

    n = copy_rows(
        ScreeningResult,
        ["student_id", "instrument", "answers", "total", "band", "campaign_id", "completed_at", "idempotency_key"],
        rows(),
    )
    school.target("counseling.screeningresult", ScreeningResult.objects.values_list("id", flat=True))
    return {"counseling.screeningcampaign": len(campaigns), "counseling.screeningresult": n}


@register_scale_step
def seed_zero_reports(school: ScaleSchool) -> dict[str, int]:
    """零报告: every class's committee member files each month since the class enrolled (a few months missed)."""
    rng = school.rng("counseling.zero")
    this_month = month_start(school.today)
    concern = encrypt("班里有同学最近情绪不太好，已请辅导员留意。")

    def rows():
        for class_group in school.classes:
            member = school.committee_by_class.get(class_group.pk)
            if member is None:
                continue
            month = max(date(class_group.enrolment_year, 10, 1), shift_month(this_month, -35))
            while month < this_month:
                if rng.random() < 0.95:
                    nothing = rng.random() < 0.9
                    filed = school.at(month + timedelta(days=rng.randint(0, 9)), rng.randint(8, 21))
                    yield (class_group.pk, month, member, filed, nothing, "" if nothing else concern)
                month = shift_month(month, 1)

    n = copy_rows(
        ZeroReport, ["class_group_id", "month", "filed_by_id", "filed_at", "nothing_to_report", "note"], rows()
    )
    return {"counseling.zeroreport": n}
