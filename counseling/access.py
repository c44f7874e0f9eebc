"""Access rules for counseling, registered with portal.access (the one place that decides)."""

from portal.models import User


def may_use_counseling(user: User) -> bool:
    return user.is_authenticated
