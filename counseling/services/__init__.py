"""Counselling writes, one module per area. `from counseling import services` gives every public one."""

from counseling.services.crisis import *  # noqa: F403
from portal.services import DomainError  # noqa: F401
