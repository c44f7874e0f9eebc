"""Campaigns (心理普查): completion, reminders every 3 days, positive lists, invitations (邀约), demo data."""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from counseling import selectors
from counseling.models import (
    Booking,
    Instrument,
    Invitation,
    Report,
    ScreeningCampaign,
    ScreeningResult,
    Slot,
)
from counseling.services import (
    campaign_create,
    campaign_remind_non_completers,
    invitation_accept,
    invitation_create,
    invitation_decline,
    screening_submit,
)
from counseling.tasks import remind_screening_non_completers
from portal import demo
from portal.models import AuditEvent, ClassGroup, Reminder
from portal.services import DomainError
from portal.tests.factories import ClassGroupFactory, StudentFactory
from portal.tests.pagecaches import forget_page_caches

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]  # PHQ-9 12


def make_campaign(world, *, opens_on=None, days=10, instruments=(Instrument.PHQ9, Instrument.GAD7), year=2024):
    opens_on = opens_on or timezone.localdate()
    return campaign_create(
        actor=world["counselor"],
        title=f"{year}级新生心理普查",
        enrolment_year=year,
        opens_on=opens_on,
        closes_on=opens_on + timedelta(days=days),
        instruments_chosen=list(instruments),
    )


def answer(student, instrument, answers=None, campaign=None):
    answers = answers if answers is not None else [0] * (9 if instrument == Instrument.PHQ9 else 7)
    return screening_submit(
        student=student, instrument=instrument, answers=answers, idempotency_key=uuid.uuid4(), campaign=campaign
    )


# --- Opening a campaign ----------------------------------------------------------------------------


def test_the_centre_opens_a_campaign_through_the_page(world, client_for):
    today = timezone.localdate()
    response = client_for(world["counselor"]).post(
        reverse("counseling:campaign_new"),
        {
            "title": "2024级新生心理普查",
            "enrolment_year": str(today.year),
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=14)).isoformat(),
            "instruments": ["phq9", "gad7"],
        },
    )
    campaign = ScreeningCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "counseling:campaign_detail", args=[campaign.pk]
    )
    assert campaign.instruments == ["phq9", "gad7"] and campaign.created_by == world["counselor"]
    assert AuditEvent.objects.filter(action="screening_campaign.created").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"closes_on": "2000-01-01"},
        {"instruments": []},
        {"instruments": ["bdi"]},
        {"title": ""},
        {"enrolment_year": "1990"},
    ],
)
def test_a_bad_campaign_is_refused_with_a_message(world, client_for, change):
    today = timezone.localdate()
    data = {
        "title": "普查",
        "enrolment_year": str(today.year),
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=14)).isoformat(),
        "instruments": ["phq9"],
    } | change
    response = client_for(world["counselor"]).post(reverse("counseling:campaign_new"), data)
    assert response.status_code == 200 and not ScreeningCampaign.objects.exists()


def test_a_campaign_answer_outside_the_window_or_year_is_refused(world):
    campaign = make_campaign(world, year=2025)
    with pytest.raises(DomainError):
        answer(world.student_a, Instrument.PHQ9, campaign=campaign)
    ScreeningCampaign.objects.filter(pk=campaign.pk).update(
        enrolment_year=2024, closes_on=date(2000, 1, 2), opens_on=date(2000, 1, 1)
    )
    campaign.refresh_from_db()
    with pytest.raises(DomainError):
        answer(world.student_a, Instrument.PHQ9, campaign=campaign)
    assert not ScreeningResult.objects.exists()


# --- Completion -------------------------------------------------------------------------------------


@pytest.fixture
def progress(world):
    """student_a completed, roommate_a half, student_b (college B) completed, liaison and committee none;
    a 2023 student of class A and a self-screening outside the campaign do not count."""
    campaign = make_campaign(world)
    for instrument in (Instrument.PHQ9, Instrument.GAD7):
        answer(world.student_a, instrument, campaign=campaign)
        answer(world.student_b, instrument, campaign=campaign)
    answer(world.student_a, Instrument.PHQ9, campaign=campaign)  # twice: still one instrument
    answer(world.roommate_a, Instrument.PHQ9, campaign=campaign)
    answer(world["liaison"].student, Instrument.GAD7)  # self-screening, no campaign
    StudentFactory(class_group=world.class_a, enrolment_year=2023)
    return campaign


