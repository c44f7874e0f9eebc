"""Access rules of the identification area (家庭经济困难认定), registered with portal.access.

- Identifications, their documents, appeals and timelines: the student (own), the aid reviewer of the
  student's college, aid officers and admins. Never counselling staff, never student roles (dorm
  liaisons, class committee members) through these rules. Opening one is audited (mark_sensitive).
- Class evaluation group members (they may be students with no role at all) do not get identification
  access here: `aid.selectors.identification.evaluation_rows_for_member` returns only the fields a
  member needs to suggest a tier (name, household size, special statuses, bands, never documents, ID
  numbers, incomes, the statement or family members).
- Evaluation groups: the aid reviewer of the class's college and aid officers.
- Notices: aid staff of the college while they exist; the audience (students of the college for a
  college notice, students of the listed students' classes for a school notice) only while the notice
  runs (starts_on ≤ today ≤ ends_on). The rows a viewer sees are narrowed by the selectors.
- Objections: aid staff only (the objector's identity is never shown to anyone else).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from aid.access.core import aid_colleges, is_aid_officer
from aid.models import Appeal, EvaluationGroup, Identification, IdentificationDocument, Notice, Objection
from portal.access import EVERYTHING, mark_sensitive, permission_rule, visibility_rule
from portal.models import Student, User

__all__ = [
    "identification_visible_q",
    "is_identification_reviewer",
    "may_manage_evaluation_groups",
    "may_review_identifications",
    "notice_audience_q",
    "student_of",
]

for _model in (Identification, IdentificationDocument, Appeal, Objection):
    mark_sensitive(_model)


def student_of(user: User) -> Student | None:
    """The user's student record, or None (cached on the user object for the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_aid_student"):
        user._aid_student = Student.objects.filter(user_id=user.pk).select_related("class_group").first()
    return user._aid_student


def may_review_identifications(user: User) -> bool:
    """Aid reviewers (of some college), aid officers and admins: the staff side of identification."""
    colleges = aid_colleges(user)
    return colleges is None or bool(colleges)


def may_manage_evaluation_groups(user: User) -> bool:
    return may_review_identifications(user)


def is_identification_reviewer(user: User, college_id: int) -> bool:
    """The aid reviewer of this college, or an aid officer / admin (who may act for any college)."""
    colleges = aid_colleges(user)
    return colleges is None or college_id in colleges


def identification_visible_q(user: User, prefix: str = "") -> Q | None:
    if not user.is_authenticated:
        return None
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(**{f"{prefix}student__user_id": user.pk})
    if colleges:
        q |= Q(**{f"{prefix}student__college_id__in": colleges})
    return q


@visibility_rule(Identification)
def _identifications_visible(user: User, action: str) -> Q | None:
    return identification_visible_q(user)


@visibility_rule(IdentificationDocument)
def _documents_visible(user: User, action: str) -> Q | None:
    return identification_visible_q(user, "identification__")


@visibility_rule(Appeal)
def _appeals_visible(user: User, action: str) -> Q | None:
    return identification_visible_q(user, "identification__")


@visibility_rule(Objection)
def _objections_visible(user: User, action: str) -> Q | None:
    """Aid staff only: the student whose row drew an objection never learns who lodged it."""
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    return Q(identification__student__college_id__in=colleges) if colleges else None


@visibility_rule(EvaluationGroup)
def _groups_visible(user: User, action: str) -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    return Q(class_group__college_id__in=colleges) if colleges else None


def notice_audience_q(user: User) -> Q | None:
    """Running notices whose audience includes this user as a student (see the module docstring)."""
    student = student_of(user)
    if student is None:
        return None
    today = timezone.localdate()
    running = Q(starts_on__lte=today, ends_on__gte=today)
    college_notice = Q(kind=Notice.Kind.COLLEGE, college_id=student.college_id)
    school_notice = Q(kind=Notice.Kind.SCHOOL, college_id=student.college_id)
    return running & (college_notice | school_notice)


@visibility_rule(Notice)
def _notices_visible(user: User, action: str) -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(college_id__in=colleges) if colleges else None
    audience = notice_audience_q(user)
    if audience is not None:
        q = audience if q is None else q | audience
    return q


# --- Actions on an identification --------------------------------------------------------------------


def _own(user: User, identification: Identification) -> bool:
    student = student_of(user)
    return student is not None and identification.student_id == student.pk


@permission_rule(Identification, "edit", "submit", "appeal")
def _student_actions(user: User, identification: Identification) -> bool:
    return _own(user, identification)


@permission_rule(Identification, "class_close", "return", "college_review", "objection_answer_college")
def _college_actions(user: User, identification: Identification) -> bool:
    return is_identification_reviewer(user, identification.student.college_id)


@permission_rule(
    Identification,
    "school_review",
    "approve",
    "reject",
    "adjust",
    "revoke",
    "appeal_answer",
    "objection_answer_school",
)
def _school_actions(user: User, identification: Identification) -> bool:
    return is_aid_officer(user)
