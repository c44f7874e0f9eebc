"""Sign-in limits: django-axes with a per-account limit and a higher, address-wide one.

Two limits, both counted over the cool-off window (LOGIN_COOLOFF_MINUTES, 15 by default):
- per account and address: LOGIN_FAILURES_PER_USER (5) failures for one user name from one address lock that
  pair. A guesser cannot try many passwords on one account; the same student on another network is not locked.
- per address: LOGIN_FAILURES_PER_ADDRESS (30) failures from one address, whatever the user names, lock the
  address for every account, even with the right password. This stops password spraying (one guess on each of
  many 学号 from one machine), which the per-account limit never sees.

Why a handler and not two axes lockout parameter sets: axes compares the *largest* count of all sets with one
AXES_FAILURE_LIMIT, and a successful sign-in (AXES_RESET_ON_SUCCESS) deletes the attempts of every set, so an
address-wide set would be wiped by the sprayer signing in to their own account between rounds. Here axes keeps
its single per-account set (reset on success, as before) and `LoginLimitHandler.get_failures` adds the address
rule, counted from the same AccessAttempt rows and never reset by a success: it ends with the cool-off only.

The address is REMOTE_ADDR, which portal.middleware.RequestIdMiddleware has already replaced by the proxy's
X-Forwarded-For entry when BEHIND_PROXY is set: one answer for the lockout and the audit trail, and a client
cannot choose its own address by sending the header when there is no proxy. A campus NAT puts thousands of
students behind a few addresses, where 30 honest typos in 15 minutes are ordinary: list those addresses or
networks in LOGIN_ADDRESS_ALLOWLIST. They are never locked address-wide; the per-account limit still applies
there (axes' own AXES_IP_WHITELIST with AXES_NEVER_LOCKOUT_WHITELIST would exempt them from every limit, so it
is deliberately not used).
"""

from __future__ import annotations

import ipaddress
import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address RequestIdMiddleware settled on (see the module docstring)."""
    return request.META.get("REMOTE_ADDR") or None


def address_allow_listed(address: str | None) -> bool:
    """Is this address in LOGIN_ADDRESS_ALLOWLIST (addresses or networks such as 202.114.0.0/24)?"""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in settings.LOGIN_ADDRESS_ALLOWLIST)


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address, all user names together, within the cool-off window."""
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def address_locked(request: HttpRequest) -> bool:
    """Is the request's address locked for every account (not for allow-listed addresses)?"""
    address = request.axes_ip_address
    if not address or address_allow_listed(address):
        return False
    return address_failures(request) >= settings.LOGIN_FAILURES_PER_ADDRESS


class LoginLimitHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, plus the address-wide limit."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The account's failures from this address; at least the per-account limit while the address is locked.

        Axes locks when this reaches AXES_FAILURE_LIMIT (the per-account limit), both before authenticating
        and after recording a failure, so raising the count to the limit locks every account from the address.
        """
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and address_locked(request):
            logger.warning("sign-in refused: address-wide limit reached")
            return limit
        return failures


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the friendly page, with the cool-off in minutes (it is configurable)."""
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else settings.LOGIN_COOLOFF_MINUTES
    return render(request, LOCKED_OUT_TEMPLATE, {"minutes": minutes}, status=429)
