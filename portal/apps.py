from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        from portal import access, middleware_cache, middleware_sessions, navigation, retention

        navigation.register(
            navigation.NavItem(_("Students"), "portal:student_list", access.may_list_students, order=90)
        )
        navigation.register(navigation.NavItem(_("Admin"), "admin:index", lambda user: user.is_staff, order=200))
        retention.steps()  # each app's retention module declares its settings (Admin → Settings lists them)
        middleware_sessions.connect_signals()
        middleware_cache.connect_signals()
        _connect_unread_count_signals()


def _forget_unread_count(sender, instance, **kwargs) -> None:
    from portal import selectors

    selectors.forget_unread_count(instance.recipient_id)


def _connect_unread_count_signals() -> None:
    """A notification created or changed one at a time drops its recipient's cached bell count."""
    from django.db.models.signals import post_delete, post_save

    from portal.models import Notification

    post_save.connect(_forget_unread_count, sender=Notification, dispatch_uid="nuanxin_unread_count_save")
    post_delete.connect(_forget_unread_count, sender=Notification, dispatch_uid="nuanxin_unread_count_delete")
