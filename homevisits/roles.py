"""The role groups the home-visit URL rules name (homevisits/urls*.py; see portal.access.page)."""

from homevisits.access import GUARDIAN_COLLEGE, GUARDIAN_SCHOOL_WIDE
from portal.models import Role

TEAMS = (Role.VISIT_TEAM, Role.AID_OFFICER, Role.ADMIN)
GUARDIAN_LOG = (*GUARDIAN_SCHOOL_WIDE, *GUARDIAN_COLLEGE, Role.VISIT_TEAM, Role.ADMIN)
