"""Celery tasks of counselling (autodiscovered through this package)."""

from counseling.tasks.activities import *  # noqa: F403
from counseling.tasks.appointments import *  # noqa: F403
from counseling.tasks.crisis import *  # noqa: F403
from counseling.tasks.screening import *  # noqa: F403
