"""Screening pages: the questionnaire and its bad input, the result page, and who may open what.

Every persona tries every screening URL; results are the student's and their counsellors' only, never
aid staff's, the home-visit team's or student roles'.
"""

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from counseling.models import Instrument, Invitation, Report, ScreeningCampaign, ScreeningResult
from counseling.services import campaign_create, invitation_create, screening_submit
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "station_b",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]
STUDENTS = {"student", "liaison", "committee"}  # personas with a student record of their own
CAMPAIGN_STAFF = {"station", "station_b", "counselor", "admin"}
CENTRE = {"counselor", "admin"}
IN_SCOPE_OF_A = {"station", "counselor", "admin"}  # counsellors who see student_a's results
AID = {"aidreviewer", "aidofficer"}
POST_ONLY = {"invitation_accept", "invitation_decline", "invitation_create"}
GET_AND_POST = {"screening_take", "campaign_new"}
POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]  # PHQ-9 12


def _answers_post(instrument: str, answers: list, key: uuid.UUID | None = None) -> dict:
    data = {f"item_{n}": str(v) for n, v in enumerate(answers, start=1)}
    data["idempotency_key"] = str(key or uuid.uuid4())
    return data


def booking_url() -> str:
    try:
        return reverse("counseling:slots")
    except NoReverseMatch:
        return reverse("counseling:index")


@pytest.fixture
def objects(world):
    today = timezone.localdate()
    campaign = campaign_create(
        actor=world["counselor"],
        title="2024级新生心理普查",
        enrolment_year=2024,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9, Instrument.GAD7],
    )
    result_a = screening_submit(
        student=world.student_a,
        instrument=Instrument.PHQ9,
        answers=POSITIVE,
        idempotency_key=uuid.uuid4(),
        campaign=campaign,
    )
    result_b = screening_submit(
        student=world.student_b, instrument=Instrument.PHQ9, answers=POSITIVE, idempotency_key=uuid.uuid4()
    )
    invitation = invitation_create(actor=world["counselor"], result=result_a, message="想和你聊聊")
    return {"campaign": campaign, "result_a": result_a, "result_b": result_b, "invitation": invitation}


def _expected_get(persona: str, name: str) -> int:
    if name in ("screening_mine", "screening_take"):
        return 200 if persona in STUDENTS else 403
    if name == "screening_result_a":
        return 200 if persona == "student" else 404
    if name == "screening_result_b":
        return 404
    if name == "invitation_detail":
        return 200 if persona == "student" else 403 if persona in IN_SCOPE_OF_A else 404
    if name in ("campaign_list", "campaign_detail", "campaign_positives"):
        return 200 if persona in CAMPAIGN_STAFF else 403
    if name == "campaign_new":
        return 200 if persona in CENTRE else 403
    if name in ("invitation_accept", "invitation_decline", "invitation_create"):
        return 405
    raise AssertionError(name)


