import uuid

import pytest
from django.db import connection

from counseling import services
from counseling.models import Case, CaseEvent, Level, Report, Sign
from counseling.tests.factories import submit_report
from portal.models import Reminder

pytestmark = pytest.mark.django_db


def test_a_report_opens_a_case_in_the_students_college_queue_and_alerts_the_station(world):
    report = submit_report(reporter=world["liaison"], student=world.student_a)
    case = report.case
    assert (case.college, case.status, case.level) == (world.college_a, Case.Status.NEW, Level.GENERAL)
    assert case.events.get().kind == CaseEvent.Kind.CREATED
    alerted = set(Reminder.objects.filter(channel="in_app").values_list("recipient__username", flat=True))
    assert alerted == {"station"}


def test_in_danger_saves_level_four_and_alerts_centre_and_leadership_by_email(world):
    report = submit_report(reporter=world["liaison"], student=world.student_a, in_danger=True)
    assert report.case.level == Level.CRISIS
    emails = set(Reminder.objects.filter(channel="email").values_list("email_to", "recipient__username"))
    assert ("lead-cs@example.edu.cn", None) in emails
    assert ("", "counselor") in emails and ("", "station") in emails


def test_a_second_report_joins_the_open_case_and_raises_its_level(world):
    first = submit_report(reporter=world["liaison"], student=world.student_a)
    second = submit_report(reporter=world["committee"], student=world.student_a, signs=[Sign.SUICIDE_TALK])
    assert first.case_id == second.case_id
    case = Case.objects.get(pk=first.case_id)
    assert case.level == Level.HIGH
    assert list(case.events.values_list("kind", flat=True)) == ["created", "report", "level"]


def test_the_same_form_submitted_twice_makes_one_report(world):
    key = uuid.uuid4()
    submit_report(reporter=world["liaison"], student=world.student_a, key=key)
    submit_report(reporter=world["liaison"], student=world.student_a, key=key)
    assert Report.objects.count() == 1


def test_narrative_is_encrypted_at_rest(world):
    report = submit_report(reporter=world["liaison"], student=world.student_a, narrative="秘密的叙述")
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative FROM counseling_report WHERE id = %s", [report.pk])
        raw = cursor.fetchone()[0]
    assert "秘密" not in raw and raw.startswith("fernet:")
    assert Report.objects.get(pk=report.pk).narrative == "秘密的叙述"


def test_anonymous_report_stores_no_reporter_and_its_receipt_finds_it(world):
    key = uuid.uuid4()
    report = submit_report(reporter=world["student"], student=world.roommate_a, anonymous=True, key=key)
    assert report.reporter is None
    code = services.receipt_code_for(key)
    from counseling.selectors import report_by_receipt

    view = report_by_receipt(code.lower().replace("-", " "))
    assert view is not None and view.report.pk == report.pk and view.status == "received"
    assert report_by_receipt("AAAA-BBBB-CCCC") is None


def test_transitions_follow_the_map(world):
    case = submit_report(reporter=world["liaison"], student=world.student_a).case
    station = world["station"]
    with pytest.raises(services.DomainError):
        services.case_transition(actor=station, case=case, to_status=Case.Status.CLOSED, reason="resolved")
    services.case_acknowledge(actor=station, case=case)
    services.case_transition(actor=station, case=case, to_status=Case.Status.CLOSED, reason="resolved")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.close_reason == "resolved"
