"""Demo data of the support area: five-aid cases, work-study, hidden aid (each in its own section)."""


# --- Hidden aid (隐形资助) -------------------------------------------------------------------------------
# Last month's canteen data for every demo student and that month's batch under review. Five students
# (never the demo `student`, whose page should stay quiet) eat often and spend little, so the rule picks
# them; everyone else spends above the threshold. Idempotent: the month's import and batch are created
# only when missing, through the same services an officer uses.

import random as _random
from datetime import timedelta as _timedelta
from decimal import Decimal as _Decimal
from typing import TextIO as _TextIO

from django.utils import timezone as _timezone

from portal.demo import DemoSchool as _DemoSchool
from portal.demo import register_step as _register_step

_HIDDEN_AID_SEED = 20260115
_HIDDEN_AID_PICKED = 5


@_register_step
def seed_hidden_aid(school: _DemoSchool, *, stdout: _TextIO | None = None) -> dict[str, int]:
    from aid.canteen import canteen_import
    from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate
    from aid.services.hiddenaid import hiddenaid_batch_evaluate

    officer = school.logins.get("aidofficer")
    if officer is None or not school.students:
        return {}
    month = (_timezone.localdate().replace(day=1) - _timedelta(days=1)).replace(day=1)
    created = {"aid.canteenrecord": 0, "aid.hiddenaidbatch": 0, "aid.hiddenaidcandidate": 0}
    if not CanteenImport.objects.filter(month=month).exists():
        rng = _random.Random(_HIDDEN_AID_SEED)
        demo_student = school.students_by_login.get("student")
        pool = [s for s in school.students if demo_student is None or s.pk != demo_student.pk]
        picked = {s.pk for s in rng.sample(pool, min(_HIDDEN_AID_PICKED, len(pool)))}
        lines = ["学号,月份,用餐次数,消费金额"]
        for student in school.students:
            if student.pk in picked:
                meals, spend = rng.randint(62, 80), _Decimal(rng.randint(18000, 27000)) / 100
            else:  # above both thresholds (350 / 300 yuan), however often they eat
                meals, spend = rng.randint(20, 85), _Decimal(rng.randint(36000, 70000)) / 100
            lines.append(f"{student.student_no},{month:%Y-%m},{meals},{spend:.2f}")
        result = canteen_import(actor=officer, data="\n".join(lines).encode(), filename="demo-canteen.csv")
        if result.errors:  # a demo that cannot import its own file is a bug: say so loudly
            raise RuntimeError(f"demo canteen import failed: {result.errors[:3]}")
        created["aid.canteenrecord"] = CanteenRecord.objects.filter(month=month).count()
    if not HiddenAidBatch.objects.filter(month=month).exists():
        batch, _written = hiddenaid_batch_evaluate(actor=officer, month=month)
        created["aid.hiddenaidbatch"] = 1
        created["aid.hiddenaidcandidate"] = HiddenAidCandidate.objects.filter(batch=batch).count()
    if stdout is not None and any(created.values()):
        stdout.write(f"hidden aid: canteen data and a batch under review for {month:%Y-%m}\n")
    return created


# --- Five-aid and work-study ------------------------------------------------------------------------------
# Runs after the identification and funds steps (modules are imported in that order). For the identified
# students of the current year: their five-aid cases, a plan and entries in each aid for the first few,
# one psychological referral (through counselling's service), two work-study posts (one supervised by the
# `aidofficer` login, so the demo can sign hours off) with placements and last month's hours, one signed
# off and one waiting. Written through the services; only the placement date is moved back a month so
# last month's hours may be entered. Idempotent: everything is looked up before it is written, and a
# year without identified students is left alone.

import uuid as _uuid  # noqa: E402
from datetime import timedelta as _td  # noqa: E402
from decimal import Decimal as _D  # noqa: E402

from portal.demo import register_step as _register  # noqa: E402

_FIVEAID_NAMESPACE = _uuid.UUID("2d0f6a52-8a3e-4a0b-9d7e-5b1f3c9e7a41")
_FIVEAID_DEMO_CASES = 6
_PLANS = {
    "money": "国家助学金按档资助；关注学费缓交手续。",
    "employment": "参加学院就业指导课，推荐校企合作单位实习。",
    "psychological": "学期初谈心谈话，必要时转介心理辅导站。",
    "growth": "安排学业导师，参加朋辈互助小组。",
    "self_help": "安排校内勤工助学岗位，每周不超过8小时。",
}
_ENTRIES = [
    ("employment", "coaching", "简历与面试辅导"),
    ("employment", "job_referral", "推荐至武汉某软件公司实习"),
    ("growth", "mentor", "学业导师：王老师，每月见面一次"),
    ("growth", "training", "参加“励志成长”训练营"),
]


