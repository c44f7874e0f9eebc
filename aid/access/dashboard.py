"""Who may see the aid dashboard (its numbers are scoped again by aid.selectors.dashboard)."""

from aid.access.fiveaid import may_manage_fiveaid
from portal.models import User

__all__ = ["may_see_aid_dashboard"]


def may_see_aid_dashboard(user: User) -> bool:
    """The aid staff who work on five-aid cases: aid officers (the school), aid reviewers (their colleges), admins."""
    return may_manage_fiveaid(user)
