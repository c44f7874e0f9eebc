"""Aid reads, one module per area, scoped through portal.access."""

from aid.selectors.dashboard import *  # noqa: F403
from aid.selectors.fiveaid import *  # noqa: F403
from aid.selectors.funds import *  # noqa: F403
from aid.selectors.hiddenaid import *  # noqa: F403
from aid.selectors.identification import *  # noqa: F403
from aid.selectors.workstudy import *  # noqa: F403
