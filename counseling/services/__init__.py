"""Counselling writes, one module per area. `from counseling import services` gives every public one."""

from counseling.services.activities import *  # noqa: F403
from counseling.services.appointments import *  # noqa: F403
from counseling.services.crisis import *  # noqa: F403
from counseling.services.holds import *  # noqa: F403
from counseling.services.instruments import *  # noqa: F403
from counseling.services.postvention import *  # noqa: F403
from counseling.services.screening import *  # noqa: F403
from counseling.services.screening_care import *  # noqa: F403
from counseling.services.session_notes import *  # noqa: F403
from counseling.services.visit_recommendations import *  # noqa: F403
from portal.services import DomainError  # noqa: F401
