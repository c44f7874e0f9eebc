"""Counselling reads, one module per area. `from counseling import selectors` gives every public one."""

from counseling.selectors.activities import *  # noqa: F403
from counseling.selectors.appointments import *  # noqa: F403
from counseling.selectors.crisis import *  # noqa: F403
from counseling.selectors.instruments import *  # noqa: F403
from counseling.selectors.postvention import *  # noqa: F403
from counseling.selectors.screening import *  # noqa: F403
from counseling.selectors.screening_care import *  # noqa: F403
from counseling.selectors.session_notes import *  # noqa: F403
from counseling.selectors.visit_recommendations import *  # noqa: F403
