"""Aid admin, one module per area."""

from aid import admin_funds, admin_identification, admin_support  # noqa: F401