def test_completion_per_class_and_college_for_the_centre(world, progress):
    data = selectors.campaign_completion(world["counselor"], progress)
    classes = {row["class_name"]: (row["total"], row["started"], row["completed"]) for row in data["classes"]}
    assert classes == {world.class_a.name: (4, 2, 1), world.class_b.name: (1, 1, 1)}
    colleges = {row["college"]: (row["total"], row["completed"], row["percent"]) for row in data["colleges"]}
    assert colleges == {world.college_a.name: (4, 1, 25), world.college_b.name: (1, 1, 100)}
    assert (data["total"], data["completed"], data["percent"]) == (5, 2, 40)
    assert data["chart"]["completed"] == [1, 1] and data["chart"]["remaining"] == [3, 0]


def test_a_station_sees_its_own_college_only(world, progress, client_for):
    data = selectors.campaign_completion(world["station"], progress)
    assert [row["class_name"] for row in data["classes"]] == [world.class_a.name]
    body = client_for(world["station"]).get(reverse("counseling:campaign_detail", args=[progress.pk])).content.decode()
    assert world.class_a.name in body and world.class_b.name not in body
    assert 'id="screening-campaign-data"' in body and "echarts.min.js" in body


def test_open_campaigns_for_a_student(world, progress):
    [todo] = selectors.open_campaigns_for(world.roommate_a)
    assert todo.campaign == progress and [s.code for s in todo.pending] == ["gad7"] and not todo.completed
    [todo] = selectors.open_campaigns_for(world.student_a)
    assert todo.completed
    assert selectors.open_campaigns_for(None) == []


# --- Reminders every 3 days ---------------------------------------------------------------------------


def _reminded(campaign) -> dict[int, set[str]]:
    """Per reminder round, the usernames reminded."""
    rounds: dict[int, set[str]] = {}
    for key, username in Reminder.objects.filter(
        dedupe_key__startswith=f"screening:campaign:{campaign.pk}:"
    ).values_list("dedupe_key", "recipient__username"):
        rounds.setdefault(int(key.split(":")[4]), set()).add(username)
    return rounds


