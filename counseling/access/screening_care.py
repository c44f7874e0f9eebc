"""Access rules from screening to care, registered with portal.access.

- An interview outcome (约谈结果) is the counsellors' conclusion: the centre sees every one, a station those of
  its college's students. The student does not read it (they see their own scores in kind words, and the
  retests waiting for them); nobody else ever does. Every read through the access layer is audited.
- A retest is the student's own (what to answer next) and their counsellors'.
- Recording an outcome is for the counsellors who may invite the student (counseling.access.screening).
- Exports: the completion table for the centre and the stations (their college's part); the positive list
  for the centre only (a station is refused with 403: it can see the campaign, not take the list away).
"""

from __future__ import annotations

from django.db.models import Q

from counseling.access.screening import _counsels, _staff_q
from counseling.models import InterviewOutcome, Retest, ScreeningResult
from portal.access import EVERYTHING, has_role, is_admin, mark_sensitive, permission_rule, visibility_rule
from portal.models import Role, User

__all__ = ["may_export_positives"]

mark_sensitive(InterviewOutcome)
mark_sensitive(Retest)


def may_export_positives(user: User) -> bool:
    """The positive list leaves the system only through the centre."""
    return user.is_authenticated and (has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user))


@visibility_rule(InterviewOutcome)
def _outcomes_visible(user: User, action: str) -> Q | None:
    staff = _staff_q(user, "student__")
    if staff is not None and not staff:
        return EVERYTHING
    return staff


@visibility_rule(Retest)
def _retests_visible(user: User, action: str) -> Q | None:
    staff = _staff_q(user, "student__")
    if staff is not None and not staff:
        return EVERYTHING
    own = Q(student__user_id=user.pk)
    return own if staff is None else own | staff


@permission_rule(ScreeningResult, "record_outcome")
def _outcome_recorders(user: User, result: ScreeningResult) -> bool:
    return _counsels(user, result.student)
