"""Browser caching: nothing a signed-in user was sent is kept by the browser or any cache in between.

Every response to a signed-in user, pages, htmx partials, file downloads and exports alike, is sent with
`Cache-Control: private, no-store`, replacing whatever the view set (a view's `never_cache` or `max-age` ends
the same way: one policy, stated here). Case pages, care files, bank accounts and visit records would
otherwise stay in the browser's cache on a shared office or dormitory machine, readable with the back button
or from the cache folder after sign-out.

Responses to signed-out visitors keep their own policy: the sign-in page keeps Django's `never_cache`, the
anonymous report form and other public pages are left alone. Static files never reach this middleware:
WhiteNoise, listed before it, answers them first, with its own long-lived caching.

Signing out (the sign-out button, the admin's, or portal.middleware_sessions signing out a session past its
limits) also sends `Clear-Site-Data: "cache"`, so pages cached before this policy, or by a browser that ignored it,
are dropped too. Not "storage": it would empty the portal's localStorage, where the home-visit form keeps a
visit record typed without signal until the server has it (static/js/visit-form.js). A field worker whose
draft never reached the server (the staff session ran out while the phone was offline, so the server refused
the save) would lose the family's notes by signing out. Instead the sign-out button's script
(static/js/portal.js) removes the portal's stored data itself, except drafts the server has not confirmed;
those are sent and removed the next time the visit form is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest, HttpResponse

PRIVATE_NO_STORE = "private, no-store"
CLEAR_SITE_DATA_ON_SIGN_OUT = '"cache"'
SIGNED_OUT_FLAG = "_nx_signed_out"


class PrivateNoStoreMiddleware:
    """Listed after WhiteNoise and before the session middleware, so it sees every response but static files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        signed_out = getattr(request, SIGNED_OUT_FLAG, False)
        user = getattr(request, "user", None)
        if signed_out or (user is not None and user.is_authenticated):
            response["Cache-Control"] = PRIVATE_NO_STORE
        if signed_out:
            response["Clear-Site-Data"] = CLEAR_SITE_DATA_ON_SIGN_OUT
        return response


def _flag_sign_out(sender, request: HttpRequest | None, **kwargs) -> None:
    if request is not None:
        setattr(request, SIGNED_OUT_FLAG, True)


def connect_signals() -> None:
    """Called from PortalConfig.ready: every sign-out, whichever code signs the user out, is flagged."""
    user_logged_out.connect(_flag_sign_out, dispatch_uid="nuanxin_clear_site_data")
