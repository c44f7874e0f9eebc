"""The role groups the aid URL rules name (aid/urls*.py; see portal.access.page)."""

from portal.models import Role

STUDENT = Role.STUDENT
REVIEWERS = (Role.AID_REVIEWER, Role.AID_OFFICER, Role.ADMIN)  # college reviewers (their college) and the office
OFFICE = (Role.AID_OFFICER, Role.ADMIN)
