"""Aid writes, one module per area. `from aid import services` gives every public one."""

from aid.services.fiveaid import *  # noqa: F403
from aid.services.funds import *  # noqa: F403
from aid.services.hiddenaid import *  # noqa: F403
from aid.services.identification import *  # noqa: F403
from aid.services.students import *  # noqa: F403
from aid.services.workstudy import *  # noqa: F403
from portal.services import DomainError  # noqa: F401
