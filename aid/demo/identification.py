"""Demo data of the identification area.

What it adds:

    academic years  the current one (its window open now: from a week ago to three weeks ahead) and the
                    previous one (ended; its identifications expired)
    `student`       APPROVED, tier "difficult" (so the national grant can be demoed)
    计算机学院       an identification in every other state: draft, submitted (three in 软件2401班, waiting
                    for the class evaluation), returned, class reviewed, college reviewed, on the running
                    college notice (one of them under objection), school reviewed, on the running school
                    notice, approved, adjusted, rejected, under appeal, revoked; expired in the previous year
    软件2401班       an evaluation group with the `committee` login and four classmates (no applicants)

Rows are written directly (the notices have to lie partly in the past, which the services refuse) with a
timeline entry for each step, so the pages look as they would after a real year. Idempotent: the demo
student's identification of the current year is the marker; when it exists nothing is written.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from aid.models import (
    AcademicYear,
    Appeal,
    ClassEvaluation,
    EvaluationGroup,
    FamilyMember,
    Identification,
    IdentificationEvent,
    Notice,
    Objection,
    SpecialStatus,
    Tier,
)
from portal.demo import DemoSchool
from portal.models import Student, User

S = Identification.Status

# The path each demo state took through the state machine (the timeline shows it).
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: [S.SUBMITTED],
    S.RETURNED: [S.SUBMITTED, S.RETURNED],
    S.CLASS_REVIEWED: [S.SUBMITTED, S.CLASS_REVIEWED],
    S.COLLEGE_REVIEWED: [S.SUBMITTED, S.CLASS_REVIEWED, S.COLLEGE_REVIEWED],
    S.COLLEGE_NOTICE: [S.SUBMITTED, S.CLASS_REVIEWED, S.COLLEGE_REVIEWED, S.COLLEGE_NOTICE],
    S.OBJECTION: [S.SUBMITTED, S.CLASS_REVIEWED, S.COLLEGE_REVIEWED, S.COLLEGE_NOTICE, S.OBJECTION],
}
_TO_SCHOOL = [S.SUBMITTED, S.CLASS_REVIEWED, S.COLLEGE_REVIEWED, S.COLLEGE_NOTICE, S.SCHOOL_REVIEWED]
PATHS.update(
    {
        S.SCHOOL_REVIEWED: _TO_SCHOOL,
        S.SCHOOL_NOTICE: [*_TO_SCHOOL, S.SCHOOL_NOTICE],
        S.APPROVED: [*_TO_SCHOOL, S.SCHOOL_NOTICE, S.APPROVED],
        S.ADJUSTED: [*_TO_SCHOOL, S.SCHOOL_NOTICE, S.APPROVED, S.ADJUSTED],
        S.REVOKED: [*_TO_SCHOOL, S.SCHOOL_NOTICE, S.APPROVED, S.REVOKED],
        S.REJECTED: [*_TO_SCHOOL, S.REJECTED],
        S.APPEAL: [*_TO_SCHOOL, S.REJECTED, S.APPEAL],
        S.EXPIRED: [*_TO_SCHOOL, S.SCHOOL_NOTICE, S.APPROVED, S.EXPIRED],
    }
)

NOTES = {
    S.RETURNED: "请补充父母的务工收入情况。",
    S.REJECTED: "家庭人均收入高于本地认定标准。",
    S.ADJUSTED: "学期中父亲因病失去劳动能力，调整为特别困难。",
    S.REVOKED: "核实发现家庭情况与申报不符。",
}


def _academic_years(today: date) -> tuple[AcademicYear, AcademicYear, int]:
    start_year = today.year if today.month >= 9 else today.year - 1
    current, created = AcademicYear.objects.get_or_create(
        name=f"{start_year}-{start_year + 1}",
        defaults={
            "starts_on": date(start_year, 9, 1),
            "ends_on": date(start_year + 1, 8, 31),
            "window_opens_on": today - timedelta(days=7),
            "window_closes_on": today + timedelta(days=21),
            "is_current": not AcademicYear.objects.filter(is_current=True).exists(),
        },
    )
    previous, created_previous = AcademicYear.objects.get_or_create(
        name=f"{start_year - 1}-{start_year}",
        defaults={
            "starts_on": date(start_year - 1, 9, 1),
            "ends_on": date(start_year, 8, 31),
            "window_opens_on": date(start_year - 1, 9, 10),
            "window_closes_on": date(start_year - 1, 10, 10),
        },
    )
    return current, previous, int(created) + int(created_previous)


def _identification(
    student: Student,
    year: AcademicYear,
    status: str,
    *,
    officer: User,
    reviewer: User,
    tier: str = Tier.DIFFICULT,
    college_notice: Notice | None = None,
    school_notice: Notice | None = None,
    seq: int = 0,
) -> Identification:
    now = timezone.now()
    path = PATHS[status]
    reached = set(path)
    income = Decimal(18000 + 3000 * (seq % 7))
    identification = Identification.objects.create(
        student=student,
        year=year,
        status=status,
        household_size=3 + seq % 3,
        household_income=income,
        household_debt=Decimal(5000 * (seq % 4)),
        special_statuses=[[], [SpecialStatus.DIBAO], [SpecialStatus.ILLNESS], [SpecialStatus.REGISTERED_POOR]][seq % 4],
        statement="家里务农，父母收入不稳定，还有一个弟弟在读高中。",
        pledge_signed_at=now if reached else None,
        submitted_at=now - timedelta(days=10) if reached else None,
        class_tier=tier if S.CLASS_REVIEWED in reached else "",
        college_tier=tier if S.COLLEGE_REVIEWED in reached else "",
        tier=(
            Tier.NONE
            if status in (S.REJECTED, S.APPEAL)
            else (Tier.SPECIAL if status == S.ADJUSTED else tier)
            if S.SCHOOL_REVIEWED in reached
            else ""
        ),
        decided_at=now if reached & {S.APPROVED, S.REJECTED} else None,
        college_notice=college_notice if S.COLLEGE_NOTICE in reached else None,
        school_notice=school_notice if S.SCHOOL_NOTICE in reached else None,
    )
    FamilyMember.objects.bulk_create(
        [
            FamilyMember(
                identification=identification, relation="父亲", age=50, occupation="务农", annual_income=income * 2 / 3
            ),
            FamilyMember(
                identification=identification, relation="母亲", age=48, occupation="务农", annual_income=income / 3
            ),
        ]
    )
    previous = S.DRAFT
    IdentificationEvent.objects.create(identification=identification, actor=student.user, to_status=S.DRAFT)
    for step in path:
        actor = (
            student.user
            if step in (S.SUBMITTED, S.APPEAL)
            else None
            if step in (S.OBJECTION, S.EXPIRED)
            else (reviewer if step in (S.CLASS_REVIEWED, S.COLLEGE_REVIEWED, S.COLLEGE_NOTICE, S.RETURNED) else officer)
        )
        IdentificationEvent.objects.create(
            identification=identification, actor=actor, from_status=previous, to_status=step, note=NOTES.get(step, "")
        )
        previous = step
    return identification


def seed_identification(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    today = timezone.localdate()
    current, previous, years_created = _academic_years(today)
    student = school.students_by_login["student"]
    if Identification.objects.filter(student=student, year=current).exists():
        return {"aid.academicyear": years_created}
    officer, reviewer = school.logins["aidofficer"], school.logins["aidreviewer"]
    committee = school.logins["committee"]
    cs = school.colleges["CS"]
    logins = {u.pk for u in school.logins.values()}
    class_a = student.class_group
    classmates = [s for s in school.students if s.class_group_id == class_a.pk and s.user_id not in logins]
    others = [
        s
        for s in school.students
        if s.college_id == cs.pk and s.class_group_id != class_a.pk and s.user_id not in logins
    ]
    enrolled = [s for s in classmates + others if s.status == Student.Status.ENROLLED]

    past_college = Notice.objects.create(
        kind=Notice.Kind.COLLEGE,
        year=current,
        college=cs,
        title=f"{cs.name} {current.name} 家庭经济困难认定学院公示（第一批）",
        starts_on=today - timedelta(days=30),
        ends_on=today - timedelta(days=24),
        created_by=reviewer,
    )
    past_school = Notice.objects.create(
        kind=Notice.Kind.SCHOOL,
        year=current,
        college=cs,
        title=f"{current.name} 家庭经济困难认定学校公示（第一批 · {cs.name}）",
        starts_on=today - timedelta(days=21),
        ends_on=today - timedelta(days=12),
        created_by=officer,
    )
    college_notice = Notice.objects.create(
        kind=Notice.Kind.COLLEGE,
        year=current,
        college=cs,
        title=f"{cs.name} {current.name} 家庭经济困难认定学院公示（第二批）",
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=4),
        created_by=reviewer,
    )
    school_notice = Notice.objects.create(
        kind=Notice.Kind.SCHOOL,
        year=current,
        college=cs,
        title=f"{current.name} 家庭经济困难认定学校公示（第二批 · {cs.name}）",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=9),
        created_by=officer,
    )
    created = {"aid.notice": 4}
    idents: list[Identification] = []

    def make(st: Student, status: str, **kw) -> Identification:
        notices = {
            "college_notice": college_notice if status in (S.COLLEGE_NOTICE, S.OBJECTION) else past_college,
            "school_notice": school_notice if status == S.SCHOOL_NOTICE else past_school,
        }
        ident = _identification(
            st, kw.pop("year", current), status, officer=officer, reviewer=reviewer, seq=len(idents), **notices, **kw
        )
        idents.append(ident)
        return ident

    make(student, S.APPROVED, tier=Tier.DIFFICULT)
    # 软件2401班: three waiting for the class evaluation, others further on; four stay out to evaluate.
    evaluators = [s for s in classmates if s.status == Student.Status.ENROLLED][:4]
    applicants = [s for s in enrolled if s not in evaluators]
    plan = [
        S.SUBMITTED,
        S.SUBMITTED,
        S.SUBMITTED,
        S.DRAFT,
        S.RETURNED,
        S.CLASS_REVIEWED,
        S.COLLEGE_REVIEWED,
        S.COLLEGE_NOTICE,
        S.COLLEGE_NOTICE,
        S.OBJECTION,
        S.SCHOOL_REVIEWED,
        S.SCHOOL_NOTICE,
        S.SCHOOL_NOTICE,
        S.APPROVED,
        S.ADJUSTED,
        S.REJECTED,
        S.APPEAL,
        S.REVOKED,
    ]
    tiers = [Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL]
    for n, (st, status) in enumerate(zip(applicants, plan, strict=False)):
        ident = make(st, status, tier=tiers[n % 3])
        if status == S.OBJECTION:
            Objection.objects.create(
                identification=ident,
                notice=college_notice,
                lodged_by=committee,
                reason="据我了解，该同学家里去年新买了车，请核实。",
            )
            created["aid.objection"] = 1
        if status == S.APPEAL:
            Appeal.objects.create(
                identification=ident,
                reason="家里今年遭受洪灾，房屋受损，材料已补充。",
                answer_due_on=today + timedelta(days=14),
            )
            created["aid.appeal"] = 1
        if status == S.CLASS_REVIEWED:
            ClassEvaluation.objects.create(
                identification=ident, member=committee, suggested_tier=ident.class_tier, reason="家庭情况属实。"
            )
    expired_student = applicants[len(plan)] if len(applicants) > len(plan) else applicants[-1]
    make(expired_student, S.EXPIRED, year=previous, tier=Tier.GENERAL)

    group = EvaluationGroup.objects.create(class_group=class_a, year=current, set_by=reviewer)
    group.members.set([committee, *(s.user for s in evaluators)])
    created.update(
        {
            "aid.academicyear": years_created,
            "aid.identification": len(idents),
            "aid.evaluationgroup": 1,
        }
    )
    if stdout is not None:
        stdout.write(f"aid identification: {len(idents)} identifications, 4 notices\n")
    return created
