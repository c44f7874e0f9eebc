"""Home-visit modules, one per area (trips; records): `from homevisits import <this package>` gives all."""

from homevisits.views.records import *  # noqa: F403
from homevisits.views.trips import *  # noqa: F403
