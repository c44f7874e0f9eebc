"""Financial aid at scale (see portal.scale): three academic years of identifications (~9,000), applications
(~20,000) with payments (~40,000) charged to funds that are never overdrawn, five-aid cases, a year of canteen
data (one row per student and month: ~360,000) for hidden aid.

Invariants kept: one identification per student and year; one application per student, programme and year;
amounts positive; each fund's budget covers its commitments; one canteen row per student and month.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from aid.models import (
    AcademicYear,
    Application,
    ApplicationEvent,
    BankAccount,
    CanteenImport,
    CanteenRecord,
    FamilyMember,
    FiveAidCase,
    Fund,
    Identification,
    IdentificationEvent,
    LedgerEntry,
    Party,
    Payment,
    Programme,
    Quota,
    Tier,
)
from aid.services.funds import seed_programmes
from portal.kernel.dates import month_start, shift_month
from portal.models import Gender, Role, Student
from portal.scale import ScaleSchool, bulk, copy_rows, money, register_scale_step, reserve_ids

FUNDS = [
    ("中央财政学生资助资金", Party.STATE, "财政部 教育部"),
    ("学校学生资助专项经费", Party.SCHOOL, ""),
    ("长江科技助学基金", Party.SOCIETY, "湖北长江科技有限公司"),
]
FUND_OF_PARTY = {Party.STATE: 0, Party.SCHOOL: 1, Party.SOCIETY: 2}
# Identification path of a finished year, and where this year's stand.
PAST_PATH = ["submitted", "class_reviewed", "college_reviewed", "college_notice", "school_reviewed", "school_notice"]
CURRENT_STATES = [
    ("submitted", 10),
    ("class_reviewed", 10),
    ("college_reviewed", 10),
    ("college_notice", 5),
    ("approved", 60),
    ("rejected", 5),
]
TIER_WEIGHTS = [(Tier.SPECIAL, 25), (Tier.DIFFICULT, 40), (Tier.GENERAL, 35)]
STATEMENTS = [
    "父亲常年在外务工收入不稳定，母亲身体不好，家里还有弟弟在读初中。",
    "家中是建档立卡户，靠种地为生，去年因病欠下一些债务。",
    "父母离异，跟随奶奶生活，奶奶靠低保维持生活。",
    "家里遭遇洪灾，房屋受损，今年收入大幅减少。",
]
BANKS = ["中国农业银行", "中国建设银行", "湖北农信", "中国邮政储蓄银行"]


def _years(school: ScaleSchool) -> list[AcademicYear]:
    start = school.academic_year_start
    return bulk(
        AcademicYear,
        [
            AcademicYear(
                name=f"{y}-{y + 1}",
                starts_on=date(y, 9, 1),
                ends_on=date(y + 1, 8, 31),
                window_opens_on=date(y, 9, 1),
                window_closes_on=date(y, 10, 15),
                is_current=y == start,
            )
            for y in (start - 2, start - 1, start)
        ],
    )


@register_scale_step
def seed_identifications(school: ScaleSchool) -> dict[str, int]:
    """~3,000 identifications a year (×students/30,000), a student's tier mostly kept from year to year."""
    rng = school.rng("aid.identification")
    years = _years(school)
    school.shared["aid_years"] = years
    per_year = school.scaled(3_000, minimum=10)
    reviewers = {c.pk: school.staff_of(Role.AID_REVIEWER, c.pk) for c in school.colleges}
    officers = school.all_staff(Role.AID_OFFICER)
    enrolled = [i for i, st in enumerate(school.student_status) if st == Student.Status.ENROLLED]
    # Applicants lean to students from Xinjiang and the rural counties; the bench student is one of them.
    pool = [i for i in enrolled if school.student_minority[i] or rng.random() < 0.25]
    applicants = [school.bench_student_index] + [
        i for i in rng.sample(pool, min(len(pool), per_year * 3)) if i != school.bench_student_index
    ]
    tier_of = {
        i: rng.choices([t for t, _w in TIER_WEIGHTS], weights=[w for _t, w in TIER_WEIGHTS])[0] for i in applicants
    }

    plans = []  # (year index, student index, status, tier)
    for y, year in enumerate(years):
        current = year.is_current
        eligible = [i for i in applicants if school.student_year[i] <= year.starts_on.year]
        chosen = eligible[:1] + rng.sample(eligible[1:], min(per_year - 1, len(eligible) - 1))
        for i in chosen:
            if current:
                status = rng.choices([s for s, _w in CURRENT_STATES], weights=[w for _s, w in CURRENT_STATES])[0]
                if i == school.bench_student_index:
                    status = "approved"
            else:
                status = "expired" if rng.random() < 0.9 else "rejected"
            plans.append((y, i, status, tier_of[i]))

    latest = school.at(school.today, 8) - timedelta(days=35)  # decided a month after submission, by today
    idents = []
    for y, i, status, tier in plans:
        year = years[y]
        submitted = school.at(year.window_opens_on + timedelta(days=rng.randint(0, 40)), rng.randint(8, 21))
        submitted = min(submitted, latest)
        decided = status in ("approved", "expired", "rejected")
        idents.append(
            Identification(
                student_id=school.student_ids[i],
                year=year,
                status=status,
                household_size=rng.randint(3, 7),
                household_income=money(rng.randint(8_000, 60_000)),
                household_debt=money(rng.choice((0, 0, 5_000, 20_000, 50_000))),
                special_statuses=rng.sample(["registered_poor", "dibao", "disability", "illness"], rng.randint(0, 2)),
                statement=rng.choice(STATEMENTS),  # encrypted by the field
                pledge_signed_at=submitted,
                class_tier=tier if status != "submitted" else "",
                college_tier=tier if status not in ("submitted", "class_reviewed") else "",
                tier=(tier if status in ("approved", "expired") else Tier.NONE) if decided else "",
                submitted_at=submitted,
                decided_at=submitted + timedelta(days=30) if decided else None,
                created_at=submitted - timedelta(days=1),
            )
        )
    idents = bulk(Identification, idents)
    school.target("aid.identification", [x.pk for x in idents])
    school.shared["identifications"] = [(x.pk, p[0], p[1], x.status, p[3]) for x, p in zip(idents, plans, strict=True)]

    def events():
        for ident, (_y, i, status, _tier) in zip(idents, plans, strict=True):
            reviewer = (reviewers.get(school.student_college[i]) or officers)[0]
            at = ident.submitted_at
            yield (ident.pk, at, school.student_user_ids[i], "draft", "submitted", "")
            path = (
                PAST_PATH if status in ("approved", "expired", "rejected") else PAST_PATH[: PAST_PATH.index(status) + 1]
            )
            for a, b in pairwise(path):
                at = at + timedelta(days=rng.randint(1, 5))
                yield (ident.pk, at, reviewer if "college" in b or "class" in b else rng.choice(officers), a, b, "")
            if status in ("approved", "expired", "rejected"):
                final = "rejected" if status == "rejected" else "approved"
                yield (ident.pk, at + timedelta(days=6), rng.choice(officers), path[-1], final, "")
                if status == "expired":
                    yield (ident.pk, school.at(ident.year.ends_on, 23), None, "approved", "expired", "")

    n_events = copy_rows(
        IdentificationEvent, ["identification_id", "at", "actor_id", "from_status", "to_status", "note"], events()
    )
    n_family = copy_rows(
        FamilyMember,
        ["identification_id", "relation", "age", "occupation", "annual_income"],
        (
            (
                ident.pk,
                relation,
                rng.randint(35, 75),
                rng.choice(("务农", "务工", "无业", "个体")),
                money(rng.randint(0, 30_000)),
            )
            for ident in idents
            for relation in rng.sample(["父亲", "母亲", "祖父", "祖母", "弟弟", "妹妹"], rng.randint(2, 4))
        ),
    )
    # Five-aid cases for the especially difficult of this year.
    cases = [
        FiveAidCase(
            student_id=school.student_ids[i],
            identification_id=pk,
            opened_at=school.at(years[y].starts_on + timedelta(days=60)),
        )
        for pk, y, i, status, tier in school.shared["identifications"]
        if years[y].is_current and status == "approved" and tier == Tier.SPECIAL
    ]
    bulk(FiveAidCase, cases)
    return {
        "aid.academicyear": len(years),
        "aid.identification": len(idents),
        "aid.identificationevent": n_events,
        "aid.familymember": n_family,
        "aid.fiveaidcase": len(cases),
    }


