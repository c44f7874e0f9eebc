"""Counselling reads, one module per area. `from counseling import selectors` gives every public one."""

from counseling.selectors.crisis import *  # noqa: F403
