"""The safety rules of screening_submit, through the crisis service (DOMAIN.md §2.4)."""

import uuid

import pytest

from counseling import services
from counseling.models import Case, Instrument, Level, Report, ScreeningResult
from counseling.services import screening_submit
from counseling.tests.factories import open_case
from portal.models import AuditEvent, Reminder
from portal.services import DomainError

pytestmark = pytest.mark.django_db

ITEM9_ONLY = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # total 1, item 9 answered 1
PHQ9_TWELVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]
GAD7_TEN = [2, 2, 2, 1, 1, 1, 1]


def submit(student, instrument, answers, **kwargs):
    return screening_submit(
        student=student, instrument=instrument, answers=answers, idempotency_key=uuid.uuid4(), **kwargs
    )


def test_item9_raises_a_level3_report_even_with_a_total_of_1(world):
    result = submit(world.student_a, Instrument.PHQ9, ITEM9_ONLY)
    assert (result.total, result.band) == (1, "minimal")
    report = result.raised_report
    assert report is not None and report.source == Report.Source.SCREENING
    assert report.case.level == Level.HIGH and report.case.student == world.student_a
    assert report.case.college == world.college_a  # the student's station
    assert "PHQ-9" in report.narrative and "1" in report.narrative
    for word in ("depress", "disorder", "diagnos", "抑郁症"):
        assert word not in report.narrative.lower()
    # The station and the centre are told (level 3).
    recipients = set(
        Reminder.objects.filter(dedupe_key__startswith=f"crisis:report:{report.pk}:").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"station", "counselor"} <= recipients


def test_item9_joins_an_open_case_and_lifts_it_to_level3(world):
    case = open_case(student=world.student_a)
    assert case.level == Level.GENERAL
    result = submit(world.student_a, Instrument.PHQ9, ITEM9_ONLY)
    assert result.raised_report.case_id == case.pk
    case.refresh_from_db()
    assert case.level == Level.HIGH


def test_phq9_of_10_or_more_raises_level2(world):
    result = submit(world.student_a, Instrument.PHQ9, PHQ9_TWELVE)
    assert (result.total, result.band) == (12, "moderate")
    assert result.raised_report.case.level == Level.KEY
    assert "12" in result.raised_report.narrative


def test_gad7_of_10_raises_level2(world):
    result = submit(world.student_a, Instrument.GAD7, GAD7_TEN)
    assert result.total == 10 and result.raised_report.case.level == Level.KEY


def test_a_score_of_9_raises_nothing(world):
    result = submit(world.student_a, Instrument.PHQ9, [1, 1, 1, 1, 1, 1, 1, 2, 0])
    assert result.total == 10 - 1 and result.raised_report is None
    assert not Case.objects.exists()


def test_level2_is_not_raised_when_a_case_is_open(world):
    open_case(student=world.student_a)
    reports_before = Report.objects.count()
    result = submit(world.student_a, Instrument.GAD7, GAD7_TEN)
    assert result.raised_report is None
    assert Report.objects.count() == reports_before
    assert ScreeningResult.objects.filter(pk=result.pk).exists()  # the result itself is kept


def test_item9_with_a_high_total_raises_one_level3_report(world):
    result = submit(world.student_a, Instrument.PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 3])
    assert result.band == "severe"
    assert Report.objects.count() == 1 and result.raised_report.case.level == Level.HIGH


def test_resubmitting_with_the_same_key_saves_one_result_and_one_report(world):
    key = uuid.uuid4()
    first = screening_submit(
        student=world.student_a, instrument=Instrument.PHQ9, answers=ITEM9_ONLY, idempotency_key=key
    )
    again = screening_submit(
        student=world.student_a, instrument=Instrument.PHQ9, answers=ITEM9_ONLY, idempotency_key=key
    )
    assert first.pk == again.pk
    assert ScreeningResult.objects.count() == 1 and Report.objects.count() == 1


def test_a_key_cannot_be_reused_by_another_student(world):
    key = uuid.uuid4()
    screening_submit(student=world.student_a, instrument=Instrument.PHQ9, answers=[0] * 9, idempotency_key=key)
    with pytest.raises(DomainError):
        screening_submit(student=world.student_b, instrument=Instrument.PHQ9, answers=[0] * 9, idempotency_key=key)


@pytest.mark.parametrize("answers", [[0] * 8, [0] * 8 + [4], [0] * 8 + ["2"], [0] * 10])
def test_bad_answers_save_nothing(world, answers):
    with pytest.raises(DomainError):
        submit(world.student_a, Instrument.PHQ9, answers)
    assert not ScreeningResult.objects.exists() and not Report.objects.exists()


def test_the_audit_entry_holds_no_answers_or_score(world):
    result = submit(world.student_a, Instrument.PHQ9, PHQ9_TWELVE)
    event = AuditEvent.objects.get(action="screening.submitted", object_id=str(result.pk))
    assert event.actor == world["student"]
    assert set(event.changes) == {"instrument", "campaign", "raised_report"}
    assert "answers" not in str(event.changes) and "12" not in str(event.changes)


def test_care_level_follows_the_raised_report(world):
    submit(world.student_a, Instrument.PHQ9, ITEM9_ONLY)
    assert services.care_level(world.student_a) == Level.HIGH
