"""Aid access rules, one module per area, all registered with portal.access on import.

Aid staff never see clinical content; counselling staff and student roles never see family finances.
"""

from aid.access.core import *  # noqa: F403
from aid.access.funds import *  # noqa: F403
from aid.access.identification import *  # noqa: F403
from aid.access.support import *  # noqa: F403
from aid.access.views import *  # noqa: F403
