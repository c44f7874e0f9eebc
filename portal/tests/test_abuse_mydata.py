"""Attacker stories against "My data" (portal/views_mydata.py, issue 13).

- The curious classmate: the download URL names no student, so they try to add one (?student=, ?pk=,
  ?student_no=) or another format; they always get their own copy or a refusal, never someone else's.
- The staff member: a counsellor, an aid officer or an admin asks "My data" for a copy: there is none for
  them (PIPL's right of access is a student's), so no student's data leaves through this door.
- The student who wants to know who reported them: their copy holds what they can already see in the portal,
  never a report someone else filed about them, the case, its assessments, session notes or the care file.
- Every download is audited and never cached.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from counseling import services as counseling
from counseling.models import Assessment, Instrument, Sign
from counseling.services import screening_submit
from counseling.tests.factories import submit_report
from counseling.tests.test_appointments_helpers import past_booking
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

JSON = reverse("portal:my_data_json")
XLSX = reverse("portal:my_data_xlsx")

NARRATIVE = "室友说他半夜在阳台上哭XQ17"
ASSESSMENT = "独居且失眠XQ18"
SESSION_NOTE = "来访者谈到家暴XQ19"
OVERRIDE = "班主任反映情绪低落XQ20"
ACTION_NOTE = "联系家长XQ21"
CASE_NOTE = "辅导员备注XQ22"
SECRETS = (NARRATIVE, ASSESSMENT, SESSION_NOTE, OVERRIDE, ACTION_NOTE, CASE_NOTE)


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )


@pytest.fixture
def clinical_file(world):
    """What counsellors hold about student_a: a report by the liaison, the case with its note, assessment and
    action, a care-level override, a session with its note; and one report student_a filed about a roommate."""
    report = submit_report(reporter=world["liaison"], student=world.student_a, narrative=NARRATIVE)
    case = report.case
    counselor = world["counselor"]
    counseling.case_add_note(actor=counselor, case=case, note=CASE_NOTE)
    counseling.assessment_record(
        actor=counselor,
        case=case,
        risk_factors=ASSESSMENT,
        protective_factors="家人支持",
        conclusion=Assessment.Conclusion.AT_RISK,
    )
    counseling.action_add(
        actor=counselor,
        case=case,
        kind="interview",
        owner=counselor,
        due_date=timezone.localdate() + timedelta(days=1),
        note=ACTION_NOTE,
    )
    counseling.care_level_override_set(actor=counselor, student=world.student_a, level=3, reason=OVERRIDE)
    held = past_booking(world.student_a, counselor, hours_ago=5, status="attended")
    counseling.session_note_save(actor=counselor, booking=held, body=SESSION_NOTE)
    screening_submit(
        student=world.student_a, instrument=Instrument.PHQ9, answers=[0] * 8 + [1], idempotency_key=uuid.uuid4()
    )
    submit_report(reporter=world["student"], student=world.roommate_a, signs=[Sign.MOOD], narrative="我室友失眠XQ23")
    return case


def test_the_copy_is_always_the_signed_in_students_whatever_the_url_says(world, client_for):
    client = client_for(world.roommate_a.user)
    for params in ({}, {"student": world.student_a.pk}, {"pk": world.student_a.pk}, {"student_no": "x"}):
        for url in (JSON, XLSX):
            response = client.get(url, params)
            assert response.status_code == 200
            assert world.roommate_a.student_no in response["Content-Disposition"]
            if url == JSON:
                body = json.dumps(json.loads(response.content), ensure_ascii=False)
            else:
                body = _xlsx_text(response.content)
            assert world.student_a.student_no not in body and world.student_a.name not in body
    # No other format, no other path.
    assert client.get("/my-data/download.csv").status_code == 404
    assert client.get(f"/my-data/{world.student_a.pk}/download.json").status_code == 404


@pytest.mark.parametrize(
    "persona", ["station", "counselor", "assessor", "aidreviewer", "aidofficer", "visitor", "admin"]
)
def test_staff_get_no_copy_of_anyones_data_through_my_data(world, client_for, persona):
    client = client_for(world[persona])
    for url in (reverse("portal:my_data"), JSON, XLSX):
        for params in ({}, {"student": world.student_a.pk}):
            response = client.get(url, params)
            assert response.status_code == 403, (url, params)
            assert world.student_a.name.encode() not in response.content
    assert not AuditEvent.objects.filter(action="personal_data.export").exists()


def test_the_copy_never_holds_what_others_wrote_about_the_student(world, client_for, clinical_file):
    client = client_for(world["student"])
    data = json.loads(client.get(JSON).content)
    as_json = json.dumps(data, ensure_ascii=False)  # compare decoded text, never \\u escapes
    as_xlsx = _xlsx_text(client.get(XLSX).content)
    for copy in (as_json, as_xlsx):
        leaked = [secret for secret in SECRETS if secret in copy]
        assert leaked == []
        assert world["liaison"].display_name not in copy  # who reported them
    # What is theirs is there: their own screening, their own appointment, the report they filed (status only).
    assert "我室友失眠XQ23" not in as_json  # not even their own narrative about someone else
    assert world.student_a.student_no in as_json
    assert "PHQ-9" in as_json or "phq9" in as_json


def test_every_download_is_audited_and_not_cached(world, client_for):
    client = client_for(world["student"])
    for url, fmt in ((JSON, "json"), (XLSX, "xlsx")):
        response = client.get(url)
        assert response.status_code == 200
        # portal's cache middleware (another change) makes this "private, no-store, …"; never_cache already
        # says no-store, and that is what matters here.
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert AuditEvent.objects.filter(
            actor=world["student"],
            action="personal_data.export",
            object_type="portal.student",
            object_id=str(world.student_a.pk),
            changes__format=fmt,
        ).exists()
    assert AuditEvent.objects.filter(action="personal_data.export").count() == 2
