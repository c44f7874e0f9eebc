"""Aid access rules, one module per area. `from aid import access` gives every public predicate.

Registration: each area's module registers its rules with portal.access (visibility_rule, permission_rule,
mark_sensitive) at import, once however often it is imported. This package imports every one of them, and
AidConfig.ready() imports this package, so all of aid's rules are in place before the first request. A new
area's module is added to the list below, or its rules are never registered. (Who may open which URL is
written next to the URL: aid/urls*.py, with the role groups of aid/access/roles.py.)

Aid staff never see clinical content; counselling staff and student roles never see family finances.
"""

from aid.access.core import *  # noqa: F403
from aid.access.dashboard import *  # noqa: F403
from aid.access.fiveaid import *  # noqa: F403
from aid.access.funds import *  # noqa: F403
from aid.access.hiddenaid import *  # noqa: F403
from aid.access.identification import *  # noqa: F403
from aid.access.workstudy import *  # noqa: F403
