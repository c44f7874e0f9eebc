from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from counseling import access
        from portal import navigation

        navigation.register(
            navigation.NavItem(_("Counselling"), "counseling:index", access.may_use_counseling, order=10)
        )
