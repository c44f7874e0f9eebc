"""Celery tasks of aid (autodiscovered through this package)."""

from aid.tasks.funds import *  # noqa: F403
from aid.tasks.identification import *  # noqa: F403
from aid.tasks.support import *  # noqa: F403
