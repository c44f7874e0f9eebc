"""Access rules of work-study (勤工助学), registered with portal.access when this module is imported.

- posts: open posts are visible to students (to apply); supervisors see their posts; aid staff all.
- placements and timesheets: the student their own; a post's supervisor that post's; the aid reviewer
  their college's; aid officers all.
- only the post's supervisor signs a timesheet off or returns it (not even an admin: the signature
  says "I saw this work done").
"""

from __future__ import annotations

from django.db.models import Q

from aid.access.core import aid_colleges, is_aid_officer
from aid.access.fiveaid import may_manage_fiveaid
from aid.models import Timesheet, WorkStudyPlacement, WorkStudyPost
from portal.access import EVERYTHING, has_role, permission_rule, visibility_rule
from portal.models import Role, Student, User

__all__ = [
    "is_workstudy_supervisor",
    "may_manage_workstudy_posts",
    "may_sign_off_timesheet",
    "may_use_workstudy",
    "workstudy_student_of",
]


def workstudy_student_of(user: User) -> Student | None:
    """The user's student record, or None (cached on the user for the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_workstudy_student"):
        user._workstudy_student = Student.objects.filter(user_id=user.pk).first()
    return user._workstudy_student


def is_workstudy_supervisor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_workstudy_supervisor"):
        user._workstudy_supervisor = WorkStudyPost.objects.filter(supervisor_id=user.pk).exists()
    return user._workstudy_supervisor


def may_manage_workstudy_posts(user: User) -> bool:
    return is_aid_officer(user)


def may_use_workstudy(user: User) -> bool:
    """Students (to apply), supervisors (to place and sign off) and aid staff."""
    return (
        may_manage_fiveaid(user)
        or is_workstudy_supervisor(user)
        or (has_role(user, Role.STUDENT) and workstudy_student_of(user) is not None)
    )


@visibility_rule(WorkStudyPost)
def _posts_visible(user: User, action: str) -> Q | None:
    if may_manage_fiveaid(user):
        return EVERYTHING
    q = Q(supervisor_id=user.pk)
    if has_role(user, Role.STUDENT):
        q |= Q(active=True)
    return q


@permission_rule(WorkStudyPost, "edit")
def _post_editors(user: User, post: WorkStudyPost) -> bool:
    return is_aid_officer(user)


@permission_rule(WorkStudyPost, "apply")
def _post_applicants(user: User, post: WorkStudyPost) -> bool:
    return post.active and has_role(user, Role.STUDENT) and workstudy_student_of(user) is not None


def _placement_q(user: User, prefix: str = "") -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(**{f"{prefix}student__user_id": user.pk}) | Q(**{f"{prefix}post__supervisor_id": user.pk})
    if colleges:
        q |= Q(**{f"{prefix}student__college_id__in": colleges})
    return q


@visibility_rule(WorkStudyPlacement)
def _placements_visible(user: User, action: str) -> Q | None:
    return _placement_q(user)


@visibility_rule(Timesheet)
def _timesheets_visible(user: User, action: str) -> Q | None:
    return _placement_q(user, "placement__")


@permission_rule(WorkStudyPlacement, "decide")
def _placement_deciders(user: User, placement: WorkStudyPlacement) -> bool:
    """Place, turn down or end a placement: aid officers and the post's supervisor."""
    return is_aid_officer(user) or placement.post.supervisor_id == user.pk


@permission_rule(WorkStudyPlacement, "withdraw", "enter_hours")
def _placement_owner(user: User, placement: WorkStudyPlacement) -> bool:
    return placement.student.user_id == user.pk


@permission_rule(Timesheet, "edit")
def _timesheet_owner(user: User, timesheet: Timesheet) -> bool:
    return timesheet.placement.student.user_id == user.pk


def may_sign_off_timesheet(user: User, timesheet: Timesheet) -> bool:
    """Only the post's supervisor: deliberately not a permission rule, which admins would pass."""
    return user.is_authenticated and timesheet.placement.post.supervisor_id == user.pk
