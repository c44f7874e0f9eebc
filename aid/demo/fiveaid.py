"""Demo data of five-aid cases (五助帮扶档案), after the identification and funds steps (aid/demo/__init__.py).

For the identified students of the current year: their five-aid cases, a plan in each aid and entries for the
first few (the `student` login's own case first, so "your support plan" has content), and one psychological
referral (through counselling's service). Written through the services. Idempotent: everything is looked up
before it is written, and a year without identified students is left alone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from aid.models import HARDSHIP_TIERS, IDENTIFIED_STATUSES, AcademicYear, FiveAidCase, FiveAidEntry, Identification
from aid.services import fiveaid as services
from portal.demo import DemoSchool

NAMESPACE = uuid.UUID("2d0f6a52-8a3e-4a0b-9d7e-5b1f3c9e7a41")
DEMO_CASES = 6
PLANS = {
    "money": "国家助学金按档资助；关注学费缓交手续。",
    "employment": "参加学院就业指导课，推荐校企合作单位实习。",
    "psychological": "学期初谈心谈话，必要时转介心理辅导站。",
    "growth": "安排学业导师，参加朋辈互助小组。",
    "self_help": "安排校内勤工助学岗位，每周不超过8小时。",
}
ENTRIES = [
    ("employment", "coaching", "简历与面试辅导"),
    ("employment", "job_referral", "推荐至武汉某软件公司实习"),
    ("growth", "mentor", "学业导师：王老师，每月见面一次"),
    ("growth", "training", "参加“励志成长”训练营"),
]


def demo_cases(school: DemoSchool, year: AcademicYear) -> list[FiveAidCase]:
    """The cases the demo fills in: the `student` login's own first (if identified), then by 学号."""
    demo_student = school.students_by_login.get("student")
    all_cases = FiveAidCase.objects.filter(identification__year=year).select_related(
        "student__user", "identification__year"
    )
    cases = list(all_cases.filter(student=demo_student)) if demo_student else []
    cases += list(all_cases.exclude(pk__in=[c.pk for c in cases]).order_by("student__student_no"))
    return cases[:DEMO_CASES]


def seed_fiveaid(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    created = {"aid.fiveaidcase": 0, "aid.fiveaidentry": 0, "aid.fiveaid_referral": 0}
    officer = school.logins.get("aidofficer")
    year = AcademicYear.objects.filter(is_current=True).first()
    if officer is None or year is None:
        return {}
    identified = Identification.objects.filter(year=year, status__in=IDENTIFIED_STATUSES, tier__in=HARDSHIP_TIERS)
    if not identified.exists():
        return {}
    if identified.filter(five_aid_case__isnull=True).exists():
        created["aid.fiveaidcase"] = services.fiveaid_open_for_year(actor=officer, year=year)
    cases = demo_cases(school, year)
    today = timezone.localdate()
    for index, case in enumerate(cases):
        if not case.plan:
            for aid, text in PLANS.items():
                services.fiveaid_plan_set(actor=officer, case=case, aid=aid, text=text)
        if not FiveAidEntry.objects.filter(case=case).exists():
            for offset, (aid, kind, title) in enumerate(ENTRIES[: 2 + index % 3]):
                services.fiveaid_entry_add(
                    actor=officer,
                    case=case,
                    aid=aid,
                    kind=kind,
                    title=title,
                    on=today - timedelta(days=10 + offset * 7),
                )
                created["aid.fiveaidentry"] += 1
    if len(cases) > 1 and cases[1].psych_referral_report_id is None:
        services.fiveaid_refer(
            actor=officer,
            case=cases[1],
            note="学生近期情绪低落，多次提到家里压力大，请辅导站关心。",
            idempotency_key=uuid.uuid5(NAMESPACE, f"referral:{cases[1].pk}"),
        )
        created["aid.fiveaid_referral"] = 1
    if stdout is not None and any(created.values()):
        stdout.write(f"five-aid: {sum(created.values())} rows created\n")
    return {k: v for k, v in created.items() if v}
