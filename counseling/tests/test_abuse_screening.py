"""Attacker stories against screening (issue 13).

- The curious classmate: walks the result ids (/screening/results/1/, 2/, …) to read someone's PHQ-9. Every
  other student's result is the 404 of an id that does not exist, and no read is recorded for them.
- The tamperer: posts answers out of range, leaves some out, adds items the questionnaire does not have. The
  page comes back with a message (never a 500) and nothing is saved; extra items are ignored.
- The student who regrets item 9: resubmits the form (same key, or a fresh one) with item 9 at zero, hoping
  to make the level-3 report go away. It stays. And the other way round: the back button, item 9 changed to
  "several days" on the same form, must still raise the report.
- The station counsellor of college B: opens college A's positive screens and invites them. Nothing of A.
- Aid staff and the home-visit team: no screening data at all (DOMAIN §2.2: results never feed aid).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling.models import Case, Instrument, Invitation, Level, Report, ScreeningResult
from counseling.services import campaign_create, screening_submit
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

MISSING = 2_000_000_000
POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]  # PHQ-9 total 12, item 9 = 0
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def _post(answers: list, key: uuid.UUID | None = None, **extra: str) -> dict:
    data = {f"item_{n}": str(v) for n, v in enumerate(answers, start=1)}
    data["idempotency_key"] = str(key or uuid.uuid4())
    data.update(extra)
    return data


def _take_url(instrument: str = "phq9") -> str:
    return reverse("counseling:screening_take", args=[instrument])


def test_a_classmate_walking_result_ids_gets_the_404_of_a_missing_id(world, client_for):
    result = screening_submit(
        student=world.student_a, instrument=Instrument.PHQ9, answers=POSITIVE, idempotency_key=uuid.uuid4()
    )
    for user in (world.roommate_a.user, world["liaison"], world["committee"], world["station"], world["counselor"]):
        client = client_for(user)
        answers = {
            pk: client.get(reverse("counseling:screening_result", args=[pk])).status_code
            for pk in (result.pk, result.pk + 1, MISSING)
        }
        assert set(answers.values()) == {404}, (user.username, answers)
        page = client.get(reverse("counseling:index")).content.decode()
        assert "moderate" not in page
    assert not AuditEvent.objects.filter(action="read", object_type="counseling.screeningresult").exists()
    # The student's own read is on the record.
    client_for(world["student"]).get(reverse("counseling:screening_result", args=[result.pk]))
    assert AuditEvent.objects.filter(
        action="read", object_type="counseling.screeningresult", actor=world["student"]
    ).exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"item_9": "4"}, id="item9-too-high"),
        pytest.param({"item_1": "99"}, id="far-out-of-range"),
        pytest.param({"item_2": "-3"}, id="negative"),
        pytest.param({"item_4": "2e0"}, id="scientific"),
        pytest.param({"item_5": "１"}, id="full-width-digit"),
        pytest.param({"item_6": "\x00"}, id="nul"),
        pytest.param({"item_7": "1" * 5000}, id="huge"),
        pytest.param({"item_9": None}, id="missing-item9"),
        pytest.param({"idempotency_key": None}, id="missing-key"),
    ],
)
def test_out_of_range_or_missing_answers_are_a_message_and_save_nothing(world, client_for, tamper):
    data = _post([1] * 9)
    for name, value in tamper.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    response = client_for(world["student"]).post(_take_url(), data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode() or "This field is required" in response.content.decode()
    assert not ScreeningResult.objects.exists() and not Report.objects.exists()


def test_extra_items_are_ignored_and_never_change_the_score(world, client_for):
    """A PHQ-9 with an item_10 and item_0 (or a GAD-7 sent nine answers): only the instrument's items count."""
    client = client_for(world["student"])
    client.post(_take_url(), _post([0] * 9, item_10="3", item_0="3", total="27", band="severe"))
    client.post(_take_url("gad7"), _post([1] * 9))
    phq, gad = ScreeningResult.objects.get(instrument="phq9"), ScreeningResult.objects.get(instrument="gad7")
    assert (phq.answers, phq.total) == ([0] * 9, 0)
    assert (gad.answers, gad.total) == ([1] * 7, 7)
    assert not Report.objects.exists()


def test_an_unknown_or_tampered_instrument_never_saves(world, client_for):
    client = client_for(world["student"])
    for instrument in ("phq10", "PHQ9", "phq9%00", "..%2fgad7"):
        assert client.post(f"/counseling/screening/take/{instrument}/", _post([3] * 9)).status_code == 404
    assert not ScreeningResult.objects.exists()


def _case_of(student) -> Case:
    return Case.objects.get(student=student, status__in=Case.OPEN_STATUSES)


