"""Journey 1: a student on a phone screens, is shown help, and books (and cancels) a counselling session."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from counseling.models import Booking, Case, Report
from portal.models import Student

pytestmark = pytest.mark.browser


def test_student_screens_sees_hotlines_books_and_cancels(browse, device):
    student = Student.objects.get(user__username="student")
    reports_before = Report.objects.filter(case__student=student).count()

    me = browse()
    me.login("student")
    page = me.check(screenshot="student-home")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # Switch to English and back: the switch is in the menu, which a phone folds away.
    if device == "phone":
        page.click("button.navbar-toggler")
    me.submit("[data-testid=language-switch] button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    if device == "phone":
        page.click("button.navbar-toggler")
    me.submit("[data-testid=language-switch] button[value=zh-hans]")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # PHQ-9 with item 9 answered "several days": hotlines and the booking link come with the result.
    me.goto("/counseling/screening/take/phq9/")
    for item in range(1, 10):
        answer = "1" if item in (1, 2, 9) else "0"
        page.click(f"label[for=id_item_{item}_{answer}]")
    page = me.submit(".screening-form [type=submit]", screenshot="screening-result")
    assert page.locator("[data-testid=item9-message]").is_visible()
    assert page.locator("[data-testid=hotlines]").first.is_visible()
    assert "12356" in page.locator("[data-testid=hotlines]").first.inner_text()
    booking_link = page.locator("main a[href$='/counseling/appointments/']").first
    assert booking_link.is_visible()

    # The station's queue now holds a level-3 report about this student.
    report = Report.objects.filter(case__student=student).order_by("-pk").first()
    assert Report.objects.filter(case__student=student).count() == reports_before + 1
    station = browse()
    station.login("station")
    queue = station.goto("/counseling/queue/", screenshot="triage-queue")
    row = queue.locator(f"[data-testid=queue-row][data-case='{report.case_id}']")
    assert row.count() == 1
    assert Case.objects.get(pk=report.case_id).level >= 3

    # Book the first open time, see it on the home page, cancel it.
    with me.page.expect_navigation():
        booking_link.click()
    me.check(screenshot="open-slots")
    with me.page.expect_navigation():
        page.locator("[data-testid=slots] a").first.click()
    me.check(screenshot="booking-form")
    page.fill("textarea[name=reason]", "最近睡不好，想找老师聊聊 😔")
    page.check("input[name=consent]")
    me.submit("[data-testid=booking-form] [type=submit]")
    booking = Booking.objects.get(student=student, status__in=Booking.FUTURE)
    home = me.goto("/")
    next_appointment = home.locator("[data-testid=next-booking]")
    assert next_appointment.is_visible()
    when = timezone.localtime(booking.slot.starts_at).strftime("%Y-%m-%d %H:%M")
    assert re.search(when, next_appointment.inner_text())

    me.goto("/counseling/appointments/mine/")
    me.submit("[data-testid=upcoming] form[action$='/cancel/'] [type=submit]")
    booking.refresh_from_db()
    assert booking.status not in Booking.FUTURE
    home = me.goto("/")
    assert home.locator("[data-testid=next-booking]").count() == 0
