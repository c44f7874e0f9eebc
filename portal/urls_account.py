"""Self-service account activation and password reset with a code sent to the phone on the roster."""

urlpatterns: list = []
