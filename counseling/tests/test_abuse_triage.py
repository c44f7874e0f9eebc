"""Attacker stories against triage and care files (issue 13).

- The bored insider: a station counsellor of college A who types the ids of college B's cases, care files,
  intervention actions and reporter questions into the address bar and into hand-made POSTs. Every answer is
  the 404 of an id that does not exist, and nothing changes.
- The same insider widens the case: names an owner, an action owner or an assessor who has no business with
  it, or links an unmatched report to a student of their choosing.
- The curious assessor: opens cases they were never assigned.
- The colleague: reads a session note they did not write (only its author and the centre's supervisors may).
- Every read of a case or a care file leaves an audit entry; a refused one leaves none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import Case, InterventionAction, ReporterQuestion, SessionNote, Sign
from counseling.tests.factories import submit_report
from counseling.tests.test_appointments_helpers import past_booking
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

MISSING = 2_000_000_000  # an id no object has


def _due(days: int = 2) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _case_in(world, student):
    """A college's case with a named reporter's report, a question to the reporter and an open action."""
    report = submit_report(reporter=world["liaison"], student=student, narrative="他说不想活了")
    case = report.case
    question = services.reporter_question_ask(actor=world["counselor"], report=report, question="他现在安全吗？")
    action = services.action_add(
        actor=world["counselor"],
        case=case,
        kind=InterventionAction.Kind.INTERVIEW,
        owner=world["counselor"],
        due_date=timezone.localdate() + timedelta(days=2),
    )
    return case, report, question, action


def _valid_posts(world, case_pk: int, report_pk: int, action_pk: int) -> list[tuple[str, dict]]:
    """Every POST action of the case page, each with input that would succeed for someone allowed."""

    def case_url(name: str, pk: int = case_pk) -> str:
        return reverse(f"counseling:{name}", args=[pk])

    return [
        (case_url("case_acknowledge"), {}),
        (case_url("case_level"), {"level": 1, "self_harm_level": 1, "others_harm_level": 1, "reason": "降级"}),
        (case_url("case_owner"), {"owner": world["station"].pk}),
        (case_url("case_touchpoint"), {"on": _due(3), "note": "约谈"}),
        (case_url("case_status"), {"to_status": "closed", "reason": "resolved"}),
        (case_url("case_note"), {"note": "外院辅导员的备注"}),
        (case_url("case_assessors"), {"assessors": [world["assessor"].pk]}),
        (case_url("case_assessment"), {"risk_factors": "x", "protective_factors": "y", "conclusion": "at_risk"}),
        (case_url("case_action_add"), {"kind": "interview", "owner": world["station"].pk, "due_date": _due()}),
        (case_url("case_match"), {"student_no": world.student_a.student_no}),
        (reverse("counseling:report_ask", args=[report_pk]), {"question": "你是谁？"}),
        (reverse("counseling:action_done", args=[action_pk]), {"outcome": "已完成"}),
    ]


def _snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.level,
        case.owner_id,
        case.next_touchpoint,
        case.events.count(),
        case.assessments.count(),
        case.actions.filter(status=InterventionAction.Status.OPEN).count(),
        ReporterQuestion.objects.filter(report__case=case).count(),
        sorted(case.assessors.values_list("pk", flat=True)),
    )


def test_a_station_counsellor_typing_another_colleges_case_ids_gets_the_404_of_a_missing_id(world, client_for):
    theirs, report, _question, action = _case_in(world, world.student_b)
    before = _snapshot(theirs)
    client = client_for(world["station"])

    answers = {}
    for (url, data), (missing_url, _) in zip(
        _valid_posts(world, theirs.pk, report.pk, action.pk),
        _valid_posts(world, MISSING, MISSING, MISSING),
        strict=True,
    ):
        answers[url] = (client.post(url, data).status_code, client.post(missing_url, data).status_code)
    answers["detail"] = (
        client.get(reverse("counseling:case_detail", args=[theirs.pk])).status_code,
        client.get(reverse("counseling:case_detail", args=[MISSING])).status_code,
    )

    assert set(answers.values()) == {(404, 404)}, answers
    assert _snapshot(theirs) == before
    assert not AuditEvent.objects.filter(actor=world["station"]).exists()


def test_a_station_counsellor_cannot_open_or_change_another_colleges_care_file(world, client_for):
    services.case_acknowledge(actor=world["counselor"], case=_case_in(world, world.student_b)[0])
    client = client_for(world["station"])
    for pk in (world.student_b.pk, MISSING):
        assert client.get(reverse("counseling:care_file", args=[pk])).status_code == 404
        assert (
            client.post(
                reverse("counseling:care_level_override", args=[pk]), {"level": "4", "reason": "我觉得很严重"}
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("counseling:visit_recommendation", args=[pk]), {"decision": "recommend", "reason": "家访"}
            ).status_code
            == 404
        )
    assert world.student_b.name not in client.get(reverse("counseling:care_list") + "?everyone=on").content.decode()
    assert not world.student_b.care_level_overrides.exists()


def test_a_station_counsellor_cannot_answer_a_reporters_question_for_them(world, client_for):
    """The reporter answers their own questions; a counsellor posting the answer by id gets a 404."""
    _case, _report, question, _action = _case_in(world, world.student_a)
    for persona in ("station", "station_b", "counselor"):
        response = client_for(world[persona]).post(
            reverse("counseling:my_question_answer", args=[question.pk]), {"answer": "他没事了"}
        )
        assert response.status_code == 404, persona
    question.refresh_from_db()
    assert question.answered_at is None and not question.answer


def test_a_station_counsellor_cannot_match_an_unmatched_report_to_a_student_of_their_choosing(world, client_for):
    """Unmatched reports are the centre's: a station sees none (404) and cannot pull one into its college;
    a case already in its college is not re-pointed at another student either (403)."""
    unmatched = submit_report(reporter=world["liaison"], student=None).case
    client = client_for(world["station"])
    for student_no in (world.student_a.student_no, world.student_b.student_no):
        response = client.post(reverse("counseling:case_match", args=[unmatched.pk]), {"student_no": student_no})
        assert response.status_code == 404
    mine = _case_in(world, world.student_a)[0]
    response = client.post(
        reverse("counseling:case_match", args=[mine.pk]), {"student_no": world.roommate_a.student_no}
    )
    assert response.status_code == 403
    unmatched.refresh_from_db()
    mine.refresh_from_db()
    assert unmatched.student_id is None and unmatched.college_id is None
    assert mine.student_id == world.student_a.pk


def test_the_centre_cannot_match_a_case_to_a_student_who_does_not_exist(world, client_for):
    unmatched = submit_report(reporter=world["liaison"], student=None).case
    response = client_for(world["counselor"]).post(
        reverse("counseling:case_match", args=[unmatched.pk]), {"student_no": "2099000999"}
    )
    assert response.status_code == 200 and "No student has this number." in response.content.decode()
    unmatched.refresh_from_db()
    assert unmatched.student_id is None


@pytest.mark.parametrize("outsider", ["station_b", "aidreviewer", "aidofficer", "visitor", "student", "admin"])
def test_a_station_counsellor_cannot_hand_a_case_to_someone_outside_its_college_station_or_the_centre(
    world, client_for, outsider
):
    case = _case_in(world, world.student_a)[0]
    client = client_for(world["station"])
    outsider_pk = world[outsider].pk
    before = _snapshot(case)

    owner = client.post(reverse("counseling:case_owner", args=[case.pk]), {"owner": outsider_pk})
    action = client.post(
        reverse("counseling:case_action_add", args=[case.pk]),
        {"kind": "companion", "owner": outsider_pk, "due_date": _due()},
    )
    assessors = client.post(reverse("counseling:case_assessors", args=[case.pk]), {"assessors": [outsider_pk]})

    assert (owner.status_code, action.status_code, assessors.status_code) == (200, 200, 200)
    for response in (owner, action, assessors):
        assert "Nothing was changed" in response.content.decode()
    assert _snapshot(case) == before
    assert not InterventionAction.objects.filter(owner_id=outsider_pk).exists()


def test_an_assessor_opens_only_the_cases_assigned_to_them(world, client_for):
    assigned = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_assign_assessors(actor=world["counselor"], case=assigned, assessors=[world["assessor"]])
    other, report, _question, action = _case_in(world, world.roommate_a)
    before = _snapshot(other)
    client = client_for(world["assessor"])

    assert client.get(reverse("counseling:case_detail", args=[assigned.pk])).status_code == 200
    assert client.get(reverse("counseling:case_detail", args=[other.pk])).status_code == 404
    for url, data in _valid_posts(world, other.pk, report.pk, action.pk):
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("counseling:care_file", args=[world.roommate_a.pk])).status_code == 403
    assert _snapshot(other) == before
    my_cases = client.get(reverse("counseling:my_cases")).content.decode()
    assert reverse("counseling:case_detail", args=[other.pk]) not in my_cases


def test_an_assessor_taken_off_a_case_loses_it_at_once(world, client_for):
    case = submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.SUICIDE_TALK]).case
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["assessor"]])
    client = client_for(world["assessor"])
    assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
    services.case_assign_assessors(actor=world["counselor"], case=case, assessors=[world["counselor"]])
    assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("counseling:case_note", args=[case.pk]), {"note": "还想看看"}).status_code == 404


def test_a_session_note_is_read_only_by_its_author_and_the_centre(world, client_for):
    """The station counsellor of the student's own college did not hold the session: the note is a 404 for
    them, exactly as for a booking that does not exist, and their attempt to overwrite it changes nothing."""
    held = past_booking(world.student_a, world["counselor"], hours_ago=2, status="attended")
    services.session_note_save(actor=world["counselor"], booking=held, body="来访者谈到家庭矛盾")
    url = reverse("counseling:session_note", args=[held.pk])
    missing = reverse("counseling:session_note", args=[MISSING])
    for persona in ("station", "station_b", "assessor", "admin", "aidofficer", "student"):
        client = client_for(world[persona])
        assert (client.get(url).status_code, client.get(missing).status_code) == (404, 404), persona
        assert client.post(url, {"body": "改写记录"}).status_code == 404, persona
        assert "来访者谈到家庭矛盾" not in client.get(reverse("counseling:agenda") + "?period=past").content.decode()
    assert SessionNote.objects.get(booking=held).body == "来访者谈到家庭矛盾"
    assert not AuditEvent.objects.filter(object_type="counseling.sessionnote", action="read").exists()

    # The centre's supervisor reads it, and that read is on the record.
    supervisor = client_for(world["counselor"])
    assert "来访者谈到家庭矛盾" in supervisor.get(url).content.decode()
    assert AuditEvent.objects.filter(
        object_type="counseling.sessionnote", action="read", actor=world["counselor"]
    ).exists()


def test_every_read_of_a_case_or_care_file_is_audited_and_a_refused_one_is_not(world, client_for):
    case = _case_in(world, world.student_a)[0]
    client = client_for(world["station"])

    def reads(object_type: str, object_id: int) -> int:
        return AuditEvent.objects.filter(
            actor=world["station"], action="read", object_type=object_type, object_id=str(object_id)
        ).count()

    for expected in (1, 2):
        assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 200
        assert reads("counseling.case", case.pk) == expected
        assert client.get(reverse("counseling:care_file", args=[world.student_a.pk])).status_code == 200
        assert reads("counseling.carefile", world.student_a.pk) == expected

    # A refused change shows the case page again: that is a read too.
    client.post(reverse("counseling:case_note", args=[case.pk]), {"note": ""})
    assert reads("counseling.case", case.pk) == 3

    theirs = _case_in(world, world.student_b)[0]
    client.get(reverse("counseling:case_detail", args=[theirs.pk]))
    client.get(reverse("counseling:care_file", args=[world.student_b.pk]))
    assert reads("counseling.case", theirs.pk) == 0
    assert reads("counseling.carefile", world.student_b.pk) == 0
