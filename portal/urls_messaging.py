"""Message preferences: which channels carry each kind of message."""

from portal import views_messaging
from portal.access import SIGNED_IN, page, rule

urlpatterns: list = [
    page(
        "accounts/message-preferences/",
        views_messaging.message_preferences,
        "message_preferences",
        rule(SIGNED_IN),
    ),
]
