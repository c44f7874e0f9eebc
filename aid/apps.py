from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "aid"
    verbose_name = _("Financial aid")

    def ready(self) -> None:
        from aid import access  # registers aid's access rules: every area module (aid/access/__init__.py)
        from portal import navigation

        navigation.register(navigation.NavItem(_("Financial aid"), "aid:index", access.may_use_aid, order=20))
