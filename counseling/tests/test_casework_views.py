"""Staff casework: the triage queue, the case page and every action on it, assigned cases.

Every persona tries every view and action on a case in scope (college A) and one out of scope
(college B); bad input comes back as a form with a message and changes nothing.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import (
    Assessment,
    Case,
    CaseEvent,
    InterventionAction,
    Report,
    ReporterQuestion,
    Sign,
)
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
TRIAGERS = {"station", "station_b", "counselor", "admin"}
STAFF = TRIAGERS | {"assessor"}
NARRATIVE = "独特叙述XYZZY他说不想活了"


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"


def _case_with_objects(world, student):
    report = submit_report(reporter=world["liaison"], student=student, narrative=NARRATIVE)
    case = report.case
    action = services.action_add(
        actor=world["counselor"],
        case=case,
        kind=InterventionAction.Kind.INTERVIEW,
        owner=world["counselor"],
        due_date=timezone.localdate() + timedelta(days=2),
    )
    return case, report, action


def _post_endpoints(case, report, action):
    """(url name, url) for every POST-only action endpoint of the case page."""
    by_case = [
        "case_acknowledge",
        "case_level",
        "case_owner",
        "case_touchpoint",
        "case_status",
        "case_note",
        "case_assessors",
        "case_assessment",
        "case_action_add",
        "case_match",
    ]
    urls = [(name, reverse(f"counseling:{name}", args=[case.pk])) for name in by_case]
    urls.append(("report_ask", reverse("counseling:report_ask", args=[report.pk])))
    urls.append(("action_done", reverse("counseling:action_done", args=[action.pk])))
    return urls


def _expected_post(persona, in_scope_personas, name):
    """An empty POST: 404 outside the scope; 403 when visible but not allowed; else the form (200)
    or, for the actions that need no input, done (302)."""
    if persona not in in_scope_personas:
        return 404
    if name == "case_match" and persona not in {"counselor", "admin"}:
        return 403
    if name in ("case_acknowledge", "action_done"):
        return 302
    return 200


# --- Every persona × every view and action ----------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("scope", ["a", "b"])
def test_every_persona_gets_the_expected_answer_from_every_case_endpoint(world, client_for, persona, scope):
    student = world.student_a if scope == "a" else world.student_b
    case, report, action = _case_with_objects(world, student)
    in_scope = {"station", "counselor", "admin"} if scope == "a" else {"station_b", "counselor", "admin"}
    client = client_for(world[persona])
    problems = []

    detail = client.get(reverse("counseling:case_detail", args=[case.pk])).status_code
    if detail != (200 if persona in in_scope else 404):
        problems.append(("case_detail", detail))
    for name, url in _post_endpoints(case, report, action):
        got = client.get(url).status_code
        if got != 405:
            problems.append((name, "GET", got))
    for name, url in _post_endpoints(case, report, action):
        got = client.post(url, {}).status_code
        if got != _expected_post(persona, in_scope, name):
            problems.append((name, "POST", got))
    assert problems == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_the_expected_answer_from_the_list_pages(world, client_for, persona):
    submit_report(reporter=world["liaison"], student=world.student_a)
    client = client_for(world[persona])
    assert client.get(reverse("counseling:queue")).status_code == (200 if persona in TRIAGERS else 403)
    assert client.get(reverse("counseling:my_cases")).status_code == (200 if persona in STAFF else 403)
    for name in ("counseling:queue", "counseling:my_cases"):
        assert client.post(reverse(name)).status_code == 405


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    case, report, action = _case_with_objects(world, world.student_a)
    pages = [
        reverse("counseling:queue"),
        reverse("counseling:my_cases"),
        reverse("counseling:case_detail", args=[case.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    for _, url in _post_endpoints(case, report, action):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_a_reporter_sees_nothing_of_the_case(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, narrative=NARRATIVE).case
    client = client_for(world["liaison"])
    assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("counseling:case_note", args=[case.pk]), {"note": "x"}).status_code == 404
    assert client.get(reverse("counseling:queue")).status_code == 403
    assert client.get(reverse("counseling:my_cases")).status_code == 403
    assert client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 403


def test_the_student_the_case_is_about_cannot_open_it(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    assert client_for(world["student"]).get(reverse("counseling:case_detail", args=[case.pk])).status_code == 404


# --- The triage queue ---------------------------------------------------------------------------------


def test_the_queue_never_shows_the_narrative_and_sorts_by_level_then_age(world, client_for, en):
    low = submit_report(reporter=world["liaison"], student=world.student_a, narrative=NARRATIVE).case
    high = submit_report(reporter=world["liaison"], student=world.roommate_a, signs=[Sign.SUICIDE_TALK]).case
    response = client_for(world["station"]).get(reverse("counseling:queue"))
    body = response.content.decode()
    assert NARRATIVE not in body and "昨晚" not in body
    assert [c.pk for c in response.context["page"]] == [high.pk, low.pk]
    assert world.student_a.student_no in body and world.class_a.name in body
    assert 'class="badge level-badge-3"' in body and 'class="badge level-badge-1"' in body
    assert " left" in body


@pytest.mark.any_day
def test_the_queue_shows_overdue_acknowledgements_and_touchpoints(world, client_for, en):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    Case.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(hours=3))
    other = submit_report(reporter=world["liaison"], student=world.roommate_a).case
    services.case_acknowledge(actor=world["station"], case=other)
    Case.objects.filter(pk=other.pk).update(next_touchpoint=timezone.localdate() - timedelta(days=1))
    submit_report(reporter=world["liaison"], student=StudentFactory(class_group=world.class_a))
    client = client_for(world["station"])
    body = client.get(reverse("counseling:queue")).content.decode()
    assert "overdue by 3" in body
    response = client.get(reverse("counseling:queue"), {"overdue": "on"})
    assert {c.pk for c in response.context["page"]} == {case.pk, other.pk}


def test_the_queue_filters_by_level_status_and_student_but_not_narrative(world, client_for):
    first = submit_report(reporter=world["liaison"], student=world.student_a, narrative=NARRATIVE).case
    second = submit_report(reporter=world["liaison"], student=world.roommate_a, signs=[Sign.CONFLICT]).case
    services.case_acknowledge(actor=world["station"], case=second)
    services.case_transition(actor=world["station"], case=second, to_status=Case.Status.CLOSED, reason="resolved")
    client = client_for(world["station"])

    def pks(**params):
        return {c.pk for c in client.get(reverse("counseling:queue"), params).context["page"]}

    assert pks() == {first.pk}
    assert pks(status="all") == {first.pk, second.pk}
    assert pks(status="closed") == {second.pk}
    assert pks(status="all", level=2) == {second.pk}
    assert pks(q=world.student_a.student_no) == {first.pk}
    assert pks(q="买买提") == {first.pk}
    assert pks(q="XYZZY") == set()
    # Bad filters are ignored, never a 500.
    assert client.get(reverse("counseling:queue"), {"level": "9", "status": "bogus", "q": "a\x00b"}).status_code == 200


def test_the_queue_is_scoped_to_the_station_college(world, client_for):
    mine = submit_report(reporter=world["liaison"], student=world.student_a).case
    theirs = submit_report(reporter=None, anonymous=True, student=world.student_b).case
    unmatched = submit_report(reporter=world["liaison"], student=None).case
    station = {c.pk for c in client_for(world["station"]).get(reverse("counseling:queue")).context["page"]}
    assert station == {mine.pk}
    centre = client_for(world["counselor"]).get(reverse("counseling:queue"))
    assert {c.pk for c in centre.context["page"]} == {mine.pk, theirs.pk, unmatched.pk}
    assert "未知同学" in centre.content.decode()


def _make_cases(world, n):
    for _ in range(n):
        submit_report(reporter=None, anonymous=True, student=StudentFactory(class_group=world.class_a))


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_queue_costs_the_same_queries_for_5_or_50_cases(world, client_for, persona, django_assert_max_num_queries):
    client = client_for(world[persona])
    url = reverse("counseling:queue")
    _make_cases(world, 5)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(url).context["page"]) == 5
    _make_cases(world, 45)
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as fifty:
        assert len(client.get(url).context["page"]) == 50
    assert len(five.captured_queries) == len(fifty.captured_queries)


# --- The case page ------------------------------------------------------------------------------------


def test_opening_a_case_is_audited(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk]))
    assert AuditEvent.objects.filter(
        actor=world["station"], action="read", object_type="counseling.case", object_id=str(case.pk)
    ).exists()


def test_the_case_page_shows_reports_questions_assessments_actions_and_the_timeline(world, client_for, en):
    case, report, _action = _case_with_objects(world, world.student_a)
    submit_report(reporter=None, anonymous=True, student=world.student_a, signs=[Sign.SELF_HARM], in_danger=True)
    services.reporter_question_ask(actor=world["station"], report=report, question="你什么时候注意到的？")
    services.assessment_record(
        actor=world["counselor"],
        case=case,
        risk_factors="失眠",
        protective_factors="室友支持",
        conclusion=Assessment.Conclusion.AT_RISK,
    )
    services.case_add_note(actor=world["station"], case=case, note="已和辅导员谈话")
    body = client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk])).content.decode()
    for text in (
        NARRATIVE,
        "昨晚 北苑3栋",
        "你什么时候注意到的？",
        "Not answered yet.",
        "anonymous reporter",
        world["liaison"].display_name,
        "in danger right now",
        "室友支持",
        "at risk: intervention and close follow-up",
        "interview",
        "已和辅导员谈话",
        "case opened",
        "Open the care e-file",
    ):
        assert text in body, text
    # The conclusion's wording: "screening positive" / "at risk", never a diagnosis.
    assert 'Use "screening positive" or "at risk"' in body or "Use &quot;screening positive&quot;" in body


def test_the_case_page_shows_only_the_forms_the_role_allows(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_acknowledge(actor=world["station"], case=case)
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["assessor"]])
    station = client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk]))
    keys = {p["key"] for p in station.context["panels"]}
    assert {"level", "owner", "touchpoint", "status", "note", "assessors", "assessment", "action"} <= keys
    assert "match" not in keys and "acknowledge" not in keys
    # A station may not close a level-3 case: "closed" is not offered.
    status_form = next(p["form"] for p in station.context["panels"] if p["key"] == "status")
    assert [v for v, _ in status_form.fields["to_status"].choices] == ["assessing", "monitoring"]

    assessor = client_for(world["assessor"]).get(reverse("counseling:case_detail", args=[case.pk]))
    assert {p["key"] for p in assessor.context["panels"]} == {"note", "assessment", "action"}
    assert "care-file-link" not in assessor.content.decode()


# --- Each action changes the case and appends to the timeline --------------------------------------------


def _future(days=3):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


ACTIONS = {
    "acknowledge": ("case_acknowledge", lambda w, c: {}, lambda c: c.status == "acknowledged", "acknowledged"),
    "level": (
        "case_level",
        lambda w, c: {"level": 3, "self_harm_level": 3, "others_harm_level": 1, "reason": "有计划"},
        lambda c: (c.level, c.self_harm_level, c.others_harm_level) == (3, 3, 1),
        "level",
    ),
    "owner": ("case_owner", lambda w, c: {"owner": w["station"].pk}, lambda c: c.owner_id is not None, "owner"),
    "touchpoint": (
        "case_touchpoint",
        lambda w, c: {"on": _future(), "note": "约谈"},
        lambda c: c.next_touchpoint == timezone.localdate() + timedelta(days=3),
        "touchpoint",
    ),
    "status": (
        "case_status",
        lambda w, c: {"to_status": "assessing"},
        lambda c: c.status == "assessing",
        "status",
    ),
    "note": ("case_note", lambda w, c: {"note": "电话联系了家长"}, lambda c: True, "note"),
    "assessors": (
        "case_assessors",
        lambda w, c: {"assessors": [w["assessor"].pk]},
        lambda c: list(c.assessors.all()) != [],
        "assessors",
    ),
    "assessment": (
        "case_assessment",
        lambda w, c: {"risk_factors": "独居", "protective_factors": "家人", "conclusion": "screening_positive"},
        lambda c: c.assessments.count() == 1,
        "assessment",
    ),
    "action": (
        "case_action_add",
        lambda w, c: {
            "kind": "hospital",
            "owner": w["counselor"].pk,
            "due_date": _future(1),
            "hospital": "武汉市精神卫生中心",
            "referral_date": _future(1),
        },
        lambda c: c.actions.get().hospital == "武汉市精神卫生中心",
        "action",
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_changes_the_case_and_appends_to_the_timeline(world, client_for, action):
    url_name, data, check, kind = ACTIONS[action]
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    if action == "status":
        services.case_acknowledge(actor=world["station"], case=case)
    before = case.events.count()
    response = client_for(world["station"]).post(reverse(f"counseling:{url_name}", args=[case.pk]), data(world, case))
    assert response.status_code == 302 and response["Location"] == reverse("counseling:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert check(case)
    assert case.events.count() == before + 1
    event = case.events.last()
    assert event.kind == kind and event.actor == world["station"]


def test_asking_the_reporter_and_marking_an_action_done_append_to_the_timeline(world, client_for):
    case, report, action = _case_with_objects(world, world.student_a)
    client = client_for(world["station"])
    before = case.events.count()
    response = client.post(reverse("counseling:report_ask", args=[report.pk]), {"question": "他现在安全吗？"})
    assert response.status_code == 302
    assert ReporterQuestion.objects.get().question == "他现在安全吗？"
    response = client.post(reverse("counseling:action_done", args=[action.pk]), {"outcome": "已面谈"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.outcome == "已面谈"
    assert list(case.events.order_by("id").values_list("kind", flat=True))[before:] == ["question", "action"]


def test_an_action_owner_who_is_not_a_triager_may_mark_their_action_done(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["assessor"]])
    action = services.action_add(
        actor=world["counselor"],
        case=case,
        kind="companion",
        owner=world["assessor"],
        due_date=timezone.localdate(),
    )
    client = client_for(world["assessor"])
    page = client.get(reverse("counseling:my_cases"))
    assert [a.pk for a in page.context["actions"]] == [action.pk]
    assert [c.pk for c in page.context["cases"]] == [case.pk]
    assert client.post(reverse("counseling:action_done", args=[action.pk])).status_code == 302


def test_the_centre_matches_an_unmatched_case_by_student_number(world, client_for):
    case = submit_report(reporter=world["liaison"], student=None).case
    client = client_for(world["counselor"])
    page = client.get(reverse("counseling:case_detail", args=[case.pk]))
    assert "match" in {p["key"] for p in page.context["panels"]}
    url = reverse("counseling:case_match", args=[case.pk])
    response = client.post(url, {"student_no": "nobody"})
    assert response.status_code == 200 and "No student has this number." in response.content.decode()
    assert client.post(url, {"student_no": world.student_a.student_no}).status_code == 302
    case.refresh_from_db()
    assert (case.student, case.college) == (world.student_a, world.college_a)
    assert case.events.last().kind == CaseEvent.Kind.MATCHED
    # The station of the student's college now sees it; matching again is refused with a message.
    assert client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
    response = client_for(world["counselor"]).post(url, {"student_no": world.roommate_a.student_no})
    assert response.status_code == 200 and case.events.count() == 2


# --- The transition map per role -----------------------------------------------------------------------


def _acknowledged(world, **kw):
    case = submit_report(reporter=world["liaison"], student=world.student_a, **kw).case
    services.case_acknowledge(actor=world["counselor"], case=case)
    return case


def _status(client, case, **data):
    return client.post(reverse("counseling:case_status", args=[case.pk]), data)


def test_a_station_may_not_close_a_level_3_case_but_the_centre_may(world, client_for, en):
    case = _acknowledged(world, signs=[Sign.SUICIDE_TALK])
    response = _status(client_for(world["station"]), case, to_status="closed", reason="resolved")
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "acknowledged"
    assert _status(client_for(world["counselor"]), case, to_status="closed", reason="resolved").status_code == 302
    case.refresh_from_db()
    assert (case.status, case.close_reason) == ("closed", "resolved")
    # Reopening a level-3 case is the centre's too: the station has no move left → 403.
    assert _status(client_for(world["station"]), case, to_status="acknowledged").status_code == 403
    assert _status(client_for(world["counselor"]), case, to_status="acknowledged").status_code == 302
    case.refresh_from_db()
    assert case.status == "acknowledged" and case.closed_at is None


def test_a_station_may_close_and_reopen_a_level_1_case(world, client_for):
    case = _acknowledged(world)
    client = client_for(world["station"])
    assert _status(client, case, to_status="closed", reason="no_concern").status_code == 302
    assert _status(client, case, to_status="acknowledged").status_code == 302
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_an_assessor_moves_assessing_to_intervening_only_when_assigned(world, client_for):
    case = _acknowledged(world, signs=[Sign.SUICIDE_TALK])
    assessor = client_for(world["assessor"])
    assert _status(assessor, case, to_status="assessing").status_code == 404  # not assigned: not visible
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["assessor"]])
    assert _status(assessor, case, to_status="assessing").status_code == 403  # acknowledged: no move for them
    services.case_transition(actor=world["counselor"], case=case, to_status="assessing")
    response = _status(assessor, case, to_status="closed", reason="resolved")
    assert response.status_code == 200  # closing is not theirs: a message, nothing changed
    case.refresh_from_db()
    assert case.status == "assessing"
    assert _status(assessor, case, to_status="intervening").status_code == 302
    case.refresh_from_db()
    assert case.status == "intervening"


@pytest.mark.parametrize("to_status", ["new", "bogus", "", "closed\x00", "intervening"])
def test_an_invalid_transition_gives_a_message_not_a_500(world, client_for, to_status):
    case = _acknowledged(world)
    before = case.events.count()
    response = _status(client_for(world["station"]), case, to_status=to_status, reason="resolved")
    assert response.status_code == 200
    assert response.context["messages"]
    case.refresh_from_db()
    assert case.status == "acknowledged" and case.events.count() == before


def test_the_status_change_sees_the_current_status_even_if_the_page_was_stale(world, client_for):
    case = _acknowledged(world)
    services.case_transition(actor=world["counselor"], case=case, to_status="closed", reason="resolved")
    response = _status(client_for(world["counselor"]), case, to_status="monitoring")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "closed"


# --- Bad input on every form ------------------------------------------------------------------------------

HUGE = "长" * 100_000
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'

BAD_INPUT = [
    ("case_level", {"level": 3, "reason": ""}),
    ("case_level", {"level": 3, "reason": "   "}),
    ("case_level", {"level": 9, "reason": "r"}),
    ("case_level", {"level": 3, "self_harm_level": 7, "reason": "r"}),
    ("case_level", {"level": 3, "reason": HUGE}),
    ("case_level", {"level": 3, "reason": "a\x00b"}),
    ("case_level", {"level": 9, "reason": HTML}),
    ("case_owner", {"owner": 999_999}),
    ("case_owner", {"owner": "abc"}),
    ("case_owner", {"owner": "student"}),
    ("case_touchpoint", {"on": "2000-01-01"}),
    ("case_touchpoint", {"on": "not a date"}),
    ("case_touchpoint", {"on": "99999-01-01"}),
    ("case_touchpoint", {"on": "yesterday", "note": "x"}),
    ("case_touchpoint", {"on": "far", "note": HUGE}),
    ("case_status", {"to_status": "closed"}),
    ("case_status", {"to_status": "closed", "reason": "because"}),
    ("case_status", {"to_status": "monitoring", "note": HUGE}),
    ("case_note", {"note": ""}),
    ("case_note", {"note": "  \n "}),
    ("case_note", {"note": HUGE}),
    ("case_note", {"note": "nul\x00byte"}),
    ("case_assessors", {}),
    ("case_assessors", {"assessors": [999_999]}),
    ("case_assessors", {"assessors": ["station"]}),
    ("case_assessment", {"risk_factors": "x", "protective_factors": "", "conclusion": "at_risk"}),
    ("case_assessment", {"risk_factors": "x", "protective_factors": "y", "conclusion": "depression"}),
    ("case_assessment", {"risk_factors": HUGE, "protective_factors": "y", "conclusion": "at_risk"}),
    ("case_action_add", {"kind": "hospital", "owner": "counselor", "due_date": "future"}),
    ("case_action_add", {"kind": "interview", "owner": 999_999, "due_date": "future"}),
    ("case_action_add", {"kind": "interview", "owner": "counselor", "due_date": "2000-01-01"}),
    ("case_action_add", {"kind": "surgery", "owner": "counselor", "due_date": "future"}),
    ("case_action_add", {"kind": "other", "owner": "counselor", "due_date": "future", "note": HUGE}),
    ("report_ask", {"question": ""}),
    ("report_ask", {"question": "q" * 2001}),
    ("report_ask", {"question": "a\x00"}),
    ("action_done", {"outcome": HUGE}),
    ("action_done", {"outcome": "\x00"}),
    ("case_match", {"student_no": ""}),
    ("case_match", {"student_no": "\x00"}),
]


def _resolve(world, data):
    today = timezone.localdate()
    resolved = {}
    for key, value in data.items():
        if value in ("counselor", "student", "station"):
            value = world[value].pk if value != "student" else world["student"].pk
        elif value == "future":
            value = (today + timedelta(days=2)).isoformat()
        elif value == "yesterday":
            value = (today - timedelta(days=1)).isoformat()
        elif value == "far":
            value = (today + timedelta(days=400)).isoformat()
        elif isinstance(value, list):
            value = [world[v].pk if isinstance(v, str) else v for v in value]
        resolved[key] = value
    return resolved


def _snapshot(case):
    case.refresh_from_db()
    return (
        case.status,
        case.level,
        case.self_harm_level,
        case.owner_id,
        case.next_touchpoint,
        case.student_id,
        case.events.count(),
        sorted(case.assessors.values_list("pk", flat=True)),
        case.assessments.count(),
        list(case.actions.values_list("pk", "status")),
        ReporterQuestion.objects.count(),
    )


@pytest.mark.parametrize(("url_name", "data"), BAD_INPUT, ids=lambda v: str(v)[:40] if isinstance(v, str) else None)
def test_bad_input_comes_back_with_a_message_and_changes_nothing(world, client_for, en, url_name, data):
    if url_name == "case_match":
        case = submit_report(reporter=world["liaison"], student=None).case
        report = case.reports.get()
        action = None
    else:
        case, report, action = _case_with_objects(world, world.student_a)
        services.case_acknowledge(actor=world["counselor"], case=case)
    obj_pk = {"report_ask": report.pk, "action_done": action.pk if action else None}.get(url_name, case.pk)
    before = _snapshot(case)
    response = client_for(world["counselor"]).post(
        reverse(f"counseling:{url_name}", args=[obj_pk]), _resolve(world, data)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was changed: correct the form below." in body
    assert 'class="invalid-feedback' in body or "alert-danger" in body
    assert _snapshot(case) == before
    assert "<script>alert" not in body and "<img src=x" not in body


def test_html_is_shown_escaped_on_the_case_page(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, narrative=HTML).case
    client = client_for(world["station"])
    assert client.post(reverse("counseling:case_note", args=[case.pk]), {"note": HTML}).status_code == 302
    body = client.get(reverse("counseling:case_detail", args=[case.pk])).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_a_refused_change_on_a_closed_case_is_a_message(world, client_for, en):
    case = _acknowledged(world)
    services.case_transition(actor=world["counselor"], case=case, to_status="closed", reason="resolved")
    response = client_for(world["station"]).post(
        reverse("counseling:case_level", args=[case.pk]), {"level": 2, "reason": "r"}
    )
    assert response.status_code == 200
    assert "Reopen the case before changing its level." in response.content.decode()


# --- htmx -----------------------------------------------------------------------------------------------


def test_htmx_gets_the_form_partial_on_error_and_a_redirect_header_on_success(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    client = client_for(world["station"])
    url = reverse("counseling:case_note", args=[case.pk])
    response = client.post(url, {"note": ""}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="panel-note"' in body
    response = client.post(url, {"note": "好"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("counseling:case_detail", args=[case.pk])


def test_no_inline_script_or_style_on_the_casework_pages(world, client_for):
    case, _, _ = _case_with_objects(world, world.student_a)
    client = client_for(world["counselor"])
    for url in (
        reverse("counseling:queue"),
        reverse("counseling:my_cases"),
        reverse("counseling:case_detail", args=[case.pk]),
    ):
        body = client.get(url).content.decode()
        assert " style=" not in body and " onclick=" not in body and "<script>" not in body, url
        assert body.count("<script") == body.count("<script src="), url


def test_a_case_with_many_reports_shows_the_latest_and_all_on_request(world, client_for, monkeypatch):
    """A flood of reports about one student must not make the case page unbounded (seed_scale's flood case had
    1,400 reports: 2.4 MB). The latest are shown, oldest first as always; "Show all" shows every one."""
    from counseling.views import casework

    monkeypatch.setattr(casework, "REPORTS_SHOWN", 3)
    monkeypatch.setattr(casework, "EVENTS_SHOWN", 4)
    narratives = [f"第{n}份报告 NR{n:02d}" for n in range(5)]
    case = None
    for text in narratives:
        case = submit_report(reporter=world["student"], student=world.roommate_a, narrative=text).case
    c = client_for(world["station"])
    url = reverse("counseling:case_detail", args=[case.pk])
    page = c.get(url).content.decode()
    shown = [text for text in narratives if text in page]
    assert shown == narratives[2:]  # the latest three
    assert page.index(narratives[2]) < page.index(narratives[4])  # still oldest first
    assert 'data-testid="reports-more"' in page and 'data-testid="timeline-more"' in page
    assert page.count('<li class="border-start') == 4
    everything = c.get(url + "?all=1").content.decode()
    assert all(text in everything for text in narratives)
    assert 'data-testid="reports-more"' not in everything and 'data-testid="timeline-more"' not in everything
    assert everything.count('<li class="border-start') == 5  # created + four joined reports
    # Every report counts as seen once the case was opened, shown or not (the reporter's "seen").
    assert not case.reports.filter(seen_at__isnull=True).exists()


def test_a_case_with_few_reports_has_no_show_all(world, client_for):
    case = submit_report(reporter=world["student"], student=world.roommate_a).case
    page = client_for(world["station"]).get(reverse("counseling:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="reports-more"' not in page and 'data-testid="timeline-more"' not in page


def test_an_unmatched_case_with_many_reports_still_names_the_first_subject(world, client_for, monkeypatch):
    """Its summary says "unmatched: <the student as the first report gave them>", as the queue does, also when the
    first report is no longer among those shown."""
    from counseling.views import casework

    monkeypatch.setattr(casework, "REPORTS_SHOWN", 2)
    reports = [submit_report(reporter=world["student"], student=None) for _ in range(4)]
    case = reports[0].case
    for n, report in enumerate(reports):
        Report.objects.filter(pk=report.pk).update(case=case, subject_given=f"GIVEN{n}")
    page = client_for(world["counselor"]).get(reverse("counseling:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="reports-more"' in page
    assert "unmatched: GIVEN0" in page
