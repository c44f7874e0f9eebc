"""Journey: from screening to care. The centre opens a campaign; a student screens positive in it; the station
records the interview outcome "follow-up"; the retest comes due and the student answers it; the station sees
the scores over time in the care file; the centre exports the completion table, reads the summary and ends the
campaign early. Runs on a phone and on a desktop (e2e/conftest.py).

The four weeks to the retest are not waited for: the journey moves the retest's day to today and runs the
daily job itself (the same service the beat task calls), so every page stays signed in.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from counseling.models import InterviewOutcome, Retest, ScreeningCampaign
from counseling.services import retests_invite_due
from portal.models import Student

pytestmark = pytest.mark.browser

POSITIVE = {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1}  # item → answer; PHQ-9 12, item 9 "not at all"
BETTER = {1: 1, 3: 1}  # PHQ-9 2


def _answer_phq9(visit, answers: dict[int, int]) -> None:
    page = visit.page
    for item in range(1, 10):
        page.click(f"label[for=id_item_{item}_{answers.get(item, 0)}]")
    visit.submit(".screening-form [type=submit]")


def test_campaign_positive_outcome_retest_and_the_trend_in_the_care_file(browse, device):
    student = Student.objects.get(user__username="student")
    title = f"{student.enrolment_year}级心理普查（{device}）"

    # The centre opens a campaign for the student's year.
    centre = browse()
    centre.login("counselor")
    page = centre.goto("/counseling/screening/campaigns/new/")
    page.fill("input[name=title]", title)
    page.select_option("select[name=enrolment_year]", str(student.enrolment_year))
    centre.submit("main form [type=submit]")
    campaign = ScreeningCampaign.objects.get(title=title)
    assert campaign.is_open()

    # The student answers PHQ-9 (it counts towards the campaign) and screens positive.
    me = browse()
    me.login("student")
    me.goto("/counseling/screening/take/phq9/")
    _answer_phq9(me, POSITIVE)
    first = student.screening_results.latest("pk")
    assert (first.campaign_id, first.total) == (campaign.pk, 12)

    # The station records the interview outcome "follow-up" on the positive list.
    station = browse()
    station.login("station")
    page = station.goto(f"/counseling/screening/campaigns/{campaign.pk}/positives/", screenshot="screening-positives")
    row = page.locator("[data-testid=positive-row]", has_text=student.student_no)
    assert row.count() == 1
    row.locator("select[name=outcome]").select_option("follow_up")
    row.locator("textarea[name=note]").fill("约谈顺利，睡眠仍差，四周后复测。")
    station.submit(f"[data-testid=positive-row]:has-text('{student.student_no}') [data-testid=outcome-form] button")
    outcome = InterviewOutcome.objects.get(student=student, campaign=campaign)
    assert outcome.outcome == "follow_up"
    assert (
        page.locator("[data-testid=positive-row]", has_text=student.student_no)
        .locator("[data-testid=outcome]")
        .is_visible()
    )

    # Four weeks later: the retest is due and the daily job invites the student.
    Retest.objects.filter(student=student, result__isnull=True).update(due_on=timezone.localdate())
    retests_invite_due()
    page = me.goto("/counseling/screening/")
    waiting = page.locator("[data-testid=retest-waiting] a[href$='/take/phq9/']").first
    assert waiting.is_visible()
    with page.expect_navigation():
        waiting.click()
    me.check()
    _answer_phq9(me, BETTER)
    retest = Retest.objects.get(outcome=outcome, instrument="phq9")
    assert retest.result is not None and retest.result.total == 2

    # The student's own history: their scores, kind words, no band names.
    page = me.goto("/counseling/screening/history/", screenshot="screening-history")
    assert page.locator("[data-testid=history-words]").count() >= 2
    assert page.locator("#chart-trend-phq9 canvas").count() >= 1
    assert page.locator("[data-testid=retest-waiting]").count() == 0  # answered: nothing waits any more

    # The station opens the care file: the scores over time with the band zones, the outcome and the retest.
    page = station.goto(f"/counseling/care/{student.pk}/", screenshot="care-file-trend")
    assert page.locator("[data-testid=care-trend]").is_visible()
    assert page.locator("#chart-trend-phq9 canvas").count() >= 1
    trend = json.loads(page.locator("#screening-trend-data").text_content())
    phq9 = next(s for s in trend["series"] if s["code"] == "phq9")
    assert [p[1] for p in phq9["points"]][-2:] == [12, 2]
    assert phq9["zones"], "the care file draws the band zones"
    assert page.locator("[data-testid=care-outcomes]").is_visible()
    assert page.locator("[data-testid=care-retests]").is_visible()

    # The centre takes the completion table, reads the summary, and ends the campaign early.
    page = centre.goto(f"/counseling/screening/campaigns/{campaign.pk}/")
    with page.expect_download() as download:
        page.click(f"a[href$='/campaigns/{campaign.pk}/export/completion.xlsx']")
    assert download.value.suggested_filename == f"screening-{campaign.pk}-completion.xlsx"
    page = centre.goto(f"/counseling/screening/campaigns/{campaign.pk}/summary/", screenshot="screening-summary")
    assert page.locator("[data-testid=summary-headline]").is_visible()
    page = centre.goto(f"/counseling/screening/campaigns/{campaign.pk}/")
    centre.submit("[data-testid=campaign-end]")
    assert centre.page.locator("[data-testid=campaign-ended-early]").is_visible()
    campaign.refresh_from_db()
    assert not campaign.is_open()
