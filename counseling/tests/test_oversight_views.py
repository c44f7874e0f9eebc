"""Oversight pages: the dashboard, the monthly zero report and its overview. Each persona × each view."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Case, ZeroReport
from counseling.tests.factories import open_case, submit_report
from portal.kernel.dates import month_start
from portal.models import AuditEvent, ClassGroup, Role
from portal.tests.factories import ClassGroupFactory, StudentFactory, grant

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
OVERSEERS = {"station", "station_b", "counselor", "admin"}
EXPECTED = {
    "counseling:dashboard": OVERSEERS,
    "counseling:zero_reports": OVERSEERS,
    "counseling:zero_report": {"committee"},
}


@pytest.fixture
def en(client):
    """Pages in English (the source strings), whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def this_month() -> date:
    return month_start(timezone.localdate())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Who may open what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", sorted(EXPECTED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_designed_answer(world, client_for, en, url_name, persona):
    response = client_for(world[persona]).get(reverse(url_name))
    assert response.status_code == (200 if persona in EXPECTED[url_name] else 403)


@pytest.mark.parametrize("url_name", sorted(EXPECTED))
def test_signed_out_visitors_are_sent_to_sign_in(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"committee"}))
def test_only_committee_members_may_file_a_zero_report(world, client_for, persona):
    response = client_for(world[persona]).post(
        reverse("counseling:zero_report"), {"class_group": world.class_a.pk, "outcome": "nothing"}
    )
    assert response.status_code == 403
    assert not ZeroReport.objects.exists()


@pytest.mark.parametrize("url_name", ["counseling:dashboard", "counseling:zero_reports"])
def test_overview_pages_refuse_posts(world, client_for, url_name):
    assert client_for(world["counselor"]).post(reverse(url_name)).status_code == 405


# --- Dashboard -----------------------------------------------------------------------------------------


def _cases_table(response) -> dict:
    return {(row["college"], tuple(row["levels"])) for row in response.context["data"]["by_college"]}


def test_the_station_sees_its_college_and_the_centre_the_whole_school(world, client_for, en):
    open_case(student=world.student_a, in_danger=True)  # level 4, college A
    open_case(student=world.roommate_a)  # level 1, college A
    open_case(student=world.student_b, level_signs=["suicide_talk"])  # level 3, college B
    submit_report(reporter=world["liaison"], student=None)  # unmatched: the centre's queue

    station = client_for(world["station"]).get(reverse("counseling:dashboard"))
    assert _cases_table(station) == {("计算机学院", (1, 0, 0, 1))}
    assert station.context["data"]["open_total"] == 2
    assert "机电工程学院" not in station.content.decode()

    centre = client_for(world["counselor"]).get(reverse("counseling:dashboard"))
    assert _cases_table(centre) == {
        ("计算机学院", (1, 0, 0, 1)),
        ("机电工程学院", (0, 0, 1, 0)),
        (None, (1, 0, 0, 0)),
    }
    assert centre.context["data"]["open_total"] == 4
    assert "Unmatched (centre queue)" in centre.content.decode()

    station_b = client_for(world["station_b"]).get(reverse("counseling:dashboard"))
    assert _cases_table(station_b) == {("机电工程学院", (0, 0, 1, 0))}


@pytest.mark.any_day
def test_overdue_cards_count_and_link_to_the_filtered_queue(world, client_for, en):
    late = open_case(student=world.student_a, in_danger=True)
    Case.objects.filter(pk=late.pk).update(ack_due_at=timezone.now() - timedelta(minutes=5))
    followed = open_case(student=world.roommate_a)
    services.case_acknowledge(actor=world["station"], case=followed)
    Case.objects.filter(pk=followed.pk).update(next_touchpoint=timezone.localdate() - timedelta(days=1))
    open_case(student=world.student_b)  # college B: not the station's

    response = client_for(world["station"]).get(reverse("counseling:dashboard"))
    data = response.context["data"]
    assert (data["overdue_ack"], data["overdue_touchpoints"]) == (1, 1)
    assert f'href="{reverse("counseling:queue")}?overdue=1"' in response.content.decode()


@pytest.mark.any_day
def test_the_weekly_chart_data_is_embedded_as_json_without_inline_script(world, client_for, en):
    open_case(student=world.student_a)
    old = open_case(student=world.roommate_a)
    old.reports.update(created_at=timezone.now() - timedelta(weeks=3))
    open_case(student=world.student_b)  # not the station's
    response = client_for(world["station"]).get(reverse("counseling:dashboard"))
    html = response.content.decode()
    chart = json.loads(html.split('<script id="dashboard-data" type="application/json">')[1].split("</script>")[0])
    assert len(chart["weeks"]) == len(chart["weekly"]) == 12
    assert chart["weekly"][-1] == 1 and chart["weekly"][-4] == 1 and sum(chart["weekly"]) == 2
    assert chart["colleges"] == ["计算机学院"] and chart["series"][0] == [2]
    assert date.fromisoformat(chart["weeks"][-1]).weekday() == 0
    # CSP: the only inline <script> is the JSON data; no style attributes.
    assert html.count("<script>") == 0 and "style=" not in html
    assert "js/dashboard.js" in html and "css/counseling.css" in html and "echarts.min.js" in html


