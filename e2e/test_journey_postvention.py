"""Postvention: the centre records an incident, puts two roommates on the plan and asks the dorm liaison to check on
them; the liaison does both check-ins on their phone (one is fine, one worries them and turns into a report), and
the centre sees the progress. The liaison's page never names the student the plan is about."""

from __future__ import annotations

import pytest
from django.utils import timezone

from counseling.models import CheckIn, PostventionContact, PostventionPlan, Report
from counseling.services.postvention import worried_report_key
from portal.models import User

pytestmark = pytest.mark.browser


def test_a_plan_with_two_check_ins_done_one_of_which_becomes_a_report(browse, device):
    demo_plan = PostventionPlan.objects.filter(case__isnull=False).select_related("student").get()
    index = demo_plan.student
    liaison = User.objects.get(username="liaison")

    # The centre records the incident; its plan opens at once.
    centre = browse()
    centre.login("counselor")
    page = centre.goto("/counseling/postvention/", screenshot="postvention-list")
    with page.expect_navigation():
        page.click("a[href$='/postvention/incidents/new/']")
    centre.check()
    page.select_option("select[name=kind]", "attempt")
    page.fill("input[name=occurred_on]", timezone.localdate().isoformat())
    page.fill("input[name=student_no]", index.student_no)
    page.fill("textarea[name=narrative]", "昨晚在宿舍楼顶被发现，已送医，目前平稳。")
    centre.submit("[data-testid=incident-form] [type=submit]")
    plan = PostventionPlan.objects.filter(incident__isnull=False).latest("pk")
    assert page.url.endswith(f"/counseling/postvention/{plan.pk}/")

    # Two roommates from the suggestions (never the liaison themself), each checked on by the liaison.
    roommates = page.locator("[data-testid=suggested] input[name=students]")
    picked = []
    for i in range(roommates.count()):
        label = roommates.nth(i).evaluate("e => e.labels[0].innerText")
        value = roommates.nth(i).get_attribute("value")
        if ("roommate" in label or "室友" in label) and int(value) != liaison.student.pk:
            picked.append(value)
    assert len(picked) >= 2, "the demo room has two roommates besides the liaison"
    for value in picked[:2]:
        page.check(f"[data-testid=suggested] input[name=students][value='{value}']")
    centre.submit("[data-testid=suggested] [type=submit]")
    contacts = list(PostventionContact.objects.filter(plan=plan).order_by("pk"))
    assert len(contacts) == 2
    due = (timezone.localdate() + timezone.timedelta(days=2)).isoformat()
    for contact in contacts:
        panel = f"[data-testid=assign-{contact.pk}]"
        page.click(f"{panel} summary")
        page.select_option(f"#id_assign-{contact.pk}_assignee", str(liaison.pk))
        page.fill(f"#id_assign-{contact.pk}_due_on", due)
        centre.submit(f"{panel} [type=submit]")
    checkins = list(CheckIn.objects.filter(contact__plan=plan).order_by("pk"))
    assert [c.assignee_id for c in checkins] == [liaison.pk, liaison.pk]

    # The liaison: the person to check and a generic script, nothing about why.
    me = browse()
    me.login("liaison")
    mine = me.goto("/counseling/check-ins/", screenshot="my-checkins")
    text = mine.locator("main").inner_text()
    assert index.name not in text and index.student_no not in text and "宿舍楼顶" not in text
    assert mine.locator("[data-testid=script]").count() == 1
    fine, worried = checkins
    for checkin, outcome, note in ((fine, "fine", ""), (worried, "worried", "她这几天一直失眠，说不想回宿舍。")):
        card = f"#checkin-{checkin.pk}"
        mine.locator(f"{card} input[value={outcome}]").check()
        if note:
            mine.fill(f"{card} textarea[name=note]", note)
        with mine.expect_response(lambda r, pk=checkin.pk: r.url.endswith(f"/check-ins/{pk}/outcome/")) as answer:
            mine.click(f"{card} [type=submit]")
        assert answer.value.status == 200
        mine.locator("[data-testid=checkin-done]").last.wait_for()
        me.check()
    assert index.name not in mine.locator("main").inner_text()

    worried.refresh_from_db()
    report = Report.objects.get(idempotency_key=worried_report_key(worried))
    assert worried.report_id == report.pk and report.case.student_id == worried.contact.student_id
    assert CheckIn.objects.get(pk=fine.pk).outcome == "fine"

    # The centre sees the progress, and the report the worried check-in raised.
    page = centre.goto(f"/counseling/postvention/{plan.pk}/", screenshot="postvention-plan")
    assert page.locator("[data-testid=checkin][data-status=done]").count() == 2
    assert page.locator("[data-testid=checkin][data-outcome=worried] [data-testid=checkin-report]").count() == 1