def test_non_completers_are_reminded_every_3_days_and_never_twice(world):
    start = datetime(2025, 9, 1, 9, 30, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        campaign = make_campaign(world, days=10)
        answer(world.student_a, Instrument.PHQ9, campaign=campaign)
        answer(world.student_a, Instrument.GAD7, campaign=campaign)
        answer(world.roommate_a, Instrument.PHQ9, campaign=campaign)  # half done: still reminded
        students = {world.roommate_a.user.username, world.student_b.user.username, "liaison", "committee"}

        assert remind_screening_non_completers() == 4
        assert remind_screening_non_completers() == 0  # run twice: nothing more
        assert _reminded(campaign) == {0: students}
        for _day in (1, 2):
            clock.shift(timedelta(days=1))
            assert remind_screening_non_completers() == 0
        answer(world.roommate_a, Instrument.GAD7, campaign=campaign)  # completes on day 2

        clock.shift(timedelta(days=1))  # day 3: the next round
        assert remind_screening_non_completers() == 3
        assert remind_screening_non_completers() == 0
        assert _reminded(campaign)[1] == students - {world.roommate_a.user.username}

        clock.shift(timedelta(days=3))  # day 6
        assert campaign_remind_non_completers() == 3 and campaign_remind_non_completers() == 0
        clock.shift(timedelta(days=5))  # day 11: closed
        assert campaign_remind_non_completers() == 0
    assert set(_reminded(campaign)) == {0, 1, 2}
    reminder = Reminder.objects.filter(recipient=world["liaison"]).first()
    assert reminder.url == reverse("counseling:screening_mine") and reminder.channel == "in_app"


def test_inactive_students_and_campaigns_not_yet_open_are_not_reminded(world):
    make_campaign(world, opens_on=timezone.localdate() + timedelta(days=2))
    assert campaign_remind_non_completers() == 0
    campaign = make_campaign(world)
    world["committee"].is_active = False
    world["committee"].save()
    assert campaign_remind_non_completers() == 4
    assert "committee" not in _reminded(campaign)[0]


# --- Positive screens and invitations --------------------------------------------------------------------


@pytest.fixture
def positives(world):
    campaign = make_campaign(world)
    item9 = answer(world.student_a, Instrument.PHQ9, [0] * 8 + [1], campaign=campaign)
    high = answer(world.student_b, Instrument.GAD7, [2, 2, 2, 2, 1, 1, 1], campaign=campaign)
    low = answer(world.roommate_a, Instrument.PHQ9, [1] * 8 + [0], campaign=campaign)  # 8: not positive
    return {"campaign": campaign, "item9": item9, "high": high, "low": low}


def test_positive_lists_are_scoped_and_item9_comes_first(world, positives):
    rows = selectors.campaign_positives(world["counselor"], positives["campaign"])
    assert [r.student for r in rows] == [world.student_a, world.student_b]
    assert rows[0].item9 and rows[0].may_invite
    rows = selectors.campaign_positives(world["station"], positives["campaign"])
    assert [r.student for r in rows] == [world.student_a]
    assert selectors.campaign_positives(world["aidofficer"], positives["campaign"]) == []


def test_opening_the_positive_list_is_audited_with_the_students_shown(world, positives, client_for):
    url = reverse("counseling:campaign_positives", args=[positives["campaign"].pk])
    body = client_for(world["station"]).get(url).content.decode()
    assert world.student_a.name in body and world.student_b.name not in body
    event = AuditEvent.objects.get(action="read", object_type="counseling.screeningcampaign.positives")
    assert event.actor == world["station"] and event.changes == {"students": [world.student_a.pk]}


def test_a_counsellor_invites_and_the_student_is_told(world, positives, client_for):
    client = client_for(world["station"])
    response = client.post(
        reverse("counseling:invitation_create", args=[positives["item9"].pk]), {"message": "本周来聊聊？"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.student, invitation.invited_by, invitation.status) == (
        world.student_a,
        world["station"],
        Invitation.Status.INVITED,
    )
    assert Reminder.objects.filter(
        recipient=world["student"], dedupe_key=f"screening:invitation:{invitation.pk}:invited:in_app"
    ).exists()
    # Once more while it is open: refused, still one invitation.
    client.post(reverse("counseling:invitation_create", args=[positives["item9"].pk]), {"message": ""})
    assert Invitation.objects.count() == 1
    # Out of scope: station A cannot invite a student of college B.
    response = client.post(reverse("counseling:invitation_create", args=[positives["high"].pk]), {"message": ""})
    assert response.status_code == 404


def test_a_negative_screen_is_not_invited(world, positives):
    with pytest.raises(DomainError):
        invitation_create(actor=world["counselor"], result=positives["low"])
    assert not Invitation.objects.exists()


def test_the_student_declines(world, positives, client_for):
    invitation = invitation_create(actor=world["counselor"], result=positives["item9"])
    response = client_for(world["student"]).post(reverse("counseling:invitation_decline", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED and invitation.responded_at is not None
    assert Reminder.objects.filter(recipient=world["counselor"], dedupe_key__contains=":declined").exists()
    with pytest.raises(DomainError):
        invitation_decline(actor=world["student"], invitation=invitation)
    # A declined invitation may be followed by a new one.
    invitation_create(actor=world["counselor"], result=positives["item9"])
    assert Invitation.objects.count() == 2


def test_nobody_answers_for_the_student(world, positives):
    invitation = invitation_create(actor=world["counselor"], result=positives["item9"])
    for persona in ("counselor", "admin", "station"):
        with pytest.raises(DomainError):
            invitation_decline(actor=world[persona], invitation=invitation)


def _slot(counsellor, *, hours: int = 48) -> Slot:
    start = timezone.now() + timedelta(hours=hours)
    return Slot.objects.create(counsellor=counsellor, starts_at=start, ends_at=start + timedelta(minutes=50))


def test_accepting_books_one_of_the_open_slots(world, positives, client_for):
    invitation = invitation_create(actor=world["counselor"], result=positives["item9"])
    slot = _slot(world["counselor"])
    foreign = _slot(world["station_b"], hours=50)  # another college's station: not offered
    client = client_for(world["student"])
    page = client.get(reverse("counseling:invitation_detail", args=[invitation.pk])).content.decode()
    assert f'value="{slot.pk}"' in page and f'value="{foreign.pk}"' not in page
    url = reverse("counseling:invitation_accept", args=[invitation.pk])

    refused = client.post(url, {"slot": str(foreign.pk), "consent": "on"})
    assert refused.status_code == 200 and not Booking.objects.exists()
    no_consent = client.post(url, {"slot": str(slot.pk)})
    assert no_consent.status_code == 200 and not Booking.objects.exists()

    response = client.post(url, {"slot": str(slot.pk), "consent": "on"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    booking = invitation.booking
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.responded_at is not None
    assert (booking.student, booking.slot, booking.source) == (world.student_a, slot, Booking.Source.INVITATION)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED
    # Accepting again changes nothing.
    again = client.post(url, {"slot": str(slot.pk), "consent": "on"})
    assert again.status_code == 302 and Booking.objects.count() == 1


def test_a_refused_booking_leaves_the_invitation_open(world, positives):
    invitation = invitation_create(actor=world["counselor"], result=positives["item9"])
    slot = _slot(world["counselor"])
    with pytest.raises(DomainError):
        invitation_accept(actor=world["student"], invitation=invitation, slot=slot, consent=False)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.INVITED and not Booking.objects.exists()


# --- Bounded queries -----------------------------------------------------------------------------------


def _populate(world, campaign, n: int) -> None:
    """n students of 2024 over n/5 classes of both colleges, each with a positive PHQ-9 in the campaign
    (written directly: this test is about reads), every third one invited."""
    classes = [
        ClassGroupFactory(college=world.college_a if i % 2 else world.college_b, enrolment_year=2024)
        for i in range(max(2, n // 5))
    ]
    for i in range(n):
        student = StudentFactory(class_group=classes[i % len(classes)])
        result = ScreeningResult.objects.create(
            student=student, instrument="phq9", answers=POSITIVE, total=12, band="moderate", campaign=campaign
        )
        if i % 3 == 0:
            Invitation.objects.create(result=result, student=student, invited_by=world["counselor"])


def _queries(client, url: str) -> int:
    forget_page_caches()  # both renders start without the per-user page caches (navbar, bell count)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("persona", ["counselor", "station"])
@pytest.mark.parametrize("name", ["campaign_detail", "campaign_positives", "campaign_list"])
def test_campaign_pages_cost_the_same_at_5_and_50_rows(world, client_for, persona, name):
    campaign = make_campaign(world)
    client = client_for(world[persona])
    url = reverse(f"counseling:{name}", args=[campaign.pk] if name != "campaign_list" else [])
    _populate(world, campaign, 5)
    small = _queries(client, url)
    _populate(world, campaign, 45)
    assert ClassGroup.objects.count() > 10
    large = _queries(client, url)
    assert small == large and large <= 15


def test_the_care_file_section_costs_the_same_with_more_results(world, client_for):
    client = client_for(world["counselor"])
    url = reverse("counseling:care_file", args=[world.student_a.pk])
    answer(world.student_a, Instrument.PHQ9)
    small = _queries(client, url)
    for _ in range(10):
        answer(world.student_a, Instrument.GAD7)
    assert _queries(client, url) == small


# --- Demo data ----------------------------------------------------------------------------------------


def test_the_demo_step_opens_a_campaign_with_results_and_an_invitation_once():
    demo.seed_demo()
    campaign = ScreeningCampaign.objects.get()
    assert campaign.is_open() and campaign.enrolment_year == 2025
    results = ScreeningResult.objects.filter(campaign=campaign)
    assert results.count() == 21
    assert not results.filter(student__user__username__in=["student", "liaison", "committee"]).exists()
    level3 = Report.objects.filter(source=Report.Source.SCREENING, case__level=3)
    assert level3.exists() and results.filter(raised_report__in=level3).exists()
    assert Invitation.objects.count() == 1
    counts = (ScreeningResult.objects.count(), Invitation.objects.count(), Report.objects.count())
    demo.seed_demo()
    assert (ScreeningResult.objects.count(), Invitation.objects.count(), Report.objects.count()) == counts
    assert ScreeningCampaign.objects.count() == 1