@register_scale_step
def seed_applications(school: ScaleSchool) -> dict[str, int]:
    """~20,000 applications (×students/30,000) over three years with their payments and the fund ledger."""
    rng = school.rng("aid.applications")
    seed_programmes()
    programmes = {p.code: p for p in Programme.objects.all()}
    years: list[AcademicYear] = school.shared["aid_years"]
    officers = school.all_staff(Role.AID_OFFICER)
    target = school.scaled(20_000, minimum=20)

    # Funds per year; budgets are set once the commitments are known (never overdrawn).
    funds = bulk(
        Fund,
        [
            Fund(name=name, party=party, donor=donor, year=year, budget=Decimal("1"))
            for year in years
            for name, party, donor in FUNDS
        ],
    )
    fund_of = {(f.year_id, f.party): f for f in funds}
    quotas = [
        Quota(programme=programmes[code], college=c, year=y, places=school.scaled(places, minimum=1))
        for y in years
        for c in school.colleges
        for code, places in (("national-grant", 250), ("national-encouragement", 40), ("national-scholarship", 3))
    ]
    bulk(Quota, quotas)

    # Who applies for what: the identified apply for grants (and some for more); others for scholarships.
    idents = school.shared["identifications"]
    plans = []  # (year index, student index, programme code, tier or None)
    seen = set()
    for _pk, y, i, status, tier in idents:
        if status not in ("approved", "expired"):
            continue
        for code in (
            "national-grant",
            "school-grant",
            "national-encouragement",
            "tuition-waiver",
            "temporary-hardship",
        ):
            if code != "national-grant" and rng.random() > 0.45:
                continue
            if code == "tuition-waiver" and tier != Tier.SPECIAL:
                continue
            if (y, i, code) not in seen:
                seen.add((y, i, code))
                plans.append((y, i, code, tier))
    enrolled = [i for i, st in enumerate(school.student_status) if st == Student.Status.ENROLLED]
    while len(plans) < target:
        y, i = rng.randrange(len(years)), rng.choice(enrolled)
        code = rng.choice(("national-scholarship", "enterprise-scholarship", "green-channel", "temporary-hardship"))
        if (y, i, code) not in seen:
            seen.add((y, i, code))
            plans.append((y, i, code, None))
    plans = plans[:target] if len(plans) > target * 1.2 else plans
    if not any(i == school.bench_student_index for _y, i, _c, _t in plans):
        plans.append((len(years) - 1, school.bench_student_index, "national-grant", Tier.SPECIAL))

    latest = school.at(school.today, 8) - timedelta(days=35)
    apps = []
    for y, i, code, tier in plans:
        programme, year = programmes[code], years[y]
        if programme.amount_mode == Programme.AmountMode.BY_TIER:
            amount = Decimal(programme.tier_amounts[tier or Tier.GENERAL])
        elif programme.amount_mode == Programme.AmountMode.FIXED:
            amount = programme.amount
        else:
            amount = money(rng.randint(5, int(programme.amount) // 100) * 100)
        if year.is_current:
            status = rng.choice(
                ["submitted", "college_reviewed", "notice", "approved", "committed", "paying", "paying"]
            )
            if i == school.bench_student_index:
                status = "submitted"
        else:
            status = "paid" if rng.random() < 0.9 else "rejected"
        submitted = school.at(year.starts_on + timedelta(days=rng.randint(45, 75)), rng.randint(8, 21))
        submitted = min(submitted, latest)
        apps.append(
            Application(
                student_id=school.student_ids[i],
                programme=programme,
                year=year,
                status=status,
                amount=amount,
                fund=fund_of[(year.pk, programme.party)] if status in ("committed", "paying", "paid") else None,
                created_at=submitted - timedelta(days=1),
                submitted_at=submitted,
                decided_at=submitted + timedelta(days=30)
                if status not in ("submitted", "college_reviewed", "notice")
                else None,
            )
        )
    apps = bulk(Application, apps)
    school.target("aid.application", [a.pk for a in apps])

    steps = ["draft", "submitted", "college_reviewed", "notice", "approved", "committed", "paying", "paid"]

    def events():
        for a in apps:
            path = steps[: steps.index(a.status) + 1] if a.status in steps else ["draft", "submitted", "rejected"]
            at = a.submitted_at
            for frm, to in pairwise(path):
                yield (a.pk, at, rng.choice(officers), frm, to, "")
                at += timedelta(days=rng.randint(1, 6))

    n_events = copy_rows(
        ApplicationEvent, ["application_id", "at", "actor_id", "from_status", "to_status", "note"], events()
    )

    # Payments: the award split into its installments (grants in 4 instalments a year, the rest in 1–2).
    payments = []  # (application, student, fund, amount, due, status, paid_at)
    committed: dict[int, Decimal] = defaultdict(Decimal)
    for a in apps:
        if a.status not in ("committed", "paying", "paid"):
            continue
        committed[a.fund_id] += a.amount
        n = 4 if a.programme.kind == Programme.Kind.GRANT else (2 if a.amount >= 5000 else 1)
        share = (a.amount / n).quantize(Decimal("0.01"))
        for k in range(n):
            amount = a.amount - share * (n - 1) if k == n - 1 else share
            due = (a.decided_at + timedelta(days=30 + 60 * k)).date()
            paid = a.status == "paid" or (a.status == "paying" and due <= school.today)
            payments.append(
                (
                    a.pk,
                    a.student_id,
                    a.fund_id,
                    amount,
                    due,
                    "paid" if paid else "scheduled",
                    school.at(due, 10) if paid else None,
                )
            )
    payment_ids = reserve_ids(Payment, len(payments))
    copy_rows(
        Payment,
        ["id", "application_id", "student_id", "fund_id", "amount", "due_on", "status", "paid_at"],
        ((pid, *p) for pid, p in zip(payment_ids, payments, strict=True)),
    )
    school.target("aid.payment", payment_ids)
    n_ledger = copy_rows(
        LedgerEntry,
        ["fund_id", "kind", "amount", "application_id", "payment_id", "created_by_id", "created_at"],
        [
            (a.fund_id, "commitment", a.amount, a.pk, None, officers[0], a.decided_at)
            for a in apps
            if a.status in ("committed", "paying", "paid")
        ]
        + [
            (fund, "payment", amount, app_id, pid, officers[0], paid_at)
            for pid, (app_id, _s, fund, amount, _due, status, paid_at) in zip(payment_ids, payments, strict=True)
            if status == "paid"
        ],
    )
    # Budgets: what was committed plus 20 % headroom, so no fund is overdrawn and new awards still fit.
    for fund in funds:
        fund.budget = (committed[fund.pk] * Decimal("1.2")).quantize(Decimal("1")) + Decimal("100000")
    Fund.objects.bulk_update(funds, ["budget"])

    # Bank accounts of everyone who was paid.
    recipients = sorted({p[1] for p in payments})
    accounts = bulk(
        BankAccount,
        [
            BankAccount(
                student_id=sid,
                bank=rng.choice(BANKS),
                card_number=f"6228{sid:015d}",  # encrypted by the field
                card_masked=f"{'*' * 15}{sid % 10000:04d}",
            )
            for sid in recipients
        ],
    )
    return {
        "aid.fund": len(funds),
        "aid.quota": len(quotas),
        "aid.application": len(apps),
        "aid.applicationevent": n_events,
        "aid.payment": len(payments),
        "aid.ledgerentry": n_ledger,
        "aid.bankaccount": len(accounts),
    }


@register_scale_step
def seed_canteen(school: ScaleSchool) -> dict[str, int]:
    """Twelve months of canteen-card data, one row per student and month (~360,000 rows at 30,000)."""
    rng = school.rng("aid.canteen")
    officer = school.all_staff(Role.AID_OFFICER)[0]
    this_month = month_start(school.today)
    months = [shift_month(this_month, -k) for k in range(12, 0, -1)]
    imports = bulk(
        CanteenImport,
        [
            CanteenImport(
                month=m,
                filename=f"canteen-{m:%Y-%m}.xlsx",
                rows=school.students,
                imported_by_id=officer,
                imported_at=school.at(shift_month(m, 1) + timedelta(days=2)),
            )
            for m in months
        ],
    )
    school.target("aid.canteenimport", [i.pk for i in imports])
    # A student's habits are stable: a few eat cheaply almost every day (the hidden-aid candidates).
    thrifty = [rng.random() < 0.06 for _ in school.student_ids]

    def rows():
        for imp in imports:
            for i, sid in enumerate(school.student_ids):
                meals = rng.randint(60, 85) if thrifty[i] else rng.randint(15, 80)
                per_meal = rng.uniform(4.5, 6.5) if thrifty[i] else rng.uniform(7, 16)
                if school.student_gender[i] == Gender.FEMALE:
                    per_meal *= 0.85
                yield (sid, imp.month, meals, money(meals * per_meal), imp.pk)

    n = copy_rows(CanteenRecord, ["student_id", "month", "meals", "total_spend", "source_id"], rows())
    return {"aid.canteenimport": len(imports), "aid.canteenrecord": n}
