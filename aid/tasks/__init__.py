"""Celery tasks of aid, one module per area (autodiscovered through this package, which imports them all).

Task names are explicit, "aid.<area>.<action>" (see portal/celery.py), so moving a task between modules
changes nothing for beat or for messages already queued.
"""

from aid.tasks.dashboard import *  # noqa: F403
from aid.tasks.fiveaid import *  # noqa: F403
from aid.tasks.funds import *  # noqa: F403
from aid.tasks.hiddenaid import *  # noqa: F403
from aid.tasks.identification import *  # noqa: F403
from aid.tasks.workstudy import *  # noqa: F403
