from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomevisitsConfig(AppConfig):
    name = "homevisits"
    verbose_name = _("Home visits")

    def ready(self) -> None:
        from homevisits import access
        from portal import navigation

        navigation.register(
            navigation.NavItem(_("Home visits"), "homevisits:index", access.may_open_homevisits_home, order=30)
        )