@_register
def seed_fiveaid_and_workstudy(school: "_DemoSchool", *, stdout: "_TextIO | None" = None) -> dict[str, int]:
    from django.utils import timezone

    from aid import services
    from aid.models import (
        AcademicYear,
        FiveAidCase,
        FiveAidEntry,
        Identification,
        Timesheet,
        WorkStudyPlacement,
        WorkStudyPost,
    )
    from aid.services.support import FIVEAID_IDENTIFIED_STATUSES, FIVEAID_IDENTIFIED_TIERS

    created = {"aid.fiveaidcase": 0, "aid.fiveaidentry": 0, "aid.workstudypost": 0}
    created.update({"aid.workstudyplacement": 0, "aid.timesheet": 0, "aid.fiveaid_referral": 0})
    officer = school.logins.get("aidofficer")
    year = AcademicYear.objects.filter(is_current=True).first()
    if officer is None or year is None:
        return {}
    identified = Identification.objects.filter(
        year=year, status__in=FIVEAID_IDENTIFIED_STATUSES, tier__in=FIVEAID_IDENTIFIED_TIERS
    )
    if not identified.exists():
        return {}
    if identified.filter(five_aid_case__isnull=True).exists():
        created["aid.fiveaidcase"] = services.fiveaid_open_for_year(actor=officer, year=year)
    # The `student` login's own plan first (if they are identified), so "your support plan" has content.
    demo_student = school.students_by_login.get("student")
    all_cases = FiveAidCase.objects.filter(identification__year=year).select_related(
        "student__user", "identification__year"
    )
    cases = list(all_cases.filter(student=demo_student)) if demo_student else []
    cases += list(all_cases.exclude(pk__in=[c.pk for c in cases]).order_by("student__student_no"))
    cases = cases[:_FIVEAID_DEMO_CASES]
    today = timezone.localdate()
    for index, case in enumerate(cases):
        if not case.plan:
            for aid, text in _PLANS.items():
                services.fiveaid_plan_set(actor=officer, case=case, aid=aid, text=text)
        if not FiveAidEntry.objects.filter(case=case).exists():
            for offset, (aid, kind, title) in enumerate(_ENTRIES[: 2 + index % 3]):
                services.fiveaid_entry_add(
                    actor=officer, case=case, aid=aid, kind=kind, title=title, on=today - _td(days=10 + offset * 7)
                )
                created["aid.fiveaidentry"] += 1
    if len(cases) > 1 and cases[1].psych_referral_report_id is None:
        services.fiveaid_refer(
            actor=officer,
            case=cases[1],
            note="学生近期情绪低落，多次提到家里压力大，请辅导站关心。",
            idempotency_key=_uuid.uuid5(_FIVEAID_NAMESPACE, f"referral:{cases[1].pk}"),
        )
        created["aid.fiveaid_referral"] = 1

    head = school.staff_by_login.get("aidreviewer")
    post_specs = [
        ("学生资助管理中心", "资助中心办公助理", "fixed", _D("56.00"), 40, 2, officer),
        ("图书馆", "图书整理（临时）", "temporary", _D("15.00"), 20, 4, head.user if head else officer),
    ]
    posts = []
    for unit, title, kind, rate, hours, openings, supervisor in post_specs:
        post = WorkStudyPost.objects.filter(year=year, unit=unit, title=title).first()
        if post is None:
            post = services.workstudy_post_save(
                actor=officer,
                post=None,
                year=year,
                unit=unit,
                title=title,
                kind=kind,
                hourly_rate=rate,
                hours_per_month=hours,
                openings=openings,
                supervisor=supervisor,
            )
            created["aid.workstudypost"] += 1
        posts.append(post)
    last_month = (today.replace(day=1) - _td(days=1)).replace(day=1)
    placed_students = [c.student for c in cases[:3]]
    for index, student in enumerate(placed_students):
        post = posts[0] if index < 2 else posts[1]
        placement = WorkStudyPlacement.objects.filter(post=post, student=student).first()
        if placement is None:
            placement, _new = services.workstudy_apply(actor=student.user, post=post)
            created["aid.workstudyplacement"] += 1
        if placement.status == WorkStudyPlacement.Status.APPLIED and index < 2:
            services.workstudy_decide(actor=officer, placement=placement, decision="place")
            # The demo needs last month's hours: the placement began two months ago.
            WorkStudyPlacement.objects.filter(pk=placement.pk).update(decided_at=timezone.now() - _td(days=62))
            placement.refresh_from_db()
        if placement.status != WorkStudyPlacement.Status.PLACED:
            continue
        if not Timesheet.objects.filter(placement=placement, month=last_month).exists():
            weeks = services.weeks_of_month(last_month)[1:3]
            timesheet = services.timesheet_save(
                actor=student.user,
                placement=placement,
                month=last_month,
                weekly_hours={w: _D("6") if index == 0 else _D("4.5") for w in weeks},
                submit=True,
            )
            created["aid.timesheet"] += 1
            if index == 0:
                services.timesheet_sign_off(actor=post.supervisor, timesheet=timesheet)
    if stdout is not None and any(created.values()):
        stdout.write(f"five-aid and work-study: {sum(created.values())} rows created\n")
    return {k: v for k, v in created.items() if v}
