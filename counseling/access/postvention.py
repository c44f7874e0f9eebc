"""Access rules for postvention (危机事件后干预), registered with portal.access.

- Critical incidents and plans: the centre records incidents and opens, fills and closes plans; the station of
  the index student's college sees the plan and its progress (read only). Nobody else sees a plan, an incident
  or the list of contacts. Every open of a plan or an incident is audited.
- A check-in is seen by the people who see its plan and by its assignee (a dorm liaison, a class committee
  member or a counsellor). The assignee's pages show the person to check and a generic script — never the plan,
  the index student, the case, its level or the incident (counseling.selectors.postvention.my_checkins reads
  nothing else). The assignee, or the centre, records the outcome.
- The people checked on see nothing: no page of theirs lists a contact, a check-in or a plan.
- Aid officers, home-visit teams and assessors (unless they are also counsellors) never see any of it.
"""

from __future__ import annotations

from django.db.models import Q

from counseling.models import CheckIn, CriticalIncident, PostventionContact, PostventionPlan
from portal import access
from portal.access import EVERYTHING, colleges_for, has_role, is_admin, mark_sensitive, permission_rule, visibility_rule
from portal.models import Role, User

__all__ = [
    "CHECKIN_ROLES",
    "checkins_in_menu",
    "may_do_checkins",
    "may_manage_postvention",
    "may_record_checkin",
    "may_see_postvention",
]

# Who may be asked to check on someone (and so has a "my check-ins" page).
CHECKIN_ROLES = (Role.DORM_LIAISON, Role.CLASS_COMMITTEE, Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)

for _model in (CriticalIncident, PostventionPlan, PostventionContact, CheckIn):
    mark_sensitive(_model)


def may_manage_postvention(user: User) -> bool:
    """Record incidents, open plans, add contacts, assign check-ins, close plans: the centre (and admins)."""
    return has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user)


def may_see_postvention(user: User) -> bool:
    """The progress view: the centre, and stations (each its own college's plans)."""
    return may_manage_postvention(user) or has_role(user, Role.STATION_COUNSELLOR)


def checkins_in_menu(user: User) -> bool:
    """Student roles find their check-ins in the menu; counsellors through the notice that links to them."""
    return has_role(user, Role.DORM_LIAISON, Role.CLASS_COMMITTEE)


def may_do_checkins(user: User) -> bool:
    return has_role(user, *CHECKIN_ROLES) or is_admin(user)


def _plans_q(user: User, prefix: str = "") -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    return Q(**{f"{prefix}college_id__in": colleges}) if colleges else None


@visibility_rule(CriticalIncident)
def _incidents_visible(user: User, action: str) -> Q | None:
    return _plans_q(user)


@visibility_rule(PostventionPlan)
def _plans_visible(user: User, action: str) -> Q | None:
    return _plans_q(user)


@visibility_rule(PostventionContact)
def _contacts_visible(user: User, action: str) -> Q | None:
    return _plans_q(user, "plan__")


@visibility_rule(CheckIn)
def _checkins_visible(user: User, action: str) -> Q | None:
    """The plan's readers, and the assignee (their own check-ins only)."""
    q = _plans_q(user, "contact__plan__")
    if q is not None and not q:
        return EVERYTHING
    mine = Q(assignee_id=user.pk)
    return mine if q is None else q | mine


@permission_rule(PostventionPlan, "manage")
def _plan_managers(user: User, plan: PostventionPlan) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR)


@permission_rule(PostventionContact, "assign")
def _contact_assigners(user: User, contact: PostventionContact) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR)


@permission_rule(CheckIn, "record")
def _checkin_recorders(user: User, checkin: CheckIn) -> bool:
    return checkin.assignee_id == user.pk or has_role(user, Role.CENTRE_COUNSELLOR)


def may_record_checkin(user: User, checkin: CheckIn) -> bool:
    return access.can(user, "record", checkin)
