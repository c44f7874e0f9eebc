from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal import access, navigation, selectors


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"centre_duty_phone": settings.CENTRE_DUTY_PHONE, "nav_items": [], "unread_count": 0}
    return {
        "centre_duty_phone": settings.CENTRE_DUTY_PHONE,
        "nav_items": SimpleLazyObject(lambda: navigation.cached_items_for(user)),
        "unread_count": SimpleLazyObject(lambda: selectors.unread_notification_count(user)),
        "user_is_portal_admin": SimpleLazyObject(lambda: access.is_admin(user)),
        "may_download_own_data": SimpleLazyObject(lambda: access.may_download_own_data(user)),
    }
