"""The aid dashboard: who sees it, its numbers in scope, each table as XLSX, bounded queries."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from aid.models import Tier
from aid.services import fiveaid as services
from aid.services.dashboard import dashboard_rollups_refresh
from aid.tests.factories import award_for, fiveaid_case_for, identified, workstudy_placed, workstudy_post
from portal.tests.factories import StudentFactory
from portal.tests.shown_words import workbook_faults

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
AID_STAFF = {"aidreviewer", "aidofficer", "admin"}
TABLES = ["tiers", "party", "programme", "college", "coverage"]


@pytest.fixture
def numbers(world):
    """College A: two identified (special, difficult), one more student unidentified; college B: one."""
    a1 = fiveaid_case_for(world.student_a, Tier.SPECIAL)
    a2 = fiveaid_case_for(world.roommate_a, Tier.DIFFICULT)
    identified(world.student_b, Tier.GENERAL)  # no case yet: counts as identified, covered by nothing
    award_for(world.student_a, amount="3700.00", party="state", code="grant")
    award_for(world.roommate_a, amount="2000.00", party="school", code="school-grant")
    award_for(world.student_b, amount="6000.00", party="state", code="encouragement")
    services.fiveaid_entry_add(
        actor=world["aidofficer"], case=a1, aid="employment", kind="coaching", title="简历", on=a1.opened_at.date()
    )
    workstudy_placed(world.roommate_a, workstudy_post(supervisor=world["aidofficer"]))
    return a1, a2


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona(world, client_for, numbers, persona):
    client = client_for(world[persona])
    assert client.get(reverse("aid:dashboard")).status_code == (200 if persona in AID_STAFF else 403)
    for table in TABLES:
        response = client.get(reverse("aid:dashboard_export", args=[table]))
        assert response.status_code == (200 if persona in AID_STAFF else 403)
    assert client.post(reverse("aid:dashboard")).status_code == 405


def test_an_unknown_table_is_404(world, client_for):
    assert client_for(world["aidofficer"]).get(reverse("aid:dashboard_export", args=["nope"])).status_code == 404


def test_the_officer_sees_the_whole_school(world, client_for, numbers):
    response = client_for(world["aidofficer"]).get(reverse("aid:dashboard"))
    data = response.context["data"]
    tiers = {row["college"]: row["counts"] for row in data.tiers}
    assert tiers[world.college_a.name] == [1, 1, 0]
    assert tiers[world.college_b.name] == [0, 0, 1]
    assert data.tier_totals == [1, 1, 1]
    party = {row["key"]: (row["awards"], str(row["amount"])) for row in data.by_party}
    assert party == {"state": (2, "9700.00"), "school": (1, "2000.00")}
    colleges = {row["label"]: (row["awards"], str(row["amount"])) for row in data.by_college}
    assert colleges[world.college_a.name] == (2, "5700.00")
    assert colleges[world.college_b.name] == (1, "6000.00")
    coverage = {row["college"]: row for row in data.coverage}
    a = coverage[world.college_a.name]
    assert a["identified"] == 2
    assert a["covered"] == {"money": 2, "employment": 1, "psychological": 0, "growth": 0, "self_help": 1}
    assert a["share"]["employment"] == 0.5
    b = coverage[world.college_b.name]
    assert b["identified"] == 1 and b["covered"]["money"] == 1 and b["covered"]["employment"] == 0
    chart = json.loads(
        response.content.decode().split('id="aid-dashboard-data" type="application/json">')[1].split("<")[0]
    )
    assert chart["tierSeries"] == [[1, 0], [1, 0], [0, 1]] or chart["tierSeries"] == [[0, 1], [0, 1], [1, 0]]


def test_a_referral_counts_as_psychological_aid(world, client_for, numbers):
    import uuid

    a1, _a2 = numbers
    services.fiveaid_refer(actor=world["aidofficer"], case=a1, note="请关心", idempotency_key=uuid.uuid4())
    data = client_for(world["aidofficer"]).get(reverse("aid:dashboard")).context["data"]
    assert {r["college"]: r["covered"]["psychological"] for r in data.coverage}[world.college_a.name] == 1


def test_the_reviewer_sees_their_college_only(world, client_for, numbers):
    response = client_for(world["aidreviewer"]).get(reverse("aid:dashboard"))
    data = response.context["data"]
    assert [row["college"] for row in data.tiers] == [world.college_a.name]
    assert {row["key"]: row["awards"] for row in data.by_party} == {"state": 1, "school": 1}
    page = response.content.decode()
    assert world.college_b.name not in page
    rows = xlsx_rows(client_for(world["aidreviewer"]).get(reverse("aid:dashboard_export", args=["college"])))
    assert [r[0] for r in rows[1:]] == [world.college_a.name]


def test_each_table_exports_as_xlsx_with_the_page_numbers(world, client_for, numbers):
    client = client_for(world["aidofficer"])
    for table in TABLES:
        response = client.get(reverse("aid:dashboard_export", args=[table]))
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert f"aid-{table}-" in response["Content-Disposition"]
    # No code in a sheet name or a cell, in Chinese (portal.kernel.display).
    chinese = Client()
    chinese.force_login(world["aidofficer"], backend="django.contrib.auth.backends.ModelBackend")
    chinese.cookies["django_language"] = "zh-hans"
    for table in TABLES:
        workbook = load_workbook(io.BytesIO(chinese.get(reverse("aid:dashboard_export", args=[table])).content))
        assert workbook_faults(workbook, language="zh-hans") == [], table
    tiers = xlsx_rows(client.get(reverse("aid:dashboard_export", args=["tiers"])))
    assert tiers[0] == ["College", "especially difficult", "difficult", "generally difficult", "Total"]
    assert tiers[-1] == ["Total", 1, 1, 1, 3]
    party = xlsx_rows(client.get(reverse("aid:dashboard_export", args=["party"])))
    assert {r[0]: (r[1], r[2]) for r in party[1:]} == {"state": (2, 9700), "school": (1, 2000)}
    coverage = xlsx_rows(client.get(reverse("aid:dashboard_export", args=["coverage"])))
    assert coverage[0][:4] == ["College", "Identified students", "money", "money (share)"]
    total = coverage[-1]
    assert total[0] == "Total" and total[1] == 3 and total[2] == 3  # every identified student has an award


def test_formula_like_names_are_written_as_text(world, client_for):
    college = world.college_a
    college.name = "=HYPERLINK(1)"
    college.save()
    rows = xlsx_rows(client_for(world["aidofficer"]).get(reverse("aid:dashboard_export", args=["tiers"])))
    assert "'=HYPERLINK(1)" in [r[0] for r in rows]


def test_a_bad_year_parameter_falls_back_to_the_current_year(world, client_for, numbers):
    client = client_for(world["aidofficer"])
    for year in ("abc", "\x00", "9" * 1000, "-1", "999999"):
        assert client.get(reverse("aid:dashboard"), {"year": year}).status_code == 200


def test_the_dashboard_costs_the_same_queries_for_5_and_50_students(world, client_for, django_assert_max_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            student = StudentFactory(class_group=world.class_a if i % 2 else world.class_b)
            fiveaid_case_for(student, Tier.DIFFICULT)
            award_for(student, amount="1000.00", party="state", code=f"p{i % 3}")

    add(5)
    client = client_for(world["aidofficer"])
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("aid:dashboard"))
    add(45)
    dashboard_rollups_refresh()  # what beat does every few minutes: the page shows the rollup
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("aid:dashboard"))
    assert sum(response.context["data"].tier_totals) == 50
    with django_assert_max_num_queries(15):
        client.get(reverse("aid:dashboard_export", args=["coverage"]))


def test_the_page_shows_the_rollup_until_beat_recomputes_it_and_says_when(world, client_for, numbers, time_machine):
    """The page reads the rollup (at most ROLLUP_SECONDS old, the README says); the XLSX counts afresh."""
    from aid.selectors.dashboard import ROLLUP_SECONDS

    time_machine.move_to("2026-03-02 10:00 +08:00")
    client = client_for(world["aidofficer"])
    before = client.get(reverse("aid:dashboard"))
    total = sum(before.context["data"].tier_totals)
    assert "2026-03-02 10:00" in before.content.decode()
    fiveaid_case_for(StudentFactory(class_group=world.class_a), Tier.DIFFICULT)
    time_machine.move_to("2026-03-02 10:03 +08:00")
    assert sum(client.get(reverse("aid:dashboard")).context["data"].tier_totals) == total  # the rollup
    tiers = xlsx_rows(client.get(reverse("aid:dashboard_export", args=["tiers"])))
    assert tiers[-1][-1] == total + 1  # the export counts now
    assert dashboard_rollups_refresh() == 2  # beat: the whole school, in both languages
    after = client.get(reverse("aid:dashboard"))
    assert sum(after.context["data"].tier_totals) == total + 1
    assert "2026-03-02 10:03" in after.content.decode()
    assert ROLLUP_SECONDS <= 600


def test_reviewers_of_different_colleges_and_the_officer_each_get_their_own_rollup(world, client_for, numbers):
    for _ in range(2):  # the second round reads the rollups
        officer = client_for(world["aidofficer"]).get(reverse("aid:dashboard")).context["data"]
        reviewer = client_for(world["aidreviewer"]).get(reverse("aid:dashboard")).context["data"]
        assert [c.pk for c in reviewer.colleges] == [world.college_a.pk]
        assert {c.pk for c in officer.colleges} >= {world.college_a.pk, world.college_b.pk}
        assert sum(reviewer.tier_totals) < sum(officer.tier_totals)


def test_the_rollup_follows_the_language(world, client_for, numbers):
    client = client_for(world["aidofficer"])
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("aid:dashboard"))
    client.cookies["django_language"] = "en"
    english = client.get(reverse("aid:dashboard"))
    assert chinese.context["data"] is not english.context["data"]
    assert "Aid dashboard" in english.content.decode()
    assert "Aid dashboard" not in chinese.content.decode()