def test_resubmitting_the_same_form_with_item9_at_zero_does_not_take_the_report_back(world, client_for):
    client = client_for(world["student"])
    key = uuid.uuid4()
    client.post(_take_url(), _post([0] * 8 + [2], key=key))
    assert _case_of(world.student_a).level == Level.HIGH

    again = client.post(_take_url(), _post([0] * 9, key=key))  # the same form, item 9 now "not at all"
    assert again.status_code in (200, 302)
    fresh = client.post(_take_url(), _post([0] * 9))  # a fresh form, all zeros
    assert fresh.status_code == 302

    case = _case_of(world.student_a)
    assert case.level == Level.HIGH and case.is_open
    assert Report.objects.filter(case=case).count() == 1
    assert ScreeningResult.objects.filter(student=world.student_a, answers__8=2).exists()


def test_the_back_button_with_item9_changed_on_the_same_form_still_raises_the_level3_report(world, client_for):
    """The first answer said item 9 = 0; the student goes back and tells the truth on the same page (same
    hidden key). The disclosure must not be swallowed by the resubmission guard."""
    client = client_for(world["student"])
    key = uuid.uuid4()
    first = client.post(_take_url(), _post([0] * 9, key=key))
    assert first.status_code == 302 and not Report.objects.exists()

    client.post(_take_url(), _post([0] * 8 + [1], key=key))

    case = _case_of(world.student_a)
    assert case.level == Level.HIGH
    assert ScreeningResult.objects.filter(student=world.student_a).count() == 2
    # …and sending that corrected page twice still saves it once.
    client.post(_take_url(), _post([0] * 8 + [1], key=key))
    assert ScreeningResult.objects.filter(student=world.student_a).count() == 2
    assert Report.objects.filter(case=case).count() == 1


def test_a_station_counsellor_of_college_b_sees_nothing_of_college_as_positive_screens(world, client_for):
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world["counselor"],
        title="新生心理普查",
        enrolment_year=world.student_a.class_group.enrolment_year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9],
    )
    result_a = screening_submit(
        student=world.student_a,
        instrument=Instrument.PHQ9,
        answers=POSITIVE,
        idempotency_key=uuid.uuid4(),
        campaign=campaign,
    )
    client = client_for(world["station_b"])
    positives = client.get(reverse("counseling:campaign_positives", args=[campaign.pk]))
    assert positives.status_code == 200
    html = positives.content.decode()
    assert world.student_a.name not in html and world.student_a.student_no not in html
    detail = client.get(reverse("counseling:campaign_detail", args=[campaign.pk])).content.decode()
    assert world.class_a.name not in detail

    answers = {
        "result": client.get(reverse("counseling:screening_result", args=[result_a.pk])).status_code,
        "invite": client.post(
            reverse("counseling:invitation_create", args=[result_a.pk]), {"message": "聊聊"}
        ).status_code,
        "invite_missing": client.post(
            reverse("counseling:invitation_create", args=[MISSING]), {"message": "聊聊"}
        ).status_code,
        "care_file": client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code,
    }
    assert answers == {"result": 404, "invite": 404, "invite_missing": 404, "care_file": 404}
    assert not Invitation.objects.exists()
    listed = AuditEvent.objects.get(actor=world["station_b"], object_type="counseling.screeningcampaign.positives")
    assert listed.changes["students"] == []
    # College A's station sees them.
    assert world.student_a.name in (
        client_for(world["station"]).get(reverse("counseling:campaign_positives", args=[campaign.pk])).content.decode()
    )


@pytest.mark.parametrize("persona", ["aidreviewer", "aidofficer", "visitor"])
def test_aid_staff_and_the_home_visit_team_see_no_screening_data_at_all(world, client_for, persona):
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world["counselor"],
        title="新生心理普查",
        enrolment_year=world.student_a.class_group.enrolment_year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9],
    )
    result = screening_submit(
        student=world.student_a,
        instrument=Instrument.PHQ9,
        answers=[0] * 8 + [3],
        idempotency_key=uuid.uuid4(),
        campaign=campaign,
    )
    client = client_for(world[persona])
    answers = {
        "mine": client.get(reverse("counseling:screening_mine")).status_code,
        "result": client.get(reverse("counseling:screening_result", args=[result.pk])).status_code,
        "campaigns": client.get(reverse("counseling:campaign_list")).status_code,
        "campaign": client.get(reverse("counseling:campaign_detail", args=[campaign.pk])).status_code,
        "positives": client.get(reverse("counseling:campaign_positives", args=[campaign.pk])).status_code,
        "invite": client.post(reverse("counseling:invitation_create", args=[result.pk])).status_code,
        "care_file": client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code,
    }
    assert answers == {
        "mine": 403,
        "result": 404,
        "campaigns": 403,
        "campaign": 403,
        "positives": 403,
        "invite": 404,
        "care_file": 403,
    }
    assert not AuditEvent.objects.filter(actor=world[persona], object_type__startswith="counseling.screening").exists()
