"""The care e-file (心理关爱电子档案): centre counsellors and the student's own college station only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, services
from counseling.models import Assessment, CareLevelOverride, InterventionAction, Sign
from counseling.tests.factories import submit_report
from portal.models import AuditEvent
from portal.tests.factories import StudentFactory

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
# Roles that can never see a care file get 403; a station outside the student's college gets 404.
FILE_A = {"counselor": 200, "station": 200, "admin": 200, "station_b": 404}
FILE_B = {"counselor": 200, "station_b": 200, "admin": 200, "station": 404}
CARE_ROLES = {"counselor", "station", "station_b", "admin"}


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"


@pytest.mark.parametrize("persona", PERSONAS)
def test_care_file_visibility_matrix(world, client_for, persona):
    submit_report(reporter=world["liaison"], student=world.student_a)
    submit_report(reporter=world["liaison"], student=world.student_b)
    client = client_for(world[persona])
    assert client.get(reverse("counseling:care_list")).status_code == (200 if persona in CARE_ROLES else 403)
    got_a = client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code
    got_b = client.get(reverse("counseling:care_file", args=[world.student_b.pk])).status_code
    assert (got_a, got_b) == (FILE_A.get(persona, 403), FILE_B.get(persona, 403))
    url = reverse("counseling:care_level_override", args=[world.student_a.pk])
    assert client.get(url).status_code == 405
    posted = client.post(url, {"level": "2", "reason": "期末压力"}).status_code
    assert posted == {200: 302}.get(FILE_A.get(persona, 403), FILE_A.get(persona, 403))


def test_a_missing_student_is_404_for_care_roles(world, client_for):
    assert client_for(world["counselor"]).get(reverse("counseling:care_file", args=[999_999])).status_code == 404


def test_the_student_never_sees_their_own_care_file(world, client_for):
    submit_report(reporter=world["liaison"], student=world.student_a)
    assert (
        client_for(world["student"]).get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 403
    )


def test_an_assessor_assigned_to_the_case_still_cannot_open_the_care_file(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["assessor"]])
    client = client_for(world["assessor"])
    assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 403


def test_every_open_of_a_care_file_is_audited(world, client_for):
    client = client_for(world["station"])
    for _ in range(2):
        assert client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 200
    events = AuditEvent.objects.filter(
        actor=world["station"], action="read", object_type="counseling.carefile", object_id=str(world.student_a.pk)
    )
    assert events.count() == 2
    client_for(world["station_b"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    assert not AuditEvent.objects.filter(actor=world["station_b"], object_type="counseling.carefile").exists()


def test_the_care_list_shows_the_station_only_its_college(world, client_for):
    submit_report(reporter=world["liaison"], student=world.student_a)
    submit_report(reporter=world["liaison"], student=world.student_b)
    station = client_for(world["station"]).get(reverse("counseling:care_list"))
    assert [s.pk for s in station.context["page"]] == [world.student_a.pk]
    centre = client_for(world["counselor"]).get(reverse("counseling:care_list"))
    assert {s.pk for s in centre.context["page"]} == {world.student_a.pk, world.student_b.pk}


def test_the_care_list_holds_open_cases_and_overrides_most_serious_first(world, client_for):
    submit_report(reporter=world["liaison"], student=world.student_a)  # level 1
    high = submit_report(reporter=world["liaison"], student=world.roommate_a, signs=[Sign.SUICIDE_TALK]).case
    quiet = StudentFactory(class_group=world.class_a)
    services.care_level_override_set(actor=world["counselor"], student=quiet, level=2, reason="家庭变故")
    client = client_for(world["station"])
    page = client.get(reverse("counseling:care_list")).context["page"]
    assert [(s.pk, s.care_level) for s in page] == [(high.student_id, 3), (quiet.pk, 2), (world.student_a.pk, 1)]
    everyone = client.get(reverse("counseling:care_list"), {"everyone": "on"}).context["page"]
    assert len(everyone) > 3
    found = client.get(reverse("counseling:care_list"), {"q": world.roommate_a.student_no}).context["page"]
    assert [s.pk for s in found] == [world.roommate_a.pk]
    assert client.get(reverse("counseling:care_list"), {"q": "\x00"}).status_code == 200


def test_the_care_list_never_shows_narratives(world, client_for):
    submit_report(reporter=world["liaison"], student=world.student_a, narrative="机密叙述ABC")
    body = client_for(world["counselor"]).get(reverse("counseling:care_list")).content.decode()
    assert "机密叙述ABC" not in body and world.student_a.name in body


def _make_students_with_cases(world, n):
    for _ in range(n):
        submit_report(reporter=None, anonymous=True, student=StudentFactory(class_group=world.class_a))


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_care_list_costs_the_same_queries_for_5_or_50_students(
    world, client_for, persona, django_assert_max_num_queries
):
    client = client_for(world[persona])
    url = reverse("counseling:care_list")
    _make_students_with_cases(world, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(url).context["page"]) == 5
    _make_students_with_cases(world, 45)
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as fifty:
        assert len(client.get(url).context["page"]) == 50
    assert len(five.captured_queries) == len(fifty.captured_queries)


def test_the_care_file_shows_level_history_cases_assessments_interventions_referrals_and_plan(world, client_for, en):
    first = submit_report(reporter=world["liaison"], student=world.student_a).case
    services.case_acknowledge(actor=world["station"], case=first)
    services.case_transition(actor=world["station"], case=first, to_status="closed", reason="resolved")
    case = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_set_level(
        actor=world["counselor"], case=case, level=4, self_harm_level=4, others_harm_level=None, reason="有具体计划"
    )
    services.case_set_touchpoint(actor=world["station"], case=case, on=timezone.localdate() + timedelta(days=2))
    services.assessment_record(
        actor=world["counselor"],
        case=case,
        risk_factors="独居，失眠",
        protective_factors="与母亲关系好",
        conclusion=Assessment.Conclusion.AT_RISK_HIGH,
    )
    services.action_add(
        actor=world["counselor"],
        case=case,
        kind=InterventionAction.Kind.HOSPITAL,
        owner=world["counselor"],
        due_date=timezone.localdate() + timedelta(days=1),
        hospital="武汉市精神卫生中心",
        referral_date=timezone.localdate() + timedelta(days=1),
    )
    response = client_for(world["station"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    body = response.content.decode()
    assert response.context["file"].level == 4
    for text in (
        "4 · crisis",
        "Derived from the student's open cases.",
        "有具体计划",  # the reason of the level change, in the history
        reverse("counseling:case_detail", args=[case.pk]),
        reverse("counseling:case_detail", args=[first.pk]),
        "concern resolved",
        "与母亲关系好",
        "at high risk: intervention needed now",
        "武汉市精神卫生中心",
        "hospital referral",
        (timezone.localdate() + timedelta(days=2)).isoformat(),
    ):
        assert text in body, text
    assert "他最近总说" not in body  # narratives live on the case page, not in the file


def test_an_override_needs_a_reason_and_then_wins_over_the_open_cases(world, client_for, en):
    submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK])
    client = client_for(world["station"])
    url = reverse("counseling:care_level_override", args=[world.student_a.pk])
    for data in (
        {"level": "1", "reason": ""},
        {"level": "1", "reason": "   "},
        {"level": "9", "reason": "r"},
        {"level": "none"},
        {"level": "1", "reason": "x" * 2001},
        {"level": "1", "reason": "\x00"},
        {"level": "", "reason": "r"},
    ):
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert "Nothing was changed" in response.content.decode()
    assert not CareLevelOverride.objects.exists()

    assert client.post(url, {"level": "1", "reason": "情况已好转"}).status_code == 302
    file = selectors.care_file(world.student_a)
    assert file.level == 1 and file.override.reason == "情况已好转"
    body = client.get(reverse("counseling:care_file", args=[world.student_a.pk])).content.decode()
    assert "Set by hand by" in body and "情况已好转" in body

    assert client.post(url, {"level": "none", "reason": "已毕业离校"}).status_code == 302
    assert selectors.care_file(world.student_a).level is None
    assert CareLevelOverride.objects.filter(cleared_at__isnull=True).count() == 1

    assert client.post(url, {"level": "clear"}).status_code == 302
    assert selectors.care_file(world.student_a).level == 3
    assert CareLevelOverride.objects.count() == 2 and not CareLevelOverride.objects.filter(cleared_at=None).exists()


def test_an_override_reason_with_html_is_shown_escaped(world, client_for):
    client = client_for(world["counselor"])
    url = reverse("counseling:care_level_override", args=[world.student_a.pk])
    assert client.post(url, {"level": "2", "reason": "<script>alert(1)</script>"}).status_code == 302
    body = client.get(reverse("counseling:care_file", args=[world.student_a.pk])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_htmx_override_errors_return_the_form_partial(world, client_for):
    url = reverse("counseling:care_level_override", args=[world.student_a.pk])
    response = client_for(world["counselor"]).post(url, {"level": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    response = client_for(world["counselor"]).post(url, {"level": "2", "reason": "r"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].endswith(f"/care/{world.student_a.pk}/")


def test_later_issues_can_add_sections_to_the_file(world, client_for, monkeypatch):
    sections = [lambda student: {"title": "筛查结果", "template": "counseling/partials/care_level.html", "context": {}}]
    monkeypatch.setattr("counseling.selectors.crisis.care_file_sections", sections)
    response = client_for(world["counselor"]).get(reverse("counseling:care_file", args=[world.student_a.pk]))
    assert response.status_code == 200 and "筛查结果" in response.content.decode()


def test_the_case_page_links_to_the_care_file_only_for_those_who_may_open_it(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    link = reverse("counseling:care_file", args=[world.student_a.pk])
    assert link in client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk])).content.decode()
