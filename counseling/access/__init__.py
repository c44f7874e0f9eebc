"""Counselling access rules, one module per area, all registered with portal.access on import.

`from counseling import access` gives every public predicate (may_triage, may_book, ...).
"""

from counseling.access.activities import *  # noqa: F403
from counseling.access.appointments import *  # noqa: F403
from counseling.access.crisis import *  # noqa: F403
from counseling.access.postvention import *  # noqa: F403
from counseling.access.screening import *  # noqa: F403
from counseling.access.screening_care import *  # noqa: F403
from counseling.access.session_notes import *  # noqa: F403
from counseling.access.visits import *  # noqa: F403
