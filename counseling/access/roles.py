"""The role groups the counselling URL rules name (counseling/urls*.py; see portal.access.page)."""

from portal.models import Role

STUDENT = Role.STUDENT  # dorm liaisons and class committee members are students too
COUNSELLORS = (Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)
CASE_WORKERS = (*COUNSELLORS, Role.ASSESSOR, Role.ADMIN)  # cases they are assigned to, for assessors
CASE_MANAGERS = (*COUNSELLORS, Role.ADMIN)
CENTRE = (Role.CENTRE_COUNSELLOR, Role.ADMIN)
