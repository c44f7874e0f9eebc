"""Journeys 2 and 3: worries reported through the network (a dorm liaison, an anonymous visitor) and triaged."""

from __future__ import annotations

import pytest

from counseling.models import Case, InterventionAction, Report
from portal.models import Student, User

pytestmark = pytest.mark.browser


def _close_open_case(student: Student) -> None:
    """Each device's run starts from a student with no open case (the other run may have left one)."""
    Case.objects.filter(student=student).exclude(status=Case.Status.CLOSED).update(status=Case.Status.CLOSED)


def _liaison_reports(browse, pick: int, *, in_danger: bool, narrative: str):
    """The liaison picks a resident of their rooms and sends a report; returns (visit, report)."""
    liaison = User.objects.get(username="liaison")
    me = browse()
    me.login("liaison")
    page = me.goto("/counseling/report/", screenshot="report-form" if not in_danger else "")
    picks = page.locator("#subject-results input[name=picked]:not([value=''])")
    assert picks.count() >= 2, "the liaison's quick picks list the residents of their rooms"
    subject = Student.objects.get(pk=picks.nth(pick).get_attribute("value"))
    if subject.pk == liaison.student.pk:
        subject = Student.objects.get(pk=picks.nth(pick + 1).get_attribute("value"))
    _close_open_case(subject)
    page.click(f"label[for=pick-{subject.pk}]")
    page.select_option("select[name=relation]", "roommate")
    if in_danger:
        page.click("label[for=id_in_danger]")
        # The hint to call first appears as soon as the switch is on, before anything is sent.
        assert page.locator("[data-in-danger-hint]").is_visible()
    page.locator("input[name=signs]").first.evaluate("e => e.labels[0].click()")
    page.fill("textarea[name=narrative]", narrative)
    me.submit("form[data-report-form] [type=submit]", screenshot="report-received" if in_danger else "")
    assert me.page.locator("[data-testid=received]").count() == 1, me.page.locator("main").inner_text()
    report = Report.objects.filter(reporter=liaison).latest("pk")
    assert report.case.student_id == subject.pk
    return me, report


def test_liaison_reports_roommate_in_danger_and_visitor_reports_anonymously(browse, device):
    me, report = _liaison_reports(browse, 0, in_danger=True, narrative="他说不想活了，把东西都送人了。")
    page = me.page
    # The phone numbers come first on the answer page, before the thank-you.
    first_heading = page.locator("main > section, main > h1").first
    assert first_heading.get_attribute("data-testid") == "hotlines"
    assert "110" in first_heading.inner_text()
    assert report.in_danger
    assert report.case.level == 4

    # A signed-out visitor: the sign-in page links to the anonymous report.
    visitor = browse()
    login = visitor.goto("/accounts/login/")
    with login.expect_navigation():
        login.click("a[href$='/counseling/report/']")
    form = visitor.check()
    subject = Student.objects.get(user__username="student")
    form.fill("input[name=student_no]", subject.student_no)
    form.select_option("select[name=relation]", "classmate")
    form.locator("input[name=signs]").nth(1).evaluate("e => e.labels[0].click()")
    form.fill("textarea[name=narrative]", "我是他同学，最近他一直一个人哭。ئۇ يىغلاۋاتىدۇ 😢")
    received = visitor.submit("form[data-report-form] [type=submit]")
    code = received.locator("[data-testid=receipt-code]").inner_text().strip()
    assert len(code) >= 8
    anonymous = Report.objects.filter(anonymous=True).latest("pk")
    assert anonymous.reporter_id is None
    assert anonymous.case.student_id == subject.pk

    # Later: the status by code, without signing in.
    receipt = visitor.goto("/counseling/receipt/")
    receipt.fill("input[name=code]", code)
    status_page = visitor.submit("main form [type=submit]")
    assert status_page.locator("[data-testid=receipt-report] [data-status]").count() == 1

    # The station asks the reporter a question on the case page (an htmx panel).
    station = browse()
    station.login("station")
    case_page = station.goto(f"/counseling/cases/{anonymous.case_id}/")
    panel = case_page.locator(f"[data-testid=panel-ask-{anonymous.pk}]")
    panel.locator("summary").click()
    panel.locator("textarea[name=question]").fill("你最后一次见到他是什么时候？")
    # htmx posts the panel; on success the server answers HX-Redirect and the case page reloads.
    station.submit(f"[data-testid=panel-ask-{anonymous.pk}] [type=submit]")
    assert anonymous.questions.count() == 1

    # The visitor checks again, sees the question and answers it.
    receipt = visitor.goto("/counseling/receipt/")
    receipt.fill("input[name=code]", code)
    status_page = visitor.submit("main form [type=submit]")
    question = status_page.locator("[data-testid=question]")
    assert "你最后一次见到他" in question.inner_text()
    question.locator("textarea[name=answer]").fill("昨天晚上在图书馆。")
    answered = visitor.submit("[data-testid=question] [type=submit]")
    assert answered.locator("[data-testid=answer]").inner_text() == "昨天晚上在图书馆。"
    assert anonymous.questions.get().answer == "昨天晚上在图书馆。"


def test_station_triages_and_liaison_sees_only_being_handled(browse, device):
    liaison_visit, report = _liaison_reports(browse, 1, in_danger=False, narrative="最近总是失眠，上课不说话。")
    case = report.case
    assert case.status == Case.Status.NEW

    station = browse()
    station.login("station")
    page = station.goto(f"/counseling/cases/{case.pk}/", screenshot="case-page")

    def post_panel(key: str, url_end: str) -> None:
        """htmx posts the panel; on success the server answers HX-Redirect and the case page reloads."""
        with page.expect_response(lambda r: r.url.endswith(url_end) and r.request.method == "POST") as resp:
            station.submit(f"[data-testid=panel-{key}] [type=submit]")
        assert resp.value.status == 204, resp.value.text()

    post_panel("acknowledge", f"/cases/{case.pk}/acknowledge/")
    page.locator("[data-testid=panel-level] summary").click()
    page.select_option("#id_level_level", "2")
    page.select_option("#id_level_self_harm_level", "2")
    page.fill("#id_level_reason", "失眠两周，情绪低落，无自伤计划。")
    post_panel("level", f"/cases/{case.pk}/level/")
    station_user = User.objects.get(username="station")
    page.locator("[data-testid=panel-owner] summary").click()
    page.select_option("#id_owner_owner", str(station_user.pk))
    post_panel("owner", f"/cases/{case.pk}/owner/")
    page.locator("[data-testid=panel-action] summary").click()
    page.select_option("#id_action_kind", index=1)
    page.select_option("#id_action_owner", str(station_user.pk))
    page.fill("#id_action_due_date", "2030-01-15")
    post_panel("action", f"/cases/{case.pk}/actions/")

    case.refresh_from_db()
    assert case.acknowledged_at is not None
    assert case.level == 2
    assert case.owner_id == station_user.pk
    assert InterventionAction.objects.filter(case=case, owner=station_user).exists()
    # The care e-file of the student, with the demo's history.
    with page.expect_navigation():
        page.click("[data-testid=care-file-link]")
    station.check(screenshot="care-file")

    # The liaison sees "seen by a counsellor" and nothing of the case itself.
    mine = liaison_visit.goto("/counseling/my-reports/")
    card = mine.locator("[data-testid=my-report]").first
    assert card.locator("[data-status=seen]").count() == 1
    text = mine.locator("main").inner_text()
    for secret in ("失眠两周", station_user.display_name, "无自伤计划"):
        assert secret not in text
    assert mine.locator("[data-testid=level], [data-testid=timeline], [data-testid=action]").count() == 0
