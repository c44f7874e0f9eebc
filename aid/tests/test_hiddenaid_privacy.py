"""Every hidden-aid URL for every persona: the expected status (200/302/403/404/405, never a 500), and
no page shows recipients to anyone but aid officers."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from aid.models import HiddenAidBatch
from aid.services import hiddenaid as services
from aid.tests.test_hiddenaid_helpers import MONTH, add_record, evaluated_batch, make_fund

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
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
OFFICERS = {"aidofficer", "admin"}
COLLEGE_REVIEWERS = {"station", "station_b", "aidreviewer"}  # station_b is of college B


@pytest.fixture
def setup(world):
    officer = world["aidofficer"]
    add_record(world.student_a, 70, "200.00")
    add_record(world.student_b, 70, "250.00")
    draft = evaluated_batch(officer)
    feb = date(2025, 2, 1)
    add_record(world.student_a, 70, "200.00", month=feb)
    approved = services.hiddenaid_batch_approve(
        actor=officer, batch=evaluated_batch(officer, month=feb), fund=make_fund()
    )
    return {
        "draft": draft,
        "approved": approved,
        "cand_a": draft.candidates.get(student=world.student_a),
        "cand_b": draft.candidates.get(student=world.student_b),
        "own": approved.candidates.get(student=world.student_a),
    }


def _expected(persona: str, case: str) -> int:
    """The status each persona gets for each case (see CASES)."""
    if persona == "anonymous":
        return 302
    officer = persona in OFFICERS
    college = persona in COLLEGE_REVIEWERS
    table = {
        "index": 200 if officer or college else 403,
        "import_get": 200 if officer else 403,
        "import_post": 200 if officer else 403,
        "evaluate_get": 405,
        "evaluate_post": 302 if officer else 403,
        "draft_get": 200 if officer or college else 404,
        "approved_get": 200 if officer else 404,
        "add_draft": 302 if officer or college else 404,
        "add_approved": {"aidofficer": 403, "admin": 302}.get(persona, 404),
        "remove_a": 302 if officer or persona in {"station", "aidreviewer"} else 404,
        "remove_b": 302 if officer or persona == "station_b" else 404,
        "approve": 302 if officer else 403 if college else 404,
        "pay": 302 if officer else 404,
        "mine": 200,
        "decline_own": 302 if persona == "student" else 404,
        "return_own": 302 if persona == "student" else 404,
        "remove_get": 405,
    }
    return table[case]


def _cases(s) -> list[tuple[str, str, str]]:
    return [
        ("index", "get", reverse("aid:hiddenaid_index")),
        ("import_get", "get", reverse("aid:hiddenaid_import")),
        ("import_post", "post", reverse("aid:hiddenaid_import")),
        ("evaluate_get", "get", reverse("aid:hiddenaid_evaluate")),
        ("evaluate_post", "post", reverse("aid:hiddenaid_evaluate")),
        ("draft_get", "get", reverse("aid:hiddenaid_batch", args=[s["draft"].pk])),
        ("approved_get", "get", reverse("aid:hiddenaid_batch", args=[s["approved"].pk])),
        ("add_draft", "post", reverse("aid:hiddenaid_candidate_add", args=[s["draft"].pk])),
        ("add_approved", "post", reverse("aid:hiddenaid_candidate_add", args=[s["approved"].pk])),
        ("remove_a", "post", reverse("aid:hiddenaid_candidate_remove", args=[s["cand_a"].pk])),
        ("remove_b", "post", reverse("aid:hiddenaid_candidate_remove", args=[s["cand_b"].pk])),
        ("approve", "post", reverse("aid:hiddenaid_approve", args=[s["draft"].pk])),
        ("pay", "post", reverse("aid:hiddenaid_pay", args=[s["approved"].pk + 1000])),
        ("mine", "get", reverse("aid:hiddenaid_mine")),
        ("decline_own", "post", reverse("aid:hiddenaid_decline", args=[s["own"].pk])),
        ("return_own", "post", reverse("aid:hiddenaid_return", args=[s["own"].pk])),
        ("remove_get", "get", reverse("aid:hiddenaid_candidate_remove", args=[s["cand_a"].pk])),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_hidden_aid_url_for_every_persona(world, setup, persona):
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        client.force_login(world[persona], backend="django.contrib.auth.backends.ModelBackend")
    got, want = {}, {}
    for case, method, url in _cases(setup):
        # Empty posts: each action refuses them with a message, so the matrix changes nothing.
        response = getattr(client, method)(url)
        expected = _expected(persona, case)
        if case == "pay" and persona != "anonymous":
            expected = 404  # a batch that does not exist: 404 for everyone
        got[case], want[case] = response.status_code, expected
    assert got == want


def test_the_pay_url_of_a_real_batch(world, setup, client_for):
    url = reverse("aid:hiddenaid_pay", args=[setup["approved"].pk])
    assert client_for(world["station"]).post(url).status_code == 404
    assert client_for(world["aidreviewer"]).post(url).status_code == 404
    assert client_for(world["student"]).post(url).status_code == 404
    assert client_for(world["aidofficer"]).post(url).status_code == 302


def test_college_staff_see_only_their_college_and_only_under_review(world, setup, client_for):
    name_a, name_b = world.student_a.name, world.student_b.name
    page = client_for(world["station"]).get(reverse("aid:hiddenaid_batch", args=[setup["draft"].pk])).content.decode()
    assert name_a in page and name_b not in page
    page = client_for(world["station_b"]).get(reverse("aid:hiddenaid_batch", args=[setup["draft"].pk])).content.decode()
    assert name_b in page and name_a not in page
    index = client_for(world["aidreviewer"]).get(reverse("aid:hiddenaid_index")).content.decode()
    assert "2025-03" in index and "2025-02" not in index  # the approved batch is a list of recipients
    officer = client_for(world["aidofficer"]).get(reverse("aid:hiddenaid_batch", args=[setup["approved"].pk]))
    assert name_a in officer.content.decode()


def test_a_student_sees_only_their_own_subsidy(world, setup, client_for):
    services.hiddenaid_batch_approve(actor=world["aidofficer"], batch=setup["draft"], fund=make_fund(name="另一基金"))
    mine = client_for(world["student"]).get(reverse("aid:hiddenaid_mine")).content.decode()
    assert mine.count('data-testid="subsidy"') == 2  # student_a's March and February, nobody else's
    assert world.student_b.name not in mine
    other = client_for(world.roommate_a.user).get(reverse("aid:hiddenaid_mine")).content.decode()
    assert 'data-testid="subsidy"' not in other
    b = client_for(world.student_b.user).get(reverse("aid:hiddenaid_mine")).content.decode()
    assert b.count('data-testid="subsidy"') == 1


def test_a_draft_batch_is_not_shown_to_its_students(world, setup, client_for):
    assert HiddenAidBatch.objects.get(pk=setup["draft"].pk).status == HiddenAidBatch.Status.DRAFT
    mine = client_for(world.student_b.user).get(reverse("aid:hiddenaid_mine")).content.decode()
    assert MONTH.strftime("%Y-%m") not in mine
