"""Message preferences: which channels carry each kind of message."""

urlpatterns: list = []