def _get_urls(objects) -> dict[str, str]:
    campaign, invitation = objects["campaign"], objects["invitation"]
    return {
        "screening_mine": reverse("counseling:screening_mine"),
        "screening_take": reverse("counseling:screening_take", args=["phq9"]),
        "screening_result_a": reverse("counseling:screening_result", args=[objects["result_a"].pk]),
        "screening_result_b": reverse("counseling:screening_result", args=[objects["result_b"].pk]),
        "invitation_detail": reverse("counseling:invitation_detail", args=[invitation.pk]),
        "invitation_accept": reverse("counseling:invitation_accept", args=[invitation.pk]),
        "invitation_decline": reverse("counseling:invitation_decline", args=[invitation.pk]),
        "invitation_create": reverse("counseling:invitation_create", args=[objects["result_a"].pk]),
        "campaign_list": reverse("counseling:campaign_list"),
        "campaign_new": reverse("counseling:campaign_new"),
        "campaign_detail": reverse("counseling:campaign_detail", args=[campaign.pk]),
        "campaign_positives": reverse("counseling:campaign_positives", args=[campaign.pk]),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_the_expected_status_on_every_get(world, objects, client_for, persona):
    client = client_for(world[persona])
    got = {name: client.get(url).status_code for name, url in _get_urls(objects).items()}
    assert got == {name: _expected_get(persona, name) for name in got}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_the_expected_status_on_every_post(world, objects, client_for, persona):
    client = client_for(world[persona])
    urls = _get_urls(objects)
    got = {
        "take": client.post(urls["screening_take"], _answers_post("phq9", [0] * 9)).status_code,
        "accept": client.post(urls["invitation_accept"], {"slot": "1", "consent": "on"}).status_code,
        "create": client.post(urls["invitation_create"], {"message": ""}).status_code,
        "new": client.post(
            urls["campaign_new"],
            {
                "title": "补测",
                "enrolment_year": str(timezone.localdate().year),
                "opens_on": timezone.localdate().isoformat(),
                "closes_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
                "instruments": ["phq9"],
            },
        ).status_code,
        "decline": client.post(urls["invitation_decline"]).status_code,
    }
    respond = 403 if persona in IN_SCOPE_OF_A else 404
    # The invitation to student_a is still open, so a counsellor's "invite" is refused with a message
    # (302 back) rather than a second invitation.
    expected = {
        "take": 302 if persona in STUDENTS else 403,
        "accept": 200 if persona == "student" else respond,
        "create": 302 if persona in IN_SCOPE_OF_A else 403 if persona == "student" else 404,
        "new": 302 if persona in CENTRE else 403,
        "decline": 302 if persona == "student" else respond,
    }
    assert got == expected
    assert Invitation.objects.count() == 1
    declined = Invitation.objects.get().status == Invitation.Status.DECLINED
    assert declined == (persona == "student")


@pytest.mark.parametrize("persona", sorted(AID | {"visitor", "liaison", "committee", "assessor"}))
def test_no_result_reaches_aid_staff_or_student_roles(world, objects, client_for, persona):
    """Whatever they open, they never see another student's result (names, scores, campaign lists)."""
    client = client_for(world[persona])
    for name, url in _get_urls(objects).items():
        response = client.get(url)
        assert response.status_code in (403, 404, 405) or name in ("screening_mine", "screening_take")
        body = response.content.decode()
        assert world.student_a.name not in body and world.student_a.student_no not in body
    if persona in AID:
        # Aid staff: 403 or 404 on every screening URL with the methods it takes (405 for the others).
        for name, url in _get_urls(objects).items():
            if name in POST_ONLY:
                assert client.get(url).status_code == 405, name
            else:
                assert client.get(url).status_code in (403, 404), name
            if name in POST_ONLY | GET_AND_POST:
                assert client.post(url, {}).status_code in (403, 404), name
    care = client.get(reverse("counseling:care_file", args=[world.student_a.pk]))
    assert care.status_code in (403, 404)


def test_aid_and_homevisit_code_never_reads_screening_results():
    """No module or template under aid/ or homevisits/ touches the screening models, selectors or pages."""
    base = Path(settings.BASE_DIR)
    forbidden = re.compile(
        r"counseling\.(models|selectors|services)\.screening"
        r"|counseling\.instruments"
        r"|\bScreeningResult\b|\bScreeningCampaign\b|\bscreening_results\b"
        r"|from\s+counseling\.models\s+import[^\n]*\bInvitation\b"
        r"|counseling:(screening|campaign|invitation)_"
    )
    scanned = 0
    offenders = []
    for app in ("aid", "homevisits"):
        for path in (base / app).rglob("*"):
            if path.suffix not in (".py", ".html", ".txt", ".js") or "tests" in path.parts:
                continue
            scanned += 1
            text = path.read_text(encoding="utf-8", errors="replace")
            if forbidden.search(text):
                offenders.append(str(path.relative_to(base)))
    assert scanned > 0
    assert offenders == []


# --- Taking a screening ------------------------------------------------------------------------------


def test_the_questionnaire_shows_every_item_with_big_answer_buttons(world, client_for):
    response = client_for(world["student"]).get(reverse("counseling:screening_take", args=["phq9"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="btn btn-outline-primary screening-answer"') == 9 * 4
    assert "Thoughts that you would be better off dead" in body and "Nearly every day" in body
    assert 'name="idempotency_key"' in body and "style=" not in body and "<script>" not in body


def test_the_questionnaire_in_chinese_uses_the_standard_wording(world, client):
    client.force_login(world["student"], backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("counseling:screening_take", args=["gad7"])).content.decode()
    assert "感觉紧张、焦虑或急切" in body and "一半以上的天数" in body and "完全不会" in body


def test_an_unknown_instrument_is_404(world, client_for):
    assert client_for(world["student"]).get("/counseling/screening/take/bdi/").status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d.update(item_9="4"), id="outside-0-3"),
        pytest.param(lambda d: d.update(item_1="-1"), id="negative"),
        pytest.param(lambda d: d.pop("item_3"), id="missing"),
        pytest.param(lambda d: d.update(item_2="abc"), id="non-numeric"),
        pytest.param(lambda d: d.update(item_2="1.0"), id="decimal"),
        pytest.param(lambda d: d.update(item_2=""), id="empty"),
        pytest.param(lambda d: d.update(item_1=["0", "3"]), id="duplicated"),
        pytest.param(lambda d: d.update(idempotency_key=["x", "y"]), id="duplicated-key"),
        pytest.param(lambda d: d.update(idempotency_key="not-a-uuid"), id="bad-key"),
    ],
)
def test_bad_answers_come_back_with_a_message_and_save_nothing(world, client_for, tamper):
    data = _answers_post("phq9", [1] * 8 + [2])
    tamper(data)
    response = client_for(world["student"]).post(reverse("counseling:screening_take", args=["phq9"]), data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert not ScreeningResult.objects.exists() and not Report.objects.exists()


def test_a_resubmitted_form_saves_one_result(world, client_for):
    client = client_for(world["student"])
    url = reverse("counseling:screening_take", args=["phq9"])
    data = _answers_post("phq9", [0] * 8 + [1])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ScreeningResult.objects.count() == 1 and Report.objects.count() == 1


def test_a_self_screening_during_a_campaign_counts_towards_it(world, client_for, objects):
    client = client_for(world["student"])
    client.post(reverse("counseling:screening_take", args=["gad7"]), _answers_post("gad7", [0] * 7))
    assert ScreeningResult.objects.get(student=world.student_a, instrument="gad7").campaign == objects["campaign"]
    # PHQ-9 was already answered in the campaign: another one is a plain self-screening.
    client.post(reverse("counseling:screening_take", args=["phq9"]), _answers_post("phq9", [0] * 9))
    assert ScreeningResult.objects.filter(student=world.student_a, instrument="phq9", campaign=None).count() == 1


# --- The result page -----------------------------------------------------------------------------------


def _result_page(world, client_for, answers, instrument="phq9"):
    client = client_for(world["student"])
    response = client.post(reverse("counseling:screening_take", args=[instrument]), _answers_post(instrument, answers))
    return client.get(response["Location"])


def test_a_zero_still_offers_booking_and_the_hotlines(world, client_for):
    body = _result_page(world, client_for, [0] * 9).content.decode()
    assert "Your answers suggest few or no signs of low mood" in body
    assert f'href="{booking_url()}"' in body
    for number in ("tel:110", "tel:120", "tel:12356", settings.CENTRE_DUTY_PHONE):
        assert number in body
    assert "screening is positive" not in body.lower()


def test_a_positive_result_is_kind_and_never_a_diagnosis(world, client_for):
    body = _result_page(world, client_for, POSITIVE).content.decode()
    assert "Your answers suggest that you have been going through a hard time" in body
    assert "This screening is positive" in body and "not a diagnosis" in body
    assert f'href="{booking_url()}"' in body and "tel:12356" in body
    for word in ("You have depression", "disorder", "moderately severe depression"):
        assert word not in body


def test_item9_shows_the_caring_message_and_the_big_hotlines(world, client_for):
    body = _result_page(world, client_for, [0] * 8 + [1]).content.decode()
    assert 'data-testid="item9-message"' in body
    assert "A counsellor from your college will get in touch with you soon" in body
    assert "Call now if someone is in danger" in body


def test_reading_a_result_is_audited(world, client_for, objects):
    client_for(world["student"]).get(reverse("counseling:screening_result", args=[objects["result_a"].pk]))
    assert AuditEvent.objects.filter(
        action="read", object_type="counseling.screeningresult", object_id=str(objects["result_a"].pk)
    ).exists()


def test_my_screenings_shows_the_campaign_banner_and_the_invitation(world, client_for, objects):
    body = client_for(world["student"]).get(reverse("counseling:screening_mine")).content.decode()
    assert "2024级新生心理普查" in body and 'data-testid="campaign-banner"' in body
    assert "Answer GAD-7" in body and "Answer PHQ-9" not in body  # PHQ-9 already done
    assert 'data-testid="open-invitation"' in body


def test_another_years_student_does_not_see_the_campaign(world, client_for, objects):
    ScreeningCampaign.objects.update(enrolment_year=2025)
    body = client_for(world["student"]).get(reverse("counseling:screening_mine")).content.decode()
    assert 'data-testid="campaign-banner"' not in body


# --- The care e-file ---------------------------------------------------------------------------------


def test_the_care_file_lists_screening_results_for_counsellors_in_scope(world, client_for, objects):
    for persona in ("station", "counselor"):
        response = client_for(world[persona]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="care-screening"' in body and "Screening results" in body
        assert "moderate" in body and "screening positive" in body
    assert (
        client_for(world["station_b"]).get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code
        == 404
    )
