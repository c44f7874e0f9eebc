"""Aid admin, one module per area: Django's admin autodiscovery imports this module, which imports each area's
admin module (each registers its models with the admin site on import)."""

from aid import admin_fiveaid, admin_funds, admin_hiddenaid, admin_identification, admin_workstudy  # noqa: F401
