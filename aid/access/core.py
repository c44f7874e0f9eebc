"""Who may use aid, and the shared predicates of the aid areas."""

from portal.access import colleges_for, has_role, is_admin
from portal.models import Role, User

AID_STAFF_ROLES = (Role.AID_OFFICER, Role.AID_REVIEWER)


def may_use_aid(user: User) -> bool:
    return user.is_authenticated


def is_aid_officer(user: User) -> bool:
    return has_role(user, Role.AID_OFFICER) or is_admin(user)


def is_aid_staff(user: User) -> bool:
    return has_role(user, *AID_STAFF_ROLES) or is_admin(user)


def aid_colleges(user: User) -> set[int] | None:
    """Colleges whose aid work the user reviews; None means the whole school (aid officers, admins)."""
    if is_aid_officer(user):
        return None
    return colleges_for(user, Role.AID_REVIEWER)
