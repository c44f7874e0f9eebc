"""Celery tasks of counselling, one module per area (autodiscovered through this package, which imports them all).

Task names are explicit, "counseling.<area>.<action>" (see portal/celery.py).
"""

from counseling.tasks.activities import *  # noqa: F403
from counseling.tasks.appointments import *  # noqa: F403
from counseling.tasks.crisis import *  # noqa: F403
from counseling.tasks.postvention import *  # noqa: F403
from counseling.tasks.screening import *  # noqa: F403
from counseling.tasks.session_notes import *  # noqa: F403
