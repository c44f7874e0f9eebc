"""Home-visit modules, one per area (trips; records): `from homevisits import <this package>` gives all."""

from homevisits.forms.records import *  # noqa: F403
from homevisits.forms.trips import *  # noqa: F403
