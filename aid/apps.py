from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "aid"
    verbose_name = _("Financial aid")

    def ready(self) -> None:
        from aid import access
        from portal import navigation

        navigation.register(navigation.NavItem(_("Financial aid"), "aid:index", access.may_use_aid, order=20))
