"""From screening to care: a campaign's lifecycle, its summary and exports, interview outcomes (约谈结果), retests,
the reminders about missing outcomes, the care file's trend and the student's own history."""

from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from counseling import instruments, selectors
from counseling.models import (
    CareLevelOverride,
    Case,
    Instrument,
    InterviewOutcome,
    Retest,
    ScreeningCampaign,
    ScreeningResult,
)
from counseling.services import (
    campaign_create,
    campaign_end_early,
    campaign_remind_non_completers,
    campaign_reopen,
    invitation_create,
    outcome_record,
    outcomes_remind_missing,
    retests_invite_due,
    screening_submit,
)
from counseling.tasks import invite_due_screening_retests, remind_missing_screening_outcomes
from portal.models import AuditEvent, Reminder
from portal.services import DomainError
from portal.tests.factories import ClassGroupFactory, StudentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]  # PHQ-9 12: moderate, positive
LOWER = [1, 0, 1, 1, 0, 0, 0, 0, 0]  # PHQ-9 3: minimal
GAD_POSITIVE = [2, 2, 2, 2, 1, 1, 1]  # GAD-7 11


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def make_campaign(world, *, days: int = 10, year: int | None = None, title: str = "新生心理普查") -> ScreeningCampaign:
    today = timezone.localdate()
    return campaign_create(
        actor=world["counselor"],
        title=title,
        enrolment_year=year or world.class_a.enrolment_year,
        opens_on=today,
        closes_on=today + timedelta(days=days),
        instruments_chosen=[Instrument.PHQ9, Instrument.GAD7],
    )


def answer(student, answers=POSITIVE, *, campaign=None, instrument=Instrument.PHQ9) -> ScreeningResult:
    return screening_submit(
        student=student, instrument=instrument, answers=answers, idempotency_key=uuid.uuid4(), campaign=campaign
    )


def positive_in_campaign(world, student=None):
    campaign = make_campaign(world)
    result = answer(student or world.student_a, campaign=campaign)
    return campaign, result


# --- Campaign lifecycle -------------------------------------------------------------------------------------


