"""Home-visit modules, one per area (trips; records; candidates): `from homevisits import <this package>` gives
all."""

from homevisits.services.candidates import *  # noqa: F403
from homevisits.services.records import *  # noqa: F403
from homevisits.services.trips import *  # noqa: F403
