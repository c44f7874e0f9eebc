"""Demo data of work-study (勤工助学), after the five-aid step (aid/demo/__init__.py): its students are the
first demo five-aid cases' (self-help is one of the five aids).

Two posts (one supervised by the `aidofficer` login, so the demo can sign hours off), three of those students
applying, two placed with last month's hours: one month signed off, one waiting. Written through the services;
only the placement date is moved back so last month's hours may be entered. Idempotent: everything is looked
up before it is written, and a year without five-aid cases is left alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from aid.demo.fiveaid import demo_cases
from aid.models import AcademicYear, Timesheet, WorkStudyPlacement, WorkStudyPost
from aid.services import workstudy as services
from portal.demo import DemoSchool
from portal.kernel.dates import month_start, shift_month


def seed_workstudy(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    created = {"aid.workstudypost": 0, "aid.workstudyplacement": 0, "aid.timesheet": 0}
    officer = school.logins.get("aidofficer")
    year = AcademicYear.objects.filter(is_current=True).first()
    if officer is None or year is None:
        return {}
    cases = demo_cases(school, year)
    if not cases:
        return {}
    head = school.staff_by_login.get("aidreviewer")
    post_specs = [
        ("学生资助管理中心", "资助中心办公助理", "fixed", Decimal("56.00"), 40, 2, officer),
        ("图书馆", "图书整理（临时）", "temporary", Decimal("15.00"), 20, 4, head.user if head else officer),
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
    last_month = shift_month(month_start(timezone.localdate()), -1)
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
            WorkStudyPlacement.objects.filter(pk=placement.pk).update(decided_at=timezone.now() - timedelta(days=62))
            placement.refresh_from_db()
        if placement.status != WorkStudyPlacement.Status.PLACED:
            continue
        if not Timesheet.objects.filter(placement=placement, month=last_month).exists():
            weeks = services.weeks_of_month(last_month)[1:3]
            timesheet = services.timesheet_save(
                actor=student.user,
                placement=placement,
                month=last_month,
                weekly_hours={w: Decimal("6") if index == 0 else Decimal("4.5") for w in weeks},
                submit=True,
            )
            created["aid.timesheet"] += 1
            if index == 0:
                services.timesheet_sign_off(actor=post.supervisor, timesheet=timesheet)
    if stdout is not None and any(created.values()):
        stdout.write(f"work-study: {sum(created.values())} rows created\n")
    return {k: v for k, v in created.items() if v}
