"""Home-visit modules, one per area (trips; records): `from homevisits import <this package>` gives all."""

from homevisits.services.records import *  # noqa: F403
from homevisits.services.trips import *  # noqa: F403
