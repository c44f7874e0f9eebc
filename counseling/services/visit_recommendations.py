"""Writes of home-visit recommendations: the counselling centre tells the home-visit office "please visit
this student" without saying why.

The reason is encrypted at rest and never leaves counselling: audit entries carry no reason, and
homevisits reads only the set of recommended student ids (`students_recommended_for_visit`, the one function
here another app calls). One active recommendation per student (a partial unique index); recommending again
replaces the reason, withdrawing keeps the row as history. Concurrent writes for one student queue on the
student row lock, so they never race the unique index.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.access.visits import may_recommend_visit
from counseling.models import VISIT_REASON_MAX, VisitRecommendation
from portal.audit import audit_log
from portal.models import Student, User
from portal.services import DomainError
from portal.validators import validate_no_control_chars

__all__ = ["students_recommended_for_visit", "visit_recommendation_set", "visit_recommendation_withdraw"]


def students_recommended_for_visit(student_ids: Iterable[int]) -> set[int]:
    """Of these students, those the counselling centre currently recommends for a home visit (one query).

    For homevisits' priority reasons: ids only, never who recommended, when or why."""
    ids = list(student_ids)
    if not ids:
        return set()
    return set(
        VisitRecommendation.objects.filter(student_id__in=ids, cleared_at__isnull=True).values_list(
            "student_id", flat=True
        )
    )


def _lock_student(actor: User, student: Student) -> Student:
    if not may_recommend_visit(actor, student):
        raise DomainError(_("You may not recommend this student for a home visit."))
    locked = Student.objects.select_for_update().filter(pk=student.pk).first()
    if locked is None:
        raise DomainError(_("This student does not exist."))
    return locked


@transaction.atomic
def visit_recommendation_set(*, actor: User, student: Student, reason: str) -> VisitRecommendation:
    """Recommend an enrolled student for a home visit, or replace the reason of the current recommendation.

    Preconditions: the actor may recommend (counseling.access.visits: centre, the student's station); the
    reason is given, at most VISIT_REASON_MAX characters, without control characters. Locks the student row.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why a visit is recommended (only counsellors see the reason)."))
    if len(reason) > VISIT_REASON_MAX:
        raise DomainError(_("The reason is limited to 2,000 characters."))
    try:
        validate_no_control_chars(reason)
    except ValidationError as exc:
        raise DomainError(_("The reason contains characters that cannot be stored.")) from exc
    student = _lock_student(actor, student)
    if student.status != Student.Status.ENROLLED:
        raise DomainError(_("Only enrolled students can be recommended for a home visit."))
    now = timezone.now()
    replaced = VisitRecommendation.objects.filter(student=student, cleared_at__isnull=True).update(
        cleared_at=now, cleared_by=actor
    )
    row = VisitRecommendation.objects.create(student=student, reason=reason, set_by=actor, set_at=now)
    audit_log(
        actor=actor,
        action="visit_recommendation.set",
        obj=student,
        changes={"recommendation": row.pk, "replaced": bool(replaced)},
    )
    return row


@transaction.atomic
def visit_recommendation_withdraw(*, actor: User, student: Student) -> VisitRecommendation:
    """Withdraw the student's current recommendation (kept as history). DomainError when there is none."""
    student = _lock_student(actor, student)
    row = VisitRecommendation.objects.filter(student=student, cleared_at__isnull=True).first()
    if row is None:
        raise DomainError(_("This student is not recommended for a home visit."))
    row.cleared_at = timezone.now()
    row.cleared_by = actor
    row.save(update_fields=["cleared_at", "cleared_by"])
    audit_log(actor=actor, action="visit_recommendation.withdrawn", obj=student, changes={"recommendation": row.pk})
    return row