@pytest.mark.any_day
def test_zero_report_completion_by_college(world, client_for, en):
    other = ClassGroupFactory(college=world.college_a, name="软件2402班")
    member = StudentFactory(class_group=other).user
    grant(member, Role.CLASS_COMMITTEE, class_group=other)
    ClassGroupFactory(college=world.college_a, name="网络2501班")  # no committee member
    services.zero_report_file(
        actor=world["committee"], class_group=world.class_a, month=this_month(), nothing_to_report=True
    )
    response = client_for(world["station"]).get(reverse("counseling:dashboard"))
    (row,) = response.context["data"]["zero_reports"]
    assert (row["filed_n"], row["classes_n"], row["percent"], row["no_member_n"]) == (1, 2, 50, 1)
    assert "50%" in response.content.decode()
    centre = client_for(world["counselor"]).get(reverse("counseling:dashboard"))
    assert {r["name"]: r["percent"] for r in centre.context["data"]["zero_reports"]} == {
        "计算机学院": 50,
        "机电工程学院": None,
    }


def _make_cases(world, n: int) -> None:
    for i in range(n):
        student = StudentFactory(class_group=world.class_a if i % 2 else world.class_b)
        case = open_case(student=student, in_danger=i % 4 == 0)
        if i % 3 == 0:
            Case.objects.filter(pk=case.pk).update(
                ack_due_at=timezone.now() - timedelta(hours=1), next_touchpoint=timezone.localdate() - timedelta(days=2)
            )


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_dashboard_costs_the_same_queries_for_5_or_50_cases(
    world, client_for, persona, django_assert_max_num_queries
):
    client = client_for(world[persona])
    _make_cases(world, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("counseling:dashboard")).status_code == 200
    _make_cases(world, 45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("counseling:dashboard"))
    expected = Case.objects.filter(college=world.college_a) if persona == "station" else Case.objects.all()
    assert response.context["data"]["open_total"] == expected.count() >= 24
    assert len(few.captured_queries) <= 12


# --- Filing the monthly zero report -------------------------------------------------------------------


