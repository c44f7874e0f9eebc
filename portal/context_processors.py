from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal import access, navigation, selectors
from portal.models import Role, User

# Roles that see the student look (static/css/design.css, docs/design.md "The look"): students and the students who
# hold a peer role. Anyone with a staff role as well keeps the dense staff pages.
STUDENT_LOOK_ROLES = frozenset({Role.STUDENT, Role.DORM_LIAISON, Role.CLASS_COMMITTEE})


def uses_student_look(user: User | None) -> bool:
    """Signed out (sign-in, anonymous report, receipt) or only student roles: the warmer, roomier look."""
    if user is None or not user.is_authenticated:
        return True
    if user.is_superuser:
        return False
    roles = {scope.role for scope in access.scopes(user)}
    return bool(roles) and roles <= STUDENT_LOOK_ROLES


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "centre_duty_phone": settings.CENTRE_DUTY_PHONE,
            "nav_items": [],
            "unread_count": 0,
            "student_look": True,
        }
    return {
        "centre_duty_phone": settings.CENTRE_DUTY_PHONE,
        "nav_items": SimpleLazyObject(lambda: navigation.cached_items_for(user)),
        "unread_count": SimpleLazyObject(lambda: selectors.unread_notification_count(user)),
        "user_is_portal_admin": SimpleLazyObject(lambda: access.is_admin(user)),
        "may_download_own_data": SimpleLazyObject(lambda: access.may_download_own_data(user)),
        "student_look": SimpleLazyObject(lambda: uses_student_look(user)),
    }
