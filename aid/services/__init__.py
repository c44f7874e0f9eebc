"""Aid writes, one module per area. `from aid import services` gives every public one."""

from aid.services.funds import *  # noqa: F403
from aid.services.hiddenaid import *  # noqa: F403
from aid.services.identification import *  # noqa: F403
from aid.services.support import *  # noqa: F403
from portal.services import DomainError  # noqa: F401