def test_a_committee_member_files_nothing_to_report_once(world, client_for, en):
    client = client_for(world["committee"])
    url = reverse("counseling:zero_report")
    page = client.get(url)
    assert page.context["form"].fields["class_group"].choices == [(world.class_a.pk, world.class_a.name)]
    response = client.post(url, {"class_group": world.class_a.pk, "outcome": "nothing"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    report = ZeroReport.objects.get()
    assert (report.class_group, report.month, report.nothing_to_report, report.filed_by) == (
        world.class_a,
        this_month(),
        True,
        world["committee"],
    )
    assert any("is filed" in m for m in messages_of(response))
    assert 'data-testid="zero-filed"' in response.content.decode()
    again = client.post(url, {"class_group": world.class_a.pk, "outcome": "concern", "note": "再来一次"}, follow=True)
    assert ZeroReport.objects.count() == 1 and ZeroReport.objects.get().nothing_to_report
    assert any("already filed" in m for m in messages_of(again))


def test_a_concern_is_filed_with_its_note_and_tells_the_station(world, client_for):
    client_for(world["committee"]).post(
        reverse("counseling:zero_report"),
        {"class_group": world.class_a.pk, "outcome": "concern", "note": "班里最近因为考试压力很大。"},
    )
    report = ZeroReport.objects.get()
    assert not report.nothing_to_report and report.note == "班里最近因为考试压力很大。"
    from portal.models import Reminder

    assert Reminder.objects.filter(recipient=world["station"], dedupe_key__startswith="zero:").exists()


@pytest.mark.any_day
def test_the_last_six_months_are_shown(world, client_for, en):
    month = this_month()
    two_back = date(month.year - (month.month <= 2), (month.month - 3) % 12 + 1, 1)
    services.zero_report_file(
        actor=world["committee"], class_group=world.class_a, month=two_back, nothing_to_report=True
    )
    response = client_for(world["committee"]).get(reverse("counseling:zero_report"))
    (row,) = response.context["history"]
    assert [m["month"] for m in row["months"]][:3][0] == month
    assert len(row["months"]) == 6
    assert [m["report"] is not None for m in row["months"]] == [False, False, True, False, False, False]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "concern", "note": "x" * 100_000}, "note"),
        ({"outcome": "concern", "note": "夜里\x00有人哭"}, "note"),
        ({"outcome": "concern", "note": "   "}, "note"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "nothing", "class_group": "abc"}, "class_group"),
        ({"outcome": "nothing", "class_group": "99999999999999999999999"}, "class_group"),
        ({"outcome": "nothing", "class_group": "OTHER"}, "class_group"),
        ({"outcome": "nothing", "class_group": ""}, "class_group"),
    ],
)
def test_odd_input_is_a_form_error_not_a_500(world, client_for, data, field):
    data = {"class_group": world.class_a.pk, **data}
    if data["class_group"] == "OTHER":
        data["class_group"] = world.class_b.pk  # a class of which the user is not a member
    response = client_for(world["committee"]).post(reverse("counseling:zero_report"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ZeroReport.objects.exists()


def test_a_member_of_several_classes_chooses_among_their_own(world, client_for, en):
    second = ClassGroupFactory(college=world.college_a, name="软件2402班")
    grant(world["committee"], Role.CLASS_COMMITTEE, class_group=second)
    client = client_for(world["committee"])
    url = reverse("counseling:zero_report")
    page = client.get(url)
    assert {pk for pk, _ in page.context["form"].fields["class_group"].choices} == {world.class_a.pk, second.pk}
    assert "<select" in page.content.decode()
    client.post(url, {"class_group": second.pk, "outcome": "nothing"})
    assert list(ZeroReport.objects.values_list("class_group__name", flat=True)) == ["软件2402班"]
    page = client.get(url)
    assert "form" in page.context and not page.context["all_filed"]  # 软件2401班 is still open
    assert page.context["form"].initial["class_group"] == world.class_a.pk
    response = client.post(url, {"class_group": world.class_b.pk, "outcome": "nothing"})
    assert "class_group" in response.context["form"].errors
    assert ZeroReport.objects.count() == 1


# --- The overview for stations and the centre ---------------------------------------------------------


def _file(world, class_group: ClassGroup, *, note: str = "", month: date | None = None) -> ZeroReport:
    report, _ = services.zero_report_file(
        actor=world["committee"],
        class_group=class_group,
        month=month or this_month(),
        nothing_to_report=not note,
        note=note,
    )
    return report


def test_the_station_sees_its_classes_and_the_centre_all(world, client_for, en):
    member_b = StudentFactory(class_group=world.class_b).user
    grant(member_b, Role.CLASS_COMMITTEE, class_group=world.class_b)
    _file(world, world.class_a, note="宿舍矛盾较多，希望辅导员关注。")
    station = client_for(world["station"]).get(reverse("counseling:zero_reports"))
    assert [(r["class_group"].name, r["status"]) for r in station.context["rows"]] == [("软件2401班", "concern")]
    html = station.content.decode()
    assert "宿舍矛盾" not in html  # the list never shows a note
    centre = client_for(world["counselor"]).get(reverse("counseling:zero_reports"))
    assert {(r["class_group"].name, r["status"]) for r in centre.context["rows"]} == {
        ("软件2401班", "concern"),
        ("机电2401班", "missing"),
    }
    assert centre.context["counts"] == {"filed": 0, "concern": 1, "missing": 1, "no_member": 0}


def test_a_station_reads_a_concern_note_of_its_college_and_the_read_is_audited(world, client_for, en):
    report = _file(world, world.class_a, note="宿舍矛盾较多，希望辅导员关注。<script>alert(1)</script>")
    url = reverse("counseling:zero_reports")
    response = client_for(world["station"]).get(url, {"note": report.pk})
    html = response.content.decode()
    assert "宿舍矛盾较多" in html and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert AuditEvent.objects.filter(actor=world["station"], action="read", object_id=str(report.pk)).exists()
    other = client_for(world["station_b"]).get(url, {"note": report.pk})
    assert other.status_code == 200 and "宿舍矛盾" not in other.content.decode()
    assert any("not found" in m for m in messages_of(other))


@pytest.mark.parametrize("note", ["abc", "-1", "1" * 40, "0", "１"])
def test_odd_note_ids_are_a_message(world, client_for, en, note):
    response = client_for(world["counselor"]).get(reverse("counseling:zero_reports"), {"note": note})
    assert response.status_code == 200
    assert any("not found" in m for m in messages_of(response))


def test_a_past_month_can_be_chosen(world, client_for, en):
    past = date(2024, 3, 1)
    _file(world, world.class_a, month=past)
    response = client_for(world["station"]).get(reverse("counseling:zero_reports"), {"month": "2024-03"})
    assert response.context["month"] == past
    assert [r["status"] for r in response.context["rows"]] == ["filed"]
    assert response.context["previous_month"] == "2024-02" and response.context["next_month"] == "2024-04"
    current = client_for(world["station"]).get(reverse("counseling:zero_reports"))
    assert [r["status"] for r in current.context["rows"]] == ["missing"]
    assert current.context["next_month"] is None


@pytest.mark.parametrize(
    "month",
    ["abc", "2024-13", "2024-00", "1999-12", "2024-3", "9999-99", "2024-03-01", "２０２４-０３", "x" * 5000, "2999-01"],
)
def test_a_bad_month_shows_this_month_with_a_message(world, client_for, en, month):
    response = client_for(world["station"]).get(reverse("counseling:zero_reports"), {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == this_month()
    assert messages_of(response)
