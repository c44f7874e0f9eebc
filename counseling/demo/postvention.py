"""Demo data for postvention: a plan for the level-4 case of 计算机学院 (counseling.demo.crisis), so the `counselor`
and `station` logins see a plan in progress and the `liaison` login has check-ins to do.

    the plan   the people around the student: the room's dorm liaison, the class committee member(s) and the
               roommates; each roommate has a check-in for the `liaison` login (one already done: doing fine)

Idempotent: when the case already has a plan, nothing is written. Written through the services, as the centre would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from counseling import selectors, services
from counseling.demo.crisis import demo_key
from counseling.models import CheckIn, PostventionContact, PostventionPlan, Report
from portal.demo import DemoSchool

MAX_CONTACTS = 5


def seed_postvention(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    report = Report.objects.filter(idempotency_key=demo_key("crisis-cs")).select_related("case").first()
    if report is None or PostventionPlan.objects.filter(case=report.case).exists():
        return {}
    centre, liaison = school.logins["counselor"], school.logins["liaison"]
    plan, _ = services.postvention_plan_open(actor=centre, case=report.case)
    suggestions = [
        s for s in selectors.contact_suggestions(plan) if s.relation != PostventionContact.Relation.CLASSMATE
    ][:MAX_CONTACTS]
    contacts = [
        services.postvention_contact_add(actor=centre, plan=plan, relation=s.relation, student=s.student)
        for s in suggestions
    ]
    today = timezone.localdate()
    checkins: list[CheckIn] = []
    may_assign_liaison = selectors.checkin_candidates(plan).filter(pk=liaison.pk).exists()
    for contact in contacts:
        if contact.relation != PostventionContact.Relation.ROOMMATE or contact.student.user_id == liaison.pk:
            continue
        assignee = liaison if may_assign_liaison else centre
        checkins.append(
            services.checkin_assign(actor=centre, contact=contact, assignee=assignee, due_on=today + timedelta(days=2))
        )
    if len(checkins) >= 2:
        services.checkin_record(actor=checkins[0].assignee, checkin=checkins[0], outcome=CheckIn.Outcome.FINE)
    if stdout is not None:
        stdout.write(f"counseling: a postvention plan with {len(contacts)} people and {len(checkins)} check-ins\n")
    return {"counseling.postventionplan": 1, "counseling.checkin": len(checkins)}
