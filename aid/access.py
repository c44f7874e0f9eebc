"""Access rules for aid, registered with portal.access (the one place that decides)."""

from portal.models import User


def may_use_aid(user: User) -> bool:
    return user.is_authenticated
