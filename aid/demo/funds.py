"""Demo data of the funds area: the standard programmes, funds of all four parties, quotas, applications in
several states (some waiting in `aidreviewer`'s queue) and a paid payment batch.

Idempotent: programmes by code, funds by (name, year), quotas by (programme, college, year); applications
are created and moved along only when the student has none for that programme and year, and the batch only
together with the payments it pays. The demo `student` gets nothing here: applying for the national grant is
left for whoever tries the demo (it needs their identification, which the identification step seeds).

The demo applicants are the last students of three second-year classes; they get an approved
identification of this year when they have none (the identification step keys its own on other students).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from aid.models import AcademicYear, Application, BankAccount, Fund, Identification, Party, Programme, Quota, Tier
from aid.services import funds as services
from portal.demo import DemoSchool
from portal.models import Student

FUNDS = [
    (
        "中央财政学生资助资金",
        Party.STATE,
        "财政部 教育部",
        "国家奖助学金、助学贷款，按文件专款专用",
        Decimal("3000000"),
    ),
    ("学校学生资助专项经费", Party.SCHOOL, "", "从事业收入中按比例提取", Decimal("800000")),
    ("长江科技助学基金", Party.SOCIETY, "湖北长江科技有限公司", "资助家庭经济困难且品学兼优的学生", Decimal("100000")),
    ("勤工助学专项经费", Party.SELF_HELP, "", "勤工助学岗位酬金", Decimal("300000")),
]
QUOTAS = {"national-grant": 40, "national-encouragement": 6, "national-scholarship": 1}
TIERS = [Tier.SPECIAL, Tier.DIFFICULT, Tier.GENERAL]
# class, how many of its last students apply
APPLICANT_CLASSES = [("大数据2301班", 9), ("数控2301班", 3), ("电商2301班", 3)]


def current_year() -> tuple[AcademicYear, bool]:
    """The current academic year, or a new one starting on the last 1 September. Its identification window is
    open on the day the demo is seeded (a week ago to three weeks ahead, as aid/demo/identification.py says),
    so a newcomer can apply whatever the date."""
    year = AcademicYear.objects.filter(is_current=True).first()
    if year is not None:
        return year, False
    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    return AcademicYear.objects.get_or_create(
        name=f"{start}-{start + 1}",
        defaults={
            "starts_on": date(start, 9, 1),
            "ends_on": date(start + 1, 8, 31),
            "window_opens_on": today - timedelta(days=7),
            "window_closes_on": today + timedelta(days=21),
            "is_current": True,
        },
    )


def _applicants(school: DemoSchool) -> list[Student]:
    found = []
    for class_name, n in APPLICANT_CLASSES:
        class_group = school.classes.get(class_name)
        if class_group is None:
            continue
        enrolled = [
            s for s in school.students if s.class_group_id == class_group.pk and s.status == Student.Status.ENROLLED
        ]
        found.extend(enrolled[-n:])
    return found


def seed_funds(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    created: Counter[str] = Counter()
    officer = school.logins["aidofficer"]
    year, new = current_year()
    created["aid.academicyear"] += int(new)
    created["aid.programme"] += services.seed_programmes()
    programmes = {p.code: p for p in Programme.objects.all()}

    funds: dict[str, Fund] = {}
    for name, party, donor, restrictions, budget in FUNDS:
        fund, new = Fund.objects.get_or_create(
            name=name,
            year=year,
            defaults={"party": party, "donor": donor, "restrictions": restrictions, "budget": budget},
        )
        funds[party] = fund
        created["aid.fund"] += int(new)
    for code, places in QUOTAS.items():
        for college in school.colleges.values():
            _quota, new = Quota.objects.get_or_create(
                programme=programmes[code], college=college, year=year, defaults={"places": places}
            )
            created["aid.quota"] += int(new)

    applicants = _applicants(school)
    for i, student in enumerate(applicants):
        _identification, new = Identification.objects.get_or_create(
            student=student,
            year=year,
            defaults={
                "status": Identification.Status.APPROVED,
                "tier": TIERS[i % len(TIERS)],
                "household_size": 4 + i % 3,
                "submitted_at": timezone.now() - timedelta(days=30),
                "decided_at": timezone.now() - timedelta(days=10),
            },
        )
        created["aid.identification"] += int(new)

    cs = [s for s in applicants if s.college.code == "CS"]
    others = [s for s in applicants if s.college.code != "CS"]
    # (student, programme code, the state it is moved to, requested amount for "up to" programmes)
    plan: list[tuple[Student, str, str, Decimal | None]] = []
    cs_states = [
        Application.Status.SUBMITTED,
        Application.Status.SUBMITTED,
        Application.Status.COLLEGE_REVIEWED,
        Application.Status.NOTICE,
        Application.Status.APPROVED,
        Application.Status.COMMITTED,
        Application.Status.PAYING,
        Application.Status.PAID,
        Application.Status.PAID,
    ]
    for student, state in zip(cs, cs_states, strict=False):
        plan.append((student, "national-grant", state, None))
    if cs:
        plan.append((cs[2], "national-encouragement", Application.Status.SUBMITTED, None))
        plan.append((cs[0], "temporary-hardship", Application.Status.SUBMITTED, Decimal("1500")))
    other_states = [
        Application.Status.REJECTED,
        Application.Status.WITHDRAWN,
        Application.Status.RETURNED,
        Application.Status.SUBMITTED,
        Application.Status.APPROVED,
        Application.Status.SUBMITTED,
    ]
    for student, state in zip(others, other_states, strict=False):
        plan.append((student, "national-grant", state, None))

    to_batch = []
    for student, code, state, amount in plan:
        programme = programmes[code]
        if Application.objects.filter(student=student, programme=programme, year=year).exists():
            continue
        application = services.application_apply(
            actor=student.user,
            student=student,
            programme=programme,
            year=year,
            statement="家里今年收入减少，父亲务农，母亲身体不好，希望申请资助以完成学业。",
            amount=amount,
        )
        created["aid.application"] += 1
        payments = _advance(application, state, officer=officer, fund=funds[programme.party])
        if state == Application.Status.PAID:
            _bank_account(student)
            to_batch.extend(payments)
    if to_batch:
        batch = services.batch_create(
            actor=officer, name=f"{year.name} 国家助学金 第一批", payment_ids=[p.pk for p in to_batch]
        )
        services.batch_mark_paid(actor=officer, batch=batch)
        created["aid.paymentbatch"] += 1
    if stdout is not None:
        stdout.write(f"aid funds: {sum(created.values())} rows created\n")
    return dict(created)


def _advance(application: Application, state: str, *, officer, fund: Fund) -> list:
    """Move a fresh (submitted) application along the pipeline to `state` through the services."""
    S = Application.Status
    if state == S.SUBMITTED:
        return []
    if state == S.WITHDRAWN:
        services.application_withdraw(actor=application.student.user, application=application)
        return []
    if state == S.RETURNED:
        # An aid officer: the demo's reviewer reviews CS only, and the returned application is of another college.
        services.application_return(actor=officer, application=application, note="请补充家庭收入变化的说明。")
        return []
    if state == S.REJECTED:
        services.application_reject(actor=officer, application=application, note="本学年名额已满，且认定等级不符。")
        return []
    services.application_college_approve(actor=officer, application=application)
    if state == S.COLLEGE_REVIEWED:
        return []
    services.application_publish_notice(actor=officer, application=application)
    if state == S.NOTICE:
        return []
    services.application_school_approve(actor=officer, application=application)
    if state == S.APPROVED:
        return []
    services.application_commit(actor=officer, application=application, fund=fund)
    if state == S.COMMITTED:
        return []
    return services.application_schedule_payments(
        actor=officer,
        application=application,
        first_due_on=timezone.localdate(),
        installments=1 if state == S.PAID else 2,
    )


def _bank_account(student: Student) -> None:
    if not BankAccount.objects.filter(student=student).exists():
        number = f"621700{student.student_no[-8:].rjust(8, '0')}{student.pk % 100:02d}"
        services.bank_account_save(actor=student.user, student=student, bank="中国建设银行", card_number=number)
