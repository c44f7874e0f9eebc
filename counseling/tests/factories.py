"""Factories for the crisis network. Reports go through the service, as in production."""

import uuid

from counseling import services
from counseling.models import Case, Report, Sign
from portal.models import Student, User


def submit_report(
    *,
    reporter: User | None,
    student: Student | None,
    signs: list[str] | None = None,
    narrative: str = "他最近总说活着没意思，晚上一个人坐在阳台上。",
    in_danger: bool = False,
    anonymous: bool = False,
    relation: str = "roommate",
    key: uuid.UUID | None = None,
) -> Report:
    report, _ = services.report_submit(
        reporter=reporter,
        anonymous=anonymous,
        student=student,
        subject_given=student.student_no if student else "未知同学",
        relation=relation,
        signs=signs if signs is not None else [Sign.MOOD],
        narrative=narrative,
        when_where="昨晚 北苑3栋",
        in_danger=in_danger,
        idempotency_key=key or uuid.uuid4(),
    )
    return report


def open_case(*, student: Student, level_signs: list[str] | None = None, in_danger: bool = False) -> Case:
    return submit_report(reporter=None, anonymous=True, student=student, signs=level_signs, in_danger=in_danger).case
