"""Access rules for homevisits, registered with portal.access (the one place that decides)."""

from portal import access
from portal.models import Role, User


def may_use_homevisits(user: User) -> bool:
    return access.is_admin(user) or access.has_role(user, Role.VISIT_TEAM, Role.AID_OFFICER)
