"""django-axes as the admin shows it: its app and models in the user's language.

django-axes ships no Chinese catalogue, so its admin pages stayed in English. This config gives the app a
translated name, and the strings below (axes's own msgids, copied verbatim) are marked here so that
`make messages` keeps them in our catalogue (locale/ comes first in LOCALE_PATHS, so our translations answer
for axes's gettext calls too). Listed in INSTALLED_APPS instead of "axes"; the app label stays "axes".
Django's own msgids missing from its Chinese catalogue are kept here for the same reason.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

AXES_MSGIDS = [
    # Models (admin index, breadcrumbs, change lists).
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    # Fields, filters and fieldsets of its admin pages.
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    # Django 6.1's empty choice of a select (django.db.models.fields.BLANK_CHOICE_LABEL), not yet in Django's
    # own Chinese catalogue: without it every optional select showed "- Select an option -" in the Chinese UI.
    gettext_noop("- Select an option -"),
]


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in protection")
