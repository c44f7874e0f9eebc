"""Home-visit modules, one per area (trips; records): `from homevisits import <this package>` gives all."""

from homevisits.selectors.records import *  # noqa: F403
from homevisits.selectors.trips import *  # noqa: F403
