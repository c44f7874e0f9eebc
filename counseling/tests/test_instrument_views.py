"""Loaded instruments through the pages: the questionnaire renders from its definition, campaigns pick it,
results show its kind words, who may open what, and loading a file in the admin."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from counseling.models import InstrumentDefinition, ScreeningCampaign, ScreeningResult
from counseling.services import campaign_create, instrument_definition_load, screening_submit
from counseling.tests.test_instrument_definitions import BAD, SCL, UPI, upi
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "instrument_files"


@pytest.fixture
def loaded(db):
    instrument_definition_load(actor=None, data=UPI, filename="upi.toml")
    instrument_definition_load(actor=None, data=SCL, filename="scl.toml")


def answers_post(values: list[int]) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), **{f"item_{n}": str(v) for n, v in enumerate(values, start=1)}}


def test_the_questionnaire_renders_the_definitions_own_options(world, client_for, loaded):
    client = client_for(world["student"])
    page = client.get(reverse("counseling:screening_mine")).content.decode()
    assert "UPI-like" in page and "SCL-like" in page and "Test: 12 yes/no questions" in page
    upi_page = client.get(reverse("counseling:screening_take", args=["upi_like"]))
    form = upi_page.context["form"]
    assert len(form.item_fields()) == 12
    assert [label for _v, label in form.fields["item_1"].choices] == ["No", "Yes"]
    scl_page = client.get(reverse("counseling:screening_take", args=["scl_like"]))
    assert [v for v, _label in scl_page.context["form"].fields["item_10"].choices] == ["1", "2", "3", "4", "5"]
    assert "Hopeful about the future" in scl_page.content.decode()
    phq9 = client.get(reverse("counseling:screening_take", args=["phq9"]))
    assert [label for _v, label in phq9.context["form"].fields["item_1"].choices][-1] == "Nearly every day"


def test_a_student_answers_a_loaded_instrument_and_reads_its_kind_words(world, client_for, loaded):
    client = client_for(world["student"])
    response = client.post(reverse("counseling:screening_take", args=["upi_like"]), answers_post(upi(3)))
    result = ScreeningResult.objects.get()
    assert response.status_code == 302 and (result.band, result.definition.version) == ("class1", 1)
    page = client.get(reverse("counseling:screening_result", args=[result.pk])).content.decode()
    assert "You told us you have had thoughts of ending your life." in page  # the rule's own words
    assert "a counsellor will be in touch" in page  # the band's words
    assert 'data-testid="urgent-message"' in page
    assert result.raised_report.case.level == 3


def test_a_calm_result_of_a_loaded_instrument_has_no_urgent_words(world, client_for, loaded):
    client = client_for(world["student"])
    client.post(reverse("counseling:screening_take", args=["upi_like"]), answers_post(upi()))
    page = client.get(reverse("counseling:screening_result", args=[ScreeningResult.objects.get().pk])).content.decode()
    assert "Your answers show nothing that needs special attention." in page
    assert 'data-testid="urgent-message"' not in page and "screening is positive" not in page


@pytest.mark.parametrize("bad", [{"item_1": "2"}, {"item_1": "-1"}, {"item_1": "1.0"}, {"item_1": "yes"}])
def test_answers_outside_a_loaded_instruments_options_save_nothing(world, client_for, loaded, bad):
    post = {**answers_post(upi()), **bad}
    response = client_for(world["student"]).post(reverse("counseling:screening_take", args=["upi_like"]), post)
    assert response.status_code == 200 and b"Choose one of the answers." in response.content
    assert not ScreeningResult.objects.exists()


def test_an_inactive_or_unknown_instrument_is_not_offered(world, client_for, loaded):
    InstrumentDefinition.objects.filter(code="scl_like").update(active=False)
    client = client_for(world["student"])
    assert client.get(reverse("counseling:screening_take", args=["scl_like"])).status_code == 404
    take_scl = reverse("counseling:screening_take", args=["scl_like"])
    assert client.post(take_scl, answers_post([1] * 10)).status_code == 404
    assert client.get(reverse("counseling:screening_take", args=["bdi"])).status_code == 404
    assert "SCL-like" not in client.get(reverse("counseling:screening_mine")).content.decode()
    form = client_for(world["counselor"]).get(reverse("counseling:campaign_new")).context["form"]
    assert [code for code, _label in form.fields["instruments"].choices] == ["phq9", "gad7", "upi_like"]


def test_a_campaign_picks_loaded_instruments_in_sequence(world, client_for, loaded):
    today = timezone.localdate()
    response = client_for(world["counselor"]).post(
        reverse("counseling:campaign_new"),
        {
            "title": "2024级新生心理普查",
            "enrolment_year": str(today.year),
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=14)).isoformat(),
            "instruments": ["scl_like", "upi_like"],
        },
    )
    assert response.status_code == 302
    campaign = ScreeningCampaign.objects.get()
    assert campaign.instruments == ["scl_like", "upi_like"]  # the order listed: the order answered
    detail = client_for(world["counselor"]).get(reverse("counseling:campaign_detail", args=[campaign.pk]))
    assert detail.context["instrument_names"] == ["SCL-like", "UPI-like"]


def test_a_campaign_student_is_led_from_one_loaded_instrument_to_the_next(world, client_for, loaded):
    world.student_a.enrolment_year = timezone.localdate().year
    world.student_a.save()
    campaign = campaign_create(
        actor=world["counselor"],
        title="普查",
        enrolment_year=world.student_a.enrolment_year,
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate() + timedelta(days=7),
        instruments_chosen=["upi_like", "scl_like"],
    )
    client = client_for(world["student"])
    mine = client.get(reverse("counseling:screening_mine"))
    todo = mine.context["campaigns"][0]
    assert [s.code for s in todo.pending] == ["upi_like", "scl_like"]
    client.post(reverse("counseling:screening_take", args=["upi_like"]), answers_post(upi()))
    result = ScreeningResult.objects.get()
    assert result.campaign == campaign
    page = client.get(reverse("counseling:screening_result", args=[result.pk]))
    assert [s.code for s in page.context["campaigns"][0].pending] == ["scl_like"]
    assert "Answer SCL-like" in page.content.decode()


@pytest.mark.parametrize("persona", ["liaison", "committee", "station_b", "aidofficer", "aidreviewer", "visitor"])
def test_a_loaded_instruments_result_is_the_students_own(world, client_for, loaded, persona):
    result = screening_submit(
        student=world.student_a, instrument="upi_like", answers=upi(4), idempotency_key=uuid.uuid4()
    )
    response = client_for(world[persona]).get(reverse("counseling:screening_result", args=[result.pk]))
    assert response.status_code == 404  # the same answer as a result that does not exist


def test_the_care_file_shows_the_version_band_and_factors(world, client_for, loaded):
    screening_submit(
        student=world.student_a,
        instrument="scl_like",
        answers=[2, 2, 2, 1, 1, 1, 1, 1, 1, 5],
        idempotency_key=uuid.uuid4(),
    )
    page = client_for(world["station"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "SCL-like" in text and "positive" in text and "somatic 2.0" in text
    assert "v1" in text


# --- The admin: load a definition file ------------------------------------------------------------------------

LOAD_URL = "admin:counseling_instrumentdefinition_load"


def upload(client, text: str, **extra):
    data = {"file": SimpleUploadedFile("def.toml", text.encode("utf-8"), content_type="application/toml"), **extra}
    return client.post(reverse(LOAD_URL), data)


def test_the_admin_loads_a_good_file(world, client_for):
    client = client_for(world["admin"])
    assert client.get(reverse("admin:counseling_instrumentdefinition_changelist")).status_code == 200
    assert client.get(reverse(LOAD_URL)).status_code == 200
    response = upload(client, UPI)
    assert response.status_code == 302
    row = InstrumentDefinition.objects.get()
    assert (row.code, row.version, row.loaded_by, row.source) == ("upi_like", 1, world["admin"], UPI)
    assert AuditEvent.objects.filter(action="instrument_definition.loaded", actor=world["admin"]).exists()
    # A loaded version cannot be added, edited or deleted by hand; only `active` changes.
    change = reverse("admin:counseling_instrumentdefinition_change", args=[row.pk])
    assert "source" not in client.get(change).context["adminform"].form.fields
    assert client.get(reverse("admin:counseling_instrumentdefinition_add")).status_code == 403
    assert client.get(reverse("admin:counseling_instrumentdefinition_delete", args=[row.pk])).status_code == 403


def test_the_admin_lists_every_error_of_a_bad_file_and_changes_nothing(world, client_for):
    response = upload(client_for(world["admin"]), BAD)
    assert response.status_code == 200
    errors = response.context["result"].errors
    assert len(errors) >= 8
    text = response.content.decode()
    assert 'id="definition-errors"' in text and "<td>35</td>" in text and "colour" in text
    assert not InstrumentDefinition.objects.exists()


def test_check_only_loads_nothing(world, client_for):
    response = upload(client_for(world["admin"]), SCL, check_only="on")
    assert response.status_code == 200 and b"has no errors" in response.content
    assert (
        not InstrumentDefinition.objects.exists()
        and not AuditEvent.objects.filter(action="instrument_definition.loaded").exists()
    )


def test_hostile_uploads_are_errors_never_a_500(world, client_for):
    client = client_for(world["admin"])
    for text in ("<script>alert(1)</script>", "\x00", 'code = "<script>alert(1)</script>"', "a = [" * 400):
        response = upload(client, text)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert client.post(reverse(LOAD_URL), {}).status_code == 200  # no file: the form's error
    assert not InstrumentDefinition.objects.exists()


@pytest.mark.parametrize("persona", ["student", "station", "counselor", "aidofficer", "visitor"])
def test_only_the_admin_may_load_definitions(world, client_for, persona):
    response = upload(client_for(world[persona]), UPI)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]  # the admin's sign-in, not a load
    assert not InstrumentDefinition.objects.exists()


def test_staff_without_the_permission_are_refused(client_for):
    staff = UserFactory(username="plainstaff", is_staff=True)
    response = upload(client_for(staff), UPI)
    assert response.status_code == 403 and not InstrumentDefinition.objects.exists()


# --- Query budgets: loaded instruments' results at 5 and at 50 rows --------------------------------------------


def _loaded_results(world, n: int) -> list[str]:
    """n results of the UPI-like instrument, half scored with version 1 and half with a version 2."""
    for k in range(n):
        if k == n // 2 and not InstrumentDefinition.objects.filter(code="upi_like", version=2).exists():
            v2 = UPI.replace("version = 1", "version = 2").replace('name = "UPI-like"', 'name = "UPI-like 2"')
            instrument_definition_load(actor=None, data=v2, filename="upi2.toml")
        screening_submit(student=world.student_a, instrument="upi_like", answers=upi(4), idempotency_key=uuid.uuid4())
    return ["UPI-like"]


def test_my_screenings_with_loaded_instruments_are_bounded(world, client_for, loaded):
    from portal.tests.querybudget import assert_bounded

    url = reverse("counseling:screening_mine")
    assert_bounded(client_for(world["student"]), url, lambda n: _loaded_results(world, n))


def test_the_care_file_with_loaded_instruments_is_bounded(world, client_for, loaded):
    from portal.tests.querybudget import assert_bounded

    url = reverse("counseling:care_file", args=[world.student_a.pk])
    assert_bounded(client_for(world["station"]), url, lambda n: _loaded_results(world, n), budget=40)


def test_the_admin_withdraws_an_instrument_by_unticking_active(world, client_for, loaded):
    row = InstrumentDefinition.objects.get(code="upi_like")
    client = client_for(world["admin"])
    response = client.post(reverse("admin:counseling_instrumentdefinition_change", args=[row.pk]), {"_save": "Save"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.active and row.source == UPI  # only `active` changed
    assert AuditEvent.objects.filter(action="instrument_definition.active_changed", object_id=str(row.pk)).exists()
    student = client_for(world["student"])
    assert student.get(reverse("counseling:screening_take", args=["upi_like"])).status_code == 404


def test_markup_in_a_loaded_definition_is_shown_as_text(world, client_for):
    hostile = UPI.replace("Poor appetite", "<script>alert(1)</script>").replace(
        "Things seem hard for you lately; a counsellor will be in touch.", "<img src=x onerror=alert(1)>"
    )
    assert instrument_definition_load(actor=None, data=hostile, filename="x.toml").created
    client = client_for(world["student"])
    page = client.get(reverse("counseling:screening_take", args=["upi_like"])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    client.post(reverse("counseling:screening_take", args=["upi_like"]), answers_post(upi(10)))
    result = client.get(reverse("counseling:screening_result", args=[ScreeningResult.objects.get().pk]))
    assert "<img src=x" not in result.content.decode() and "&lt;img src=x" in result.content.decode()


def test_the_care_file_trend_draws_a_loaded_instrument_too(world, client_for, loaded):
    for answers in ([2, 2, 2, 1, 1, 1, 1, 1, 1, 5], [1, 1, 1, 1, 1, 1, 1, 1, 1, 5]):
        screening_submit(student=world.student_a, instrument="scl_like", answers=answers, idempotency_key=uuid.uuid4())
    response = client_for(world["station"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    section = next(s for s in response.context["file"].extra_sections if "trend" in s["context"])
    (scl,) = [s for s in section["context"]["trend"]["series"] if s["code"] == "scl_like"]
    totals = list(
        ScreeningResult.objects.filter(instrument="scl_like")
        .order_by("completed_at", "pk")
        .values_list("total", flat=True)
    )
    assert [p[1] for p in scl["points"]] == totals and len(totals) == 2
    assert scl["name"] == "SCL-like" and scl["zones"] == []  # its bands are set by rules, not score ranges
    assert 'id="chart-trend-scl_like"' in response.content.decode()
