"""Access rules for screening, registered with portal.access (the one place that decides).

- A screening result is the student's own, and their counsellors': centre counsellors see every result,
  a station counsellor the results of their college's students. Nobody else — not aid staff, not the
  home-visit team, not student roles (liaisons, committee members) — ever sees one: results never feed
  aid or any other decision (DOMAIN.md §2.2). Every read through the access layer is audited.
- Invitations (邀约) follow the same scope: the invited student, and the counsellors in scope.
- Campaigns are opened by the centre; stations follow their college's part of them.
"""

from __future__ import annotations

from django.db.models import Q

from counseling.access.crisis import care_file_students_q
from counseling.models import Invitation, ScreeningResult
from portal.access import (
    EVERYTHING,
    colleges_for,
    has_role,
    is_admin,
    mark_sensitive,
    permission_rule,
    visibility_rule,
)
from portal.models import Role, Student, User

__all__ = [
    "may_follow_campaigns",
    "may_manage_campaigns",
    "may_screen",
    "screening_scope_q",
]

mark_sensitive(ScreeningResult)
mark_sensitive(Invitation)


def may_screen(user: User) -> bool:
    """Self-screening is for students (anyone with a student record), on their own behalf."""
    return user.is_authenticated and Student.objects.filter(user_id=user.pk).exists()


def may_manage_campaigns(user: User) -> bool:
    """Opening a campaign is the centre's."""
    return user.is_authenticated and (has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user))


def may_follow_campaigns(user: User) -> bool:
    """Campaign dashboards and positive lists: the centre (all) and stations (their college)."""
    return user.is_authenticated and (has_role(user, Role.CENTRE_COUNSELLOR, Role.STATION_COUNSELLOR) or is_admin(user))


def screening_scope_q(user: User) -> Q | None:
    """Students whose results a counsellor may see: centre all (Q()), a station its college, else None."""
    return care_file_students_q(user) if user.is_authenticated else None


def _staff_q(user: User, prefix: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    return Q(**{f"{prefix}college_id__in": colleges}) if colleges else None


@visibility_rule(ScreeningResult)
def _results_visible(user: User, action: str) -> Q | None:
    staff = _staff_q(user, "student__")
    if staff is not None and not staff:
        return EVERYTHING
    own = Q(student__user_id=user.pk)
    return own if staff is None else own | staff


@visibility_rule(Invitation)
def _invitations_visible(user: User, action: str) -> Q | None:
    return _results_visible(user, action)


def _counsels(user: User, student: Student) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or student.college_id in colleges_for(user, Role.STATION_COUNSELLOR)


@permission_rule(ScreeningResult, "invite")
def _result_inviters(user: User, result: ScreeningResult) -> bool:
    return _counsels(user, result.student)


@permission_rule(Invitation, "respond")
def _invitation_responders(user: User, invitation: Invitation) -> bool:
    """The invited student answers. (`can` lets admins through every action; the view and the service
    also require the actor to be the student, so nobody answers on a student's behalf.)"""
    return invitation.student.user_id == user.pk
