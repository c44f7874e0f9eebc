"""Demo data for screening: an open freshman campaign (心理普查) with some answers, positives and an invitation.

Run by `seed_demo` after the crisis step. Everything goes through the services (campaign_create,
screening_submit, invitation_create), so the safety rules raise their reports and alerts for real.

What it adds:

    campaign    "<newest year>级新生心理普查", PHQ-9 + GAD-7, opened 4 days ago, closing in 10 days
    results     12 freshmen of that year (never a demo login): 9 completed both questionnaires, 3 only
                PHQ-9 (they are the ones the reminder scan reminds); of 计算机学院's freshmen
                  - one PHQ-9 with item 9 answered 1 (total 11): a level-3 report to the station
                  - one PHQ-9 of 12 (moderate): a level-2 report
                  - one GAD-7 of 11: a level-2 report
    invitation  the centre counsellor invites the item-9 student (the other two wait in the
                campaign's "positive screens" list for the `station` or `counselor` login to invite)
    outcome     the item-9 student's interview outcome: "follow-up", with a note and a PHQ-9/GAD-7 retest
                due in SCREENING_RETEST_WEEKS (the care file shows it beside the scores over time)

The demo login `student` (enrolled 2024) does not belong to the campaign: it demonstrates self-screening.
Idempotent: the campaign is the marker; when it exists nothing is written.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from counseling.models import Case, Instrument, InterviewOutcome, Invitation, ScreeningCampaign, ScreeningResult
from counseling.services import screening as services
from counseling.services import screening_care as care_services
from portal.demo import DemoSchool
from portal.models import Student

SEED = 20250901
_NAMESPACE = uuid.UUID("3c0f6a8e-5d1b-4a7e-8f2c-9b4d1e6a7c30")

# (PHQ-9 answers, GAD-7 answers or None). The first three are the positives of the module docstring.
POSITIVE_PLANS = [
    ([1, 2, 1, 2, 1, 2, 1, 0, 1], [1, 1, 2, 1, 1, 1, 1]),  # PHQ-9 11, item 9 = 1 → level 3
    ([2, 1, 2, 2, 1, 2, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1]),  # PHQ-9 12 → level 2
    ([1, 0, 1, 1, 0, 1, 0, 0, 0], [2, 2, 2, 2, 1, 1, 1]),  # GAD-7 11 → level 2
]
OTHER_PLANS = [
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]),
    ([1, 0, 1, 1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 1, 0]),
    ([0, 1, 1, 1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 0, 1, 1]),
    ([1, 1, 1, 1, 0, 1, 1, 0, 0], [0, 0, 1, 0, 0, 0, 0]),
    ([0, 0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0]),
    ([1, 1, 0, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0]),
    ([1, 0, 0, 1, 0, 0, 1, 0, 0], None),
    ([0, 0, 0, 1, 0, 0, 0, 0, 0], None),
    ([1, 1, 1, 0, 0, 1, 0, 0, 0], None),
]


def demo_key(student: Student, instrument: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"nuanxin-demo-screening:{student.student_no}:{instrument}")


def seed_screening(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    if not school.classes:
        return {}
    year = max(c.enrolment_year for c in school.classes.values())
    title = f"{year}级新生心理普查"
    if ScreeningCampaign.objects.filter(title=title, enrolment_year=year).exists():
        return {}
    centre = school.logins["counselor"]
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=centre,
        title=title,
        enrolment_year=year,
        opens_on=today - timedelta(days=4),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9, Instrument.GAD7],
    )
    logins = {s.pk for s in school.students_by_login.values()}
    with_case = set(Case.objects.filter(status__in=Case.OPEN_STATUSES).values_list("student_id", flat=True))
    pool = sorted(
        (
            s
            for s in school.students
            if s.enrolment_year == year
            and s.status == Student.Status.ENROLLED
            and s.pk not in logins
            and s.pk not in with_case  # so the demo shows each rule raising its own report
        ),
        key=lambda s: s.student_no,
    )
    rng = random.Random(SEED)
    cs_pool = [s for s in pool if s.college.code == "CS"] or pool
    positives = rng.sample(cs_pool, k=min(len(POSITIVE_PLANS), len(cs_pool)))
    rest = [s for s in pool if s not in positives]
    others = rng.sample(rest, k=min(len(OTHER_PLANS), len(rest)))
    results = 0
    first_positive: ScreeningResult | None = None
    for student, (phq, gad) in zip(positives + others, POSITIVE_PLANS + OTHER_PLANS, strict=False):
        for instrument, answers in ((Instrument.PHQ9, phq), (Instrument.GAD7, gad)):
            if answers is None:
                continue
            result = services.screening_submit(
                student=student,
                instrument=instrument,
                answers=answers,
                idempotency_key=demo_key(student, instrument),
                campaign=campaign,
            )
            results += 1
            if first_positive is None and instrument == Instrument.PHQ9 and answers[8] > 0:
                first_positive = result
    invitations = 0
    if first_positive is not None and not Invitation.objects.filter(student=first_positive.student).exists():
        services.invitation_create(
            actor=centre,
            result=first_positive,
            message="想约你本周来中心聊一聊，时间由你来选。",
        )
        invitations = 1
    outcomes = 0
    if first_positive is not None and not first_positive.student.interview_outcomes.exists():
        # From screening to care: the interview took place; a follow-up schedules a retest in a few weeks.
        care_services.outcome_record(
            actor=centre,
            result=first_positive,
            outcome=InterviewOutcome.Kind.FOLLOW_UP,
            note="约谈后情绪有所缓解，睡眠仍差；每两周约谈一次，四周后复测。",
        )
        outcomes = 1
    if stdout is not None:
        stdout.write(
            f"screening: campaign “{title}”, {results} results, {invitations} invitation, {outcomes} outcome\n"
        )
    return {
        "counseling.screeningcampaign": 1,
        "counseling.screeningresult": results,
        "counseling.invitation": invitations,
        "counseling.interviewoutcome": outcomes,
    }
