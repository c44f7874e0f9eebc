"""Self-service account activation and password reset with a code sent to the phone on the roster.

Public pages (nobody is signed in when they need them); the views reveal nothing about the details typed
(portal.activation, docs/activation.md)."""

from portal import views_account
from portal.access import PUBLIC, page, rule

urlpatterns: list = [
    page("accounts/activate/", views_account.activate_request, "account_activate", rule(PUBLIC)),
    page("accounts/activate/code/", views_account.activate_confirm, "account_activate_confirm", rule(PUBLIC)),
    page("accounts/reset/", views_account.reset_request, "account_reset", rule(PUBLIC)),
    page("accounts/reset/code/", views_account.reset_confirm, "account_reset_confirm", rule(PUBLIC)),
]