def test_the_centre_ends_a_campaign_early_and_it_closes_for_students(world, client_for):
    campaign = make_campaign(world)
    response = client_for(world["counselor"]).post(reverse("counseling:campaign_end", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.ended_early_at is not None and campaign.ended_early_by == world["counselor"]
    assert not campaign.is_open()
    assert selectors.open_campaigns_for(world.student_a) == []
    with pytest.raises(DomainError):
        answer(world.student_a, campaign=campaign)
    assert campaign_remind_non_completers() == 0
    event = AuditEvent.objects.get(action="screening_campaign.ended_early")
    assert event.object_id == str(campaign.pk) and event.actor == world["counselor"]
    page = client_for(world["counselor"]).get(reverse("counseling:campaign_detail", args=[campaign.pk]))
    assert b'data-testid="campaign-ended-early"' in page.content and b'data-testid="campaign-reopen"' in page.content


def test_ending_twice_is_refused_with_a_message(world, client_for):
    campaign = make_campaign(world)
    campaign_end_early(actor=world["counselor"], campaign=campaign)
    with pytest.raises(DomainError):
        campaign_end_early(actor=world["counselor"], campaign=campaign)
    response = client_for(world["counselor"]).post(reverse("counseling:campaign_end", args=[campaign.pk]), follow=True)
    assert response.status_code == 200
    assert "Only an open campaign can be ended early." in response.content.decode()
    assert AuditEvent.objects.filter(action="screening_campaign.ended_early").count() == 1


def test_the_centre_reopens_an_ended_campaign_until_a_new_day(world, client_for):
    campaign = make_campaign(world)
    campaign_end_early(actor=world["counselor"], campaign=campaign)
    until = timezone.localdate() + timedelta(days=3)
    response = client_for(world["counselor"]).post(
        reverse("counseling:campaign_reopen", args=[campaign.pk]), {"closes_on": until.isoformat()}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_open() and campaign.closes_on == until and campaign.ended_early_at is None
    assert campaign.reopened_by == world["counselor"]
    assert AuditEvent.objects.get(action="screening_campaign.reopened").changes["ended_early"] is True
    assert selectors.open_campaigns_for(world.student_a)[0].campaign == campaign


def test_reopening_is_refused_while_open_for_a_past_day_and_before_opening(world):
    campaign = make_campaign(world)
    with pytest.raises(DomainError, match="still open"):
        campaign_reopen(actor=world["counselor"], campaign=campaign, closes_on=timezone.localdate())
    campaign_end_early(actor=world["counselor"], campaign=campaign)
    with pytest.raises(DomainError, match="from today on"):
        campaign_reopen(actor=world["counselor"], campaign=campaign, closes_on=timezone.localdate() - timedelta(days=1))
    later = campaign_create(
        actor=world["counselor"],
        title="下周普查",
        enrolment_year=2024,
        opens_on=timezone.localdate() + timedelta(days=5),
        closes_on=timezone.localdate() + timedelta(days=9),
        instruments_chosen=[Instrument.PHQ9],
    )
    with pytest.raises(DomainError, match="not opened yet"):
        campaign_reopen(actor=world["counselor"], campaign=later, closes_on=timezone.localdate() + timedelta(days=9))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("station", 403), ("assessor", 403), ("aidofficer", 403), ("visitor", 403), ("student", 403)],
)
def test_only_the_centre_ends_and_reopens(world, client_for, persona, status):
    campaign = make_campaign(world)
    client = client_for(world[persona])
    assert client.post(reverse("counseling:campaign_end", args=[campaign.pk])).status_code == status
    assert (
        client.post(reverse("counseling:campaign_reopen", args=[campaign.pk]), {"closes_on": "2030-01-01"}).status_code
        == status
    )
    campaign.refresh_from_db()
    assert campaign.ended_early_at is None


# --- Exports ------------------------------------------------------------------------------------------------


def _sheet_rows(response, index: int = 0) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(workbook.worksheets[index].iter_rows(values_only=True))


def test_a_station_exports_its_colleges_completion_and_it_is_audited(world, client_for):
    campaign = make_campaign(world, year=world.class_a.enrolment_year)
    answer(world.student_a, LOWER, campaign=campaign)
    response = client_for(world["station"]).get(reverse("counseling:campaign_export_completion", args=[campaign.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    colleges = _sheet_rows(response, 0)
    classes = _sheet_rows(response, 1)
    assert [row[0] for row in colleges[1:]] == [world.college_a.name]  # never college B
    assert any(row[1] == world.class_a.name for row in classes[1:])
    assert all(world.student_a.name not in str(row) for row in colleges + classes)  # no names
    event = AuditEvent.objects.get(action="screening_campaign.completion_exported")
    assert event.actor == world["station"] and event.object_id == str(campaign.pk)


def test_the_centre_exports_the_positive_list_with_outcomes_and_it_is_audited(world, client_for):
    campaign, result = positive_in_campaign(world)
    answer(world.roommate_a, LOWER, campaign=campaign)
    outcome_record(actor=world["station"], result=result, outcome=InterviewOutcome.Kind.FOLLOW_UP, note="每周谈一次")
    response = client_for(world["counselor"]).get(reverse("counseling:campaign_export_positives", args=[campaign.pk]))
    assert response.status_code == 200
    rows = _sheet_rows(response)
    assert len(rows) == 2  # the header and the one positive student
    assert rows[1][0] == world.student_a.student_no and rows[1][1] == world.student_a.name
    assert 12 in rows[1] and "follow-up" in rows[1]
    assert "每周谈一次" not in str(rows)  # the note never leaves the care file
    event = AuditEvent.objects.get(action="screening_campaign.positives_exported")
    assert event.changes["students"] == [world.student_a.pk]


@pytest.mark.parametrize("persona", ["station", "station_b", "assessor", "aidofficer", "aidreviewer", "student"])
def test_nobody_but_the_centre_takes_the_positive_list(world, client_for, persona):
    campaign, _result = positive_in_campaign(world)
    response = client_for(world[persona]).get(reverse("counseling:campaign_export_positives", args=[campaign.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="screening_campaign.positives_exported").exists()


@pytest.mark.parametrize("persona", ["aidofficer", "visitor", "student", "committee"])
def test_no_one_outside_counselling_exports_completion(world, client_for, persona):
    campaign = make_campaign(world)
    response = client_for(world[persona]).get(reverse("counseling:campaign_export_completion", args=[campaign.pk]))
    assert response.status_code == 403


def test_an_unknown_campaign_is_404_for_the_centre(world, client_for):
    client = client_for(world["counselor"])
    assert client.get(reverse("counseling:campaign_export_positives", args=[99999])).status_code == 404
    assert client.get(reverse("counseling:campaign_summary", args=[99999])).status_code == 404


def test_a_name_that_looks_like_a_formula_is_exported_as_text(world, client_for):
    campaign = make_campaign(world)
    sly = StudentFactory(class_group=world.class_a, name='=HYPERLINK("http://x","y")')
    answer(sly, campaign=campaign)
    rows = _sheet_rows(
        client_for(world["counselor"]).get(reverse("counseling:campaign_export_positives", args=[campaign.pk]))
    )
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'


# --- The summary --------------------------------------------------------------------------------------------


def test_the_summary_shows_completion_bands_by_college_and_last_year(world, client_for):
    year = world.class_a.enrolment_year
    last_year_class = ClassGroupFactory(college=world.college_a, enrolment_year=year - 1)
    senior = StudentFactory(class_group=last_year_class)
    with time_machine.travel(timezone.now() - timedelta(days=365), tick=False):
        last = make_campaign(world, year=year - 1, title="去年普查")
        answer(senior, LOWER, campaign=last)
    campaign = make_campaign(world, year=year, title="今年普查")
    answer(world.student_a, campaign=campaign)
    answer(world.roommate_a, LOWER, campaign=campaign)
    response = client_for(world["counselor"]).get(reverse("counseling:campaign_summary", args=[campaign.pk]))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["last"]["campaign"] == last
    assert summary["this"]["positive"] == 1 and summary["this"]["responded"] == 2
    assert summary["this"]["positive_percent"] == 50
    phq = next(t for t in summary["tables"] if t["name"] == "PHQ-9")
    row = next(r for r in phq["rows"] if r["college"] == world.college_a.name)
    assert row["total"] == 2 and row["counts"][0] == 1 and row["counts"][2] == 1  # one minimal, one moderate
    minimal = next(c for c in summary["comparison"] if c["label"] == "PHQ-9 · minimal")
    assert (minimal["now"], minimal["then"]) == (50, 100)
    assert b'id="screening-summary-data"' in response.content


def test_without_last_years_campaign_the_summary_says_so(world, client_for):
    campaign = make_campaign(world)
    response = client_for(world["counselor"]).get(reverse("counseling:campaign_summary", args=[campaign.pk]))
    assert b'data-testid="no-last-year"' in response.content


@pytest.mark.parametrize("persona", ["station", "aidofficer", "student"])
def test_the_summary_is_the_centres(world, client_for, persona):
    campaign = make_campaign(world)
    assert client_for(world[persona]).get(reverse("counseling:campaign_summary", args=[campaign.pk])).status_code == 403


# --- Interview outcomes -------------------------------------------------------------------------------------


def test_a_follow_up_outcome_schedules_retests_four_weeks_later(world, client_for):
    campaign, result = positive_in_campaign(world)
    answer(world.student_a, GAD_POSITIVE, campaign=campaign, instrument=Instrument.GAD7)
    invitation_create(actor=world["station"], result=result)
    response = client_for(world["station"]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "follow_up", "note": "睡眠差，四周后复测"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("counseling:campaign_positives", args=[campaign.pk])
    outcome = InterviewOutcome.objects.get()
    assert (outcome.student, outcome.campaign, outcome.recorded_by) == (world.student_a, campaign, world["station"])
    assert outcome.invitation is not None and outcome.note == "睡眠差，四周后复测"
    retests = list(Retest.objects.order_by("instrument"))
    assert [r.instrument for r in retests] == ["gad7", "phq9"]
    assert {r.due_on for r in retests} == {timezone.localdate() + timedelta(weeks=4)}
    event = AuditEvent.objects.get(action="screening_outcome.recorded")
    assert event.changes["outcome"] == "follow_up" and "睡眠" not in str(event.changes)
    with connection.cursor() as cursor:  # the note is encrypted at rest
        cursor.execute("SELECT note FROM counseling_interviewoutcome")
        assert "睡眠" not in cursor.fetchone()[0]
    page = client_for(world["station"]).get(reverse("counseling:campaign_positives", args=[campaign.pk]))
    assert b'data-testid="outcome"' in page.content and b'data-testid="outcome-form"' not in page.content


def test_retest_weeks_come_from_the_settings(world, settings):
    settings.SCREENING_RETEST_WEEKS = 6
    _campaign, result = positive_in_campaign(world)
    outcome_record(actor=world["counselor"], result=result, outcome="follow_up")
    assert Retest.objects.get().due_on == timezone.localdate() + timedelta(weeks=6)


def test_an_outcome_is_recorded_once_per_student_and_campaign(world, client_for):
    campaign, result = positive_in_campaign(world)
    gad = answer(world.student_a, GAD_POSITIVE, campaign=campaign, instrument=Instrument.GAD7)
    outcome_record(actor=world["station"], result=result, outcome="no_concern")
    with pytest.raises(DomainError, match="already recorded"):
        outcome_record(actor=world["counselor"], result=gad, outcome="referred")
    response = client_for(world["counselor"]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "care_list"}, follow=True
    )
    assert "already recorded" in response.content.decode()
    assert InterviewOutcome.objects.count() == 1


def test_only_positive_screens_get_an_outcome(world):
    low = answer(world.student_a, LOWER)
    with pytest.raises(DomainError, match="Only positive"):
        outcome_record(actor=world["counselor"], result=low, outcome="no_concern")


def test_a_bad_outcome_value_saves_nothing(world, client_for):
    _campaign, result = positive_in_campaign(world)
    response = client_for(world["station"]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "discharged"}, follow=True
    )
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    assert not InterviewOutcome.objects.exists()


def test_care_list_puts_a_student_without_an_open_case_on_the_care_list(world):
    _campaign, result = positive_in_campaign(world)
    Case.objects.filter(student=world.student_a).update(status="closed")
    outcome_record(actor=world["station"], result=result, outcome="care_list")
    override = CareLevelOverride.objects.get(student=world.student_a, cleared_at__isnull=True)
    assert override.level == 1 and override.set_by == world["station"]


def test_care_list_leaves_an_open_case_alone(world):
    _campaign, result = positive_in_campaign(world)
    assert Case.objects.filter(student=world.student_a, status__in=Case.OPEN_STATUSES).exists()
    outcome_record(actor=world["station"], result=result, outcome="care_list")
    assert not CareLevelOverride.objects.filter(student=world.student_a).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("station_b", 404),  # another college's station: outside its scope
        ("aidofficer", 404),
        ("aidreviewer", 404),
        ("visitor", 404),
        ("assessor", 404),
        ("committee", 404),
        ("liaison", 404),
        ("student", 403),  # their own result: visible, but not theirs to conclude
    ],
)
def test_who_may_not_record_an_outcome(world, client_for, persona, status):
    _campaign, result = positive_in_campaign(world)
    response = client_for(world[persona]).post(
        reverse("counseling:outcome_record", args=[result.pk]), {"outcome": "no_concern"}
    )
    assert response.status_code == status
    assert not InterviewOutcome.objects.exists()


# --- Retests ------------------------------------------------------------------------------------------------


def test_a_retest_is_invited_on_its_day_once_and_the_answer_is_linked(world, client_for):
    with time_machine.travel(at("2026-11-02"), tick=False):
        _campaign, result = positive_in_campaign(world)
        outcome_record(actor=world["station"], result=result, outcome="follow_up")
    retest = Retest.objects.get()
    assert retest.due_on.isoformat() == "2026-11-30"
    with time_machine.travel(at("2026-11-29"), tick=False):
        assert retests_invite_due() == 0
        answer(world.student_a, LOWER)  # a self-screening before the day is not the retest
    retest.refresh_from_db()
    assert retest.result is None
    with time_machine.travel(at("2026-11-30", 8), tick=False):
        assert invite_due_screening_retests() == 1
        assert invite_due_screening_retests() == 0  # twice: nothing more
        sent = Reminder.objects.filter(dedupe_key__startswith=f"screening:retest:{retest.outcome_id}:")
        assert sent.filter(channel="in_app").count() == 1
        assert sent.get(channel="in_app").recipient == world.student_a.user
        mine = client_for(world["student"]).get(reverse("counseling:screening_mine"))
        assert b'data-testid="retest-waiting"' in mine.content
        linked = answer(world.student_a, LOWER)
    retest.refresh_from_db()
    assert retest.result == linked and retest.invited_at is not None
    assert AuditEvent.objects.filter(action="screening_retest.answered", object_id=str(retest.pk)).exists()
    # The next answer is not linked again; the retest is done.
    with time_machine.travel(at("2026-12-01"), tick=False):
        later = answer(world.student_a, LOWER)
    assert not Retest.objects.filter(result=later).exists()


def test_the_retest_message_carries_nothing_sensitive(world):
    with time_machine.travel(at("2026-11-02"), tick=False):
        _campaign, result = positive_in_campaign(world)
        outcome_record(actor=world["station"], result=result, outcome="follow_up", note="家庭变故")
    with time_machine.travel(at("2026-12-01"), tick=False):
        retests_invite_due()
    reminder = Reminder.objects.get(dedupe_key__startswith="screening:retest:", channel="in_app")
    text = f"{reminder.subject} {reminder.body}"
    assert "家庭" not in text and "12" not in text and "PHQ" not in text and "moderate" not in text


# --- Reminders: positives without an outcome ---------------------------------------------------------------


def _outcome_reminders(tier: str = "") -> list[Reminder]:
    return list(
        Reminder.objects.filter(dedupe_key__startswith="screening:outcome:", channel="in_app").filter(
            dedupe_key__contains=f":{tier}:" if tier else ":"
        )
    )


def test_missing_outcomes_go_to_the_station_after_7_days_then_the_centre_after_14_once(world):
    with time_machine.travel(at("2026-11-02", 9), tick=False):
        campaign, result = positive_in_campaign(world)
        other = answer(world.student_b, campaign=make_campaign(world, year=world.student_b.enrolment_year))
    with time_machine.travel(at("2026-11-08", 23), tick=False):
        assert outcomes_remind_missing() == 0  # six days
    with time_machine.travel(at("2026-11-09", 8), tick=False):
        first = remind_missing_screening_outcomes()
        assert remind_missing_screening_outcomes() == 0  # run twice: no duplicates
    station = _outcome_reminders("station")
    recipients = {r.recipient for r in station}
    assert world["station"] in recipients and world["station_b"] in recipients  # each college's own station
    assert world["counselor"] not in recipients
    assert first == len(station) == 2
    assert not _outcome_reminders("centre")
    mine = next(r for r in station if r.recipient == world["station"])
    assert mine.url == reverse("counseling:campaign_positives", args=[campaign.pk])
    assert world.student_a.name not in mine.subject and mine.kind == "task"
    with time_machine.travel(at("2026-11-16", 8), tick=False):
        outcomes_remind_missing()
        outcomes_remind_missing()
    centre = _outcome_reminders("centre")
    assert [r.recipient for r in centre] == [world["counselor"], world["counselor"]]  # one per student
    assert len(_outcome_reminders("station")) == 2  # not again
    # Recorded: nothing more about this student, ever.
    outcome_record(actor=world["station"], result=result, outcome="no_concern")
    outcome_record(actor=world["station_b"], result=other, outcome="no_concern")
    before = Reminder.objects.count()
    with time_machine.travel(at("2026-11-30", 8), tick=False):
        assert outcomes_remind_missing() == 0
    assert Reminder.objects.count() == before


def test_reminder_days_come_from_the_settings(world, settings):
    settings.SCREENING_OUTCOME_REMIND_STATION_DAYS = 2
    settings.SCREENING_OUTCOME_REMIND_CENTRE_DAYS = 3
    with time_machine.travel(at("2026-11-02"), tick=False):
        positive_in_campaign(world)
    with time_machine.travel(at("2026-11-04"), tick=False):
        assert outcomes_remind_missing() == 1
    with time_machine.travel(at("2026-11-05"), tick=False):
        assert outcomes_remind_missing() == 1
    assert len(_outcome_reminders("centre")) == 1


# --- The care file ------------------------------------------------------------------------------------------


def test_the_care_file_shows_scores_over_time_with_band_zones_and_outcomes(world, client_for):
    with time_machine.travel(at("2026-11-02"), tick=False):
        _campaign, result = positive_in_campaign(world)
        outcome_record(actor=world["station"], result=result, outcome="follow_up", note="四周后复测")
    with time_machine.travel(at("2026-11-30"), tick=False):
        answer(world.student_a, LOWER)
    response = client_for(world["station"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    content = response.content.decode()
    assert 'id="screening-trend-data"' in content and 'id="chart-trend-phq9"' in content
    assert 'data-testid="care-outcomes"' in content and "四周后复测" in content
    assert 'data-testid="care-retests"' in content
    section = next(s for s in response.context["file"].extra_sections if "trend" in s["context"])
    phq = section["context"]["trend"]["series"][0]
    assert [p[1] for p in phq["points"]] == [12, 3]
    assert [(z["from"], z["to"]) for z in phq["zones"]] == [(lo, hi) for lo, hi, _b in instruments.BANDS["phq9"]]
    assert AuditEvent.objects.filter(action="read", object_type="counseling.carefile").exists()


def test_other_colleges_station_never_opens_the_care_file(world, client_for):
    positive_in_campaign(world)
    assert (
        client_for(world["station_b"]).get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code
        == 404
    )


# --- The student's own history ------------------------------------------------------------------------------


BAND_WORDS = re.compile(
    r"\b(minimal|mild|moderate|moderately severe|severe|positive|depress\w*|anxiety disorder)\b", re.I
)


def test_a_student_sees_only_their_own_history_in_kind_words(world, client_for):
    with time_machine.travel(at("2026-10-01"), tick=False):
        answer(world.student_a, POSITIVE)
        answer(world.roommate_a, [3, 3, 3, 3, 3, 3, 3, 3, 0])  # the roommate's 24, never on student_a's page
    with time_machine.travel(at("2026-11-01"), tick=False):
        answer(world.student_a, LOWER)
    response = client_for(world["student"]).get(reverse("counseling:screening_history"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.result.total for r in rows] == [3, 12]
    assert {r.result.student_id for r in rows} == {world.student_a.pk}
    content = response.content.decode()
    assert "24 of 27" not in content and world.roommate_a.name not in content
    history = content.split('data-testid="my-history"', 1)[1].split("</ul>", 1)[0]
    assert not BAND_WORDS.search(history), BAND_WORDS.search(history)
    assert "A harder time: talking with a counsellor can help" in history and "Few or no signs of strain" in history
    assert 'id="screening-history-data"' in content
    assert '"zones": []' in content  # no band zones for the student
    roommate = client_for(world.roommate_a.user).get(reverse("counseling:screening_history"))
    assert [r.result.total for r in roommate.context["rows"]] == [24]


@pytest.mark.parametrize("persona", ["station", "counselor", "aidofficer", "visitor"])
def test_staff_have_no_student_history_page(world, client_for, persona):
    assert client_for(world[persona]).get(reverse("counseling:screening_history")).status_code == 403


def test_the_history_shows_the_retest_waiting_for_this_student_only(world, client_for):
    with time_machine.travel(at("2026-11-02"), tick=False):
        _campaign, result = positive_in_campaign(world)
        outcome_record(actor=world["station"], result=result, outcome="follow_up")
    with time_machine.travel(at("2026-11-30"), tick=False):
        own = client_for(world["student"]).get(reverse("counseling:screening_history"))
        assert b'data-testid="retest-waiting"' in own.content
        other = client_for(world.roommate_a.user).get(reverse("counseling:screening_history"))
        assert b'data-testid="retest-waiting"' not in other.content


# --- Demo data ----------------------------------------------------------------------------------------------


def test_the_demo_records_one_follow_up_outcome_with_its_retests_once():
    from portal import demo

    demo.seed_demo()
    outcome = InterviewOutcome.objects.get()
    assert outcome.outcome == "follow_up" and outcome.campaign is not None
    assert Retest.objects.filter(outcome=outcome).exists()
    demo.seed_demo()
    assert InterviewOutcome.objects.count() == 1


def test_a_positive_retest_gets_its_outcome_from_the_care_file(world, client_for):
    with time_machine.travel(at("2026-11-02"), tick=False):
        _campaign, result = positive_in_campaign(world)
        outcome_record(actor=world["station"], result=result, outcome="follow_up")
    with time_machine.travel(at("2026-11-30"), tick=False):
        worse = answer(world.student_a, [3, 3, 2, 2, 2, 1, 1, 1, 0])  # the retest, positive again (15)
    client = client_for(world["station"])
    page = client.get(reverse("counseling:care_file", args=[world.student_a.pk]))
    form = page.content.decode().split('data-testid="care-outcome-form"', 1)
    assert len(form) == 2 and reverse("counseling:outcome_record", args=[worse.pk]) in form[0][-300:]
    response = client.post(
        reverse("counseling:outcome_record", args=[worse.pk]), {"outcome": "referred", "note": "转介", "back": "care"}
    )
    assert response["Location"] == reverse("counseling:care_file", args=[world.student_a.pk])
    assert InterviewOutcome.objects.get(result=worse).outcome == "referred"
    page = client.get(reverse("counseling:care_file", args=[world.student_a.pk]))
    assert b'data-testid="care-outcome-form"' not in page.content  # every positive is covered now


def test_item_9_with_a_low_total_never_reads_as_few_signs(world, client_for):
    answer(world.student_a, [0, 0, 0, 0, 0, 0, 0, 0, 1])  # total 1, item 9 "several days"
    response = client_for(world["student"]).get(reverse("counseling:screening_history"))
    assert [r.words for r in response.context["rows"]] == ["A harder time: talking with a counsellor can help"]


def test_the_outcome_links_the_invitation_of_its_own_campaign(world):
    first, old = positive_in_campaign(world)
    invitation_create(actor=world["station"], result=old)
    outcome_record(actor=world["station"], result=old, outcome="no_concern")
    later = make_campaign(world, title="复查")
    result = answer(world.student_a, campaign=later)
    outcome = outcome_record(actor=world["station"], result=result, outcome="follow_up")
    assert outcome.invitation is None  # the first campaign's invitation is not this interview's
    assert first.interview_outcomes.get().invitation.result == old


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("counselor", {"summary", "export-completion", "export-positives", "end"}),
        ("admin", {"summary", "export-completion", "export-positives", "end"}),
        ("station", {"export-completion"}),
    ],
)
def test_the_campaign_page_offers_each_role_its_own_actions(world, client_for, persona, sees):
    campaign = make_campaign(world)
    content = client_for(world[persona]).get(reverse("counseling:campaign_detail", args=[campaign.pk])).content.decode()
    shown = {
        "summary": reverse("counseling:campaign_summary", args=[campaign.pk]) in content,
        "export-completion": reverse("counseling:campaign_export_completion", args=[campaign.pk]) in content,
        "export-positives": reverse("counseling:campaign_export_positives", args=[campaign.pk]) in content,
        "end": 'data-testid="campaign-end"' in content,
    }
    assert {name for name, on in shown.items() if on} == sees
    assert 'data-testid="campaign-reopen"' not in content  # open: nothing to reopen


def test_the_campaign_list_says_ended_early(world, client_for):
    campaign = make_campaign(world)
    campaign_end_early(actor=world["counselor"], campaign=campaign)
    content = client_for(world["station"]).get(reverse("counseling:campaign_list")).content.decode()
    assert "ended early" in content
