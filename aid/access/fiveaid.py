"""Access rules of five-aid cases (五助帮扶档案), registered with portal.access when this module is imported.

- aid officers (whole school), the aid reviewer of the student's college, admins. Opening one is audited.
- the student sees their own case only through the "summary" action (the gentle "your support plan"
  page), never the staff page: `visible(user, FiveAidCase)` gives a student nothing.
- counselling staff and student roles (dorm liaisons, class committee members) see nothing.
- aid staff learn of the psychological aid only referred / engaged / declined (see aid.services.fiveaid).
"""

from __future__ import annotations

from django.db.models import Q

from aid.access.core import aid_colleges, is_aid_officer
from aid.models import FiveAidCase
from portal.access import EVERYTHING, mark_sensitive, permission_rule, visibility_rule
from portal.models import User

__all__ = ["fiveaid_in_scope", "may_manage_fiveaid", "may_open_fiveaid_cases"]

mark_sensitive(FiveAidCase)


def fiveaid_in_scope(user: User, college_id: int | None) -> bool:
    """Aid officers and admins: every college; aid reviewers: their colleges; everyone else: none."""
    colleges = aid_colleges(user)
    return colleges is None or (college_id is not None and college_id in colleges)


def may_manage_fiveaid(user: User) -> bool:
    """The staff side of five-aid cases: aid officers, aid reviewers (of some college), admins."""
    colleges = aid_colleges(user)
    return user.is_authenticated and (colleges is None or bool(colleges))


def may_open_fiveaid_cases(user: User) -> bool:
    """Opening the cases of all identified students of the year is a school-wide action: aid officers."""
    return is_aid_officer(user)


@visibility_rule(FiveAidCase)
def _fiveaid_cases_visible(user: User, action: str) -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(student__college_id__in=colleges) if colleges else None
    if action == "summary":
        own = Q(student__user_id=user.pk)
        q = own if q is None else q | own
    return q


@permission_rule(FiveAidCase, "edit", "refer")
def _fiveaid_case_editors(user: User, case: FiveAidCase) -> bool:
    return fiveaid_in_scope(user, case.student.college_id)
