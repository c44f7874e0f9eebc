"""Demo data of hidden aid (隐形资助): last month's canteen data for every demo student and that month's batch
under review.

Five students (never the demo `student`, whose page should stay quiet) eat often and spend little, so the rule
picks them; everyone else spends above the threshold. Idempotent: the month's import and batch are created
only when missing, through the same services an officer uses.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate
from aid.services.hiddenaid import hiddenaid_batch_evaluate
from aid.services.hiddenaid_canteen import canteen_import
from portal.demo import DemoSchool
from portal.kernel.dates import month_start, shift_month

SEED = 20260115
PICKED = 5


def seed_hiddenaid(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    officer = school.logins.get("aidofficer")
    if officer is None or not school.students:
        return {}
    month = shift_month(month_start(timezone.localdate()), -1)
    created = {"aid.canteenrecord": 0, "aid.hiddenaidbatch": 0, "aid.hiddenaidcandidate": 0}
    if not CanteenImport.objects.filter(month=month).exists():
        rng = random.Random(SEED)
        demo_student = school.students_by_login.get("student")
        pool = [s for s in school.students if demo_student is None or s.pk != demo_student.pk]
        picked = {s.pk for s in rng.sample(pool, min(PICKED, len(pool)))}
        lines = ["学号,月份,用餐次数,消费金额"]
        for student in school.students:
            if student.pk in picked:
                meals, spend = rng.randint(62, 80), Decimal(rng.randint(18000, 27000)) / 100
            else:  # above both thresholds (350 / 300 yuan), however often they eat
                meals, spend = rng.randint(20, 85), Decimal(rng.randint(36000, 70000)) / 100
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
