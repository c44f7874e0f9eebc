"""Session lifetimes by role: staff sign in again after 30 idle minutes and after 12 hours in all;
students (including dorm liaisons and class committee members) after 14 idle days and after 30 days in all.

Staff read care files, case notes and family finances, often on shared office machines, so their sessions
are short. A student's portal holds only their own records and they use it from their phone, where signing in
every half hour would push them away from reporting a worry; 14 idle days is Django's default cookie age and
matches what the portal did before. The limits are checked on the server on every request (the cookie's own
expiry is only a hint a browser may ignore), and whoever holds a staff role *now* gets the staff limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import access
from portal.models import Role, User

STARTED_KEY = "_nx_session_started"
SEEN_KEY = "_nx_session_seen"
# Writing the last-seen time on every request would save the session on every request; a minute is precise
# enough for a 30-minute limit.
SEEN_RESOLUTION = 60
STUDENT_ROLES = frozenset({Role.STUDENT, Role.DORM_LIAISON, Role.CLASS_COMMITTEE})


@dataclass(frozen=True)
class Lifetime:
    idle: int  # seconds without a request
    absolute: int  # seconds since sign-in


STAFF = Lifetime(idle=30 * 60, absolute=12 * 3600)
STUDENT = Lifetime(idle=14 * 24 * 3600, absolute=30 * 24 * 3600)


def lifetime_for(user: User) -> Lifetime:
    if user.is_staff or user.is_superuser:
        return STAFF
    if any(scope.role not in STUDENT_ROLES for scope in access.scopes(user)):
        return STAFF
    return STUDENT


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware: signs out a session past its idle or absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        session = request.session
        started = session.get(STARTED_KEY)
        seen = session.get(SEEN_KEY)
        limits = lifetime_for(user)
        if started is not None and seen is not None and (now - seen > limits.idle or now - started > limits.absolute):
            logout(request)
            messages.info(request, _("You were signed out after a period of inactivity. Please sign in again."))
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Redirect": reverse("login")})
            if request.method == "GET":
                return redirect_to_login(request.get_full_path())
            return redirect("login")
        if started is None or seen is None or now - seen >= SEEN_RESOLUTION:
            stamp(request, limits, now=now, started=now if started is None else started)
        return self.get_response(request)


def stamp(request: HttpRequest, limits: Lifetime, *, now: int, started: int) -> None:
    request.session[STARTED_KEY], request.session[SEEN_KEY] = started, now
    # The stored session and its cookie end with the limits too, refreshed while the user is active.
    request.session.set_expiry(max(1, min(limits.idle, limits.absolute - (now - started))))


def _stamp_on_login(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    """Start the clock at sign-in, so the first page after it does not write the session again."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        stamp(request, lifetime_for(user), now=now, started=now)


def connect_signals() -> None:
    """Called from PortalConfig.ready, so the clock starts at every sign-in, also before the first request."""
    user_logged_in.connect(_stamp_on_login, dispatch_uid="nuanxin_session_lifetime")
