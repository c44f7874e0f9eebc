"""Campus single sign-on: CAS 2.0/3.0 on python-cas, with django-cas-ng's ticket ↔ session table for single logout.

Off unless CAS_SERVER_URL is set; then (docs/sign-in.md says it for the people who run the portal):

- Sign-in. The sign-in page offers "Sign in with the campus account" first. `cas_login` sends the browser to the
  CAS server's /login with this URL as the service; the server sends it back with a service ticket, which
  `CampusTicketBackend` validates (CAS 3.0 /p3/serviceValidate, or 2.0 /serviceValidate) and matches, through
  `portal.identity.match_campus_id`, to an existing Student (学号) or Staff (工号). Nobody is ever created. An
  unknown, graduated or switched-off person, a bad, replayed or foreign ticket, and a server that does not answer
  each get a page of their own saying what to do, and an audit event; never the library's bare "Login failed.".
- Local passwords while CAS is on (`LocalPasswordBackend`, before Django's ModelBackend): only accounts marked
  User.local_sign_in (the break-glass administrator) and, if STUDENTS_MAY_USE_LOCAL_PASSWORD, students. Everyone
  else is refused with one message whether or not the password was right; the admin site's login is covered too.
- Single logout. The CAS server's logoutRequest POST to the service URL (anonymous, no CSRF token) ends the
  portal session its service ticket started. Portal sign-out with CAS on ends the CAS session too (the CAS
  server then tells every other application): LOGOUT_REDIRECT_URL is `sso_logout`, which sends the browser to the
  CAS /logout unless the server is known to be down.
- A server that is down or slow: every call has a timeout (CAS_TIMEOUT_SECONDS, connect at most 2 s), so no
  worker hangs; the sign-in page asks /login with a 2-second timeout, remembered for CAS_REACHABILITY_SECONDS,
  and says when the server is not answering, and the break-glass account can still use its password.
- Sign-in limits (django-axes, first among the backends). A ticket has no user name, so each validation is
  recorded by axes under a name made from the ticket ("cas-ticket:<hash>"): a bad ticket counts towards the
  address-wide limit (LOGIN_FAILURES_PER_ADDRESS, which also stops a script flooding validation from one
  address) but never locks the sign-ins of other people behind that address, as one shared empty user name
  would after LOGIN_FAILURES_PER_USER bad tickets. A server that does not answer is not a failure.

Why not django-cas-ng's views and backend (5.1.1 installs and runs on Django 6.1: its imports, system checks and
migrations are clean): its LoginView answers an unknown user, a bad ticket and a refused user alike with a bare
PermissionDenied("Login failed."), raises an uncaught RedirectException (a 500) for a foreign `next`, its SLO
handler fails with a TypeError (a 500) on a logoutRequest that is not XML, python-cas calls the server without a
timeout, and its `authenticate(ticket=…)` gives axes no user name, so LOGIN_FAILURES_PER_USER bad tickets from
one address would lock every CAS sign-in from it. What is used: python-cas's client and django-cas-ng's
SessionTicket model (rows of ended sessions go in the nightly retention run, portal.retention).
"""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import import_module
from urllib.parse import urlencode, urljoin
from xml.etree.ElementTree import ParseError

import requests
from cas import CASClient
from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_out
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django_cas_ng.models import SessionTicket
from lxml import etree

from portal import identity
from portal.audit import audit_log
from portal.models import User

logger = logging.getLogger(__name__)

# Service tickets are "ST-" and a few dozen URL-safe characters (the spec allows 256; proxy tickets are "PT-").
TICKET_RE = re.compile(r"(ST|PT)-[A-Za-z0-9._~:@/+=-]{1,253}")
SAML_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
REACHABLE_KEY = "sso:cas-reachable:"
CONNECT_TIMEOUT = 2.0

# The outcome of a ticket, left on the request by CampusTicketBackend for the view.
BAD_TICKET = "bad_ticket"


class CampusServerUnavailable(Exception):
    """The CAS server did not answer in time, or answered something that is not a CAS response."""


# --- Settings ---------------------------------------------------------------------------------------------


def cas_enabled() -> bool:
    return bool(settings.CAS_SERVER_URL)


def cas_server_url() -> str:
    return settings.CAS_SERVER_URL.rstrip("/") + "/"


def _timeout() -> tuple[float, float]:
    read = float(settings.CAS_TIMEOUT_SECONDS)
    return (min(CONNECT_TIMEOUT, read), read)


class TimeoutSession(requests.Session):
    """python-cas calls `session.get(url, params=…)` without a timeout: every call through here has one."""

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", _timeout())
        return super().request(method, url, *args, **kwargs)


def cas_client(service_url: str | None = None) -> CASClient:
    return CASClient(
        version=str(settings.CAS_VERSION),
        service_url=service_url,
        server_url=cas_server_url(),
        session=TimeoutSession(),
    )


def _reachable_key() -> str:
    return REACHABLE_KEY + hashlib.sha256(cas_server_url().encode()).hexdigest()[:16]


def _remember_reachable(up: bool) -> None:
    try:
        cache.set(_reachable_key(), up, settings.CAS_REACHABILITY_SECONDS)
    except Exception:  # the cache (Redis) being down must not stop a sign-in
        logger.warning("could not cache the CAS server's reachability")


def cas_server_reachable() -> bool:
    """Does the CAS server answer /login (2-second timeout)? Remembered for CAS_REACHABILITY_SECONDS."""
    try:
        cached = cache.get(_reachable_key())
    except Exception:
        cached = None
    if cached is not None:
        return bool(cached)
    try:
        response = requests.head(urljoin(cas_server_url(), "login"), timeout=CONNECT_TIMEOUT, allow_redirects=False)
        up = response.status_code < 500
    except requests.RequestException:
        up = False
    if not up:
        logger.warning("CAS server not reachable")
    _remember_reachable(up)
    return up


# --- Who may use a portal password while CAS is on --------------------------------------------------------


def local_password_allowed(user: User) -> bool:
    """While CAS is on: students if STUDENTS_MAY_USE_LOCAL_PASSWORD, other accounts if marked local_sign_in."""
    if identity.is_student(user):
        return bool(settings.STUDENTS_MAY_USE_LOCAL_PASSWORD)
    return user.local_sign_in


class LocalPasswordBackend(ModelBackend):
    """Portal passwords while CAS is on, for the accounts `local_password_allowed` names; nobody else.

    Listed after axes and before Django's ModelBackend. With CAS off it steps aside (returns None) and the
    ModelBackend signs in as before. With CAS on it checks the password itself (the same hashing work for every
    name) and raises PermissionDenied on any failure, which stops the chain (the ModelBackend is not asked) and is
    recorded by axes like a wrong password: a refused account and a wrong password look the same.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[override]
        if not cas_enabled() or password is None or "ticket" in kwargs:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and local_password_allowed(user):
            return user
        raise PermissionDenied("portal password sign-in refused while CAS is on")


class CampusTicketBackend(ModelBackend):
    """Validates a CAS service ticket and returns the matched portal user; never creates one.

    `authenticate(request, ticket=…, service=…)`. Leaves on the request `sso_outcome`: BAD_TICKET, or the
    identity.CampusMatch (whose `refusal` says why no user). Raises CampusServerUnavailable when the server does not
    answer in time or not in CAS: the view shows that, and axes does not count it as a failed sign-in.
    """

    def authenticate(self, request, ticket=None, service=None, **kwargs):  # type: ignore[override]
        if ticket is None or service is None or not cas_enabled():
            return None
        outcome: object = BAD_TICKET
        try:
            if not TICKET_RE.fullmatch(ticket):
                return None
            try:
                cas_user, attributes, _pgtiou = cas_client(service).verify_ticket(ticket)
            except requests.RequestException as exc:
                _remember_reachable(False)
                raise CampusServerUnavailable(type(exc).__name__) from exc
            except (ParseError, IndexError, AttributeError, StopIteration, ValueError) as exc:
                raise CampusServerUnavailable("not a CAS response") from exc
            if not cas_user:
                return None
            attribute = settings.CAS_USERNAME_ATTRIBUTE
            campus_id = (attributes or {}).get(attribute, "") if attribute else cas_user
            outcome = identity.match_campus_id(campus_id)
            return outcome.user
        finally:
            if request is not None:
                request.sso_outcome = outcome


def axes_name_for_ticket(ticket: str) -> str:
    """The user name axes records a ticket's validation under: one per ticket (see the module docstring)."""
    return "cas-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()[:16]


# --- Pages ------------------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def service_url(request: HttpRequest, next_page: str | None) -> str:
    """This URL as the CAS service: absolute, with `next` when given (it must be identical at validation)."""
    base = request.build_absolute_uri(reverse("sso_login"))
    return f"{base}?{urlencode({'next': next_page})}" if next_page else base


class SignInView(LoginView):
    """Django's LoginView (same form, same template), plus the campus sign-in while CAS is on."""

    redirect_authenticated_user = True

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if cas_enabled():
            # One message for a refused account and a wrong password: it must not tell which it was.
            form.error_messages = {
                **form.error_messages,
                "invalid_login": _(
                    "Sign-in failed. While campus sign-in is on, only designated administrator accounts may use a "
                    "portal password, and the user name and password must be right. Everyone else: use the "
                    "campus account button above."
                ),
            }
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if cas_enabled():
            next_page = self.request.GET.get("next") or self.request.POST.get("next") or ""
            start = reverse("sso_login")
            context["cas"] = {
                "enabled": True,
                "reachable": cas_server_reachable(),
                "students_local": bool(settings.STUDENTS_MAY_USE_LOCAL_PASSWORD),
                "start_url": f"{start}?{urlencode({'next': next_page})}" if next_page else start,
            }
        return context


def _failure(request: HttpRequest, kind: str, status: int, **extra: object) -> HttpResponse:
    return render(request, "registration/sso_failed.html", {"kind": kind, **extra}, status=status)


@never_cache
@csrf_exempt  # the CAS server's single-logout POST comes without a CSRF token; a sign-in is a GET
def cas_login(request: HttpRequest) -> HttpResponse:
    """GET: to the CAS server, or back from it with a ticket. POST: the CAS server's single logout."""
    if not cas_enabled():
        if request.method == "POST":
            return _failure(request, "off", 404)
        return redirect("login")
    if request.method == "POST":
        if "logoutRequest" not in request.POST:
            return _failure(request, "not_logout", 400)
        ended = single_logout(request.POST["logoutRequest"])
        return HttpResponse(f"ok {ended}\n", content_type="text/plain")

    raw_next = request.GET.get("next") or ""
    next_page = _safe_next(request, raw_next)
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_page)
    service = service_url(request, raw_next)
    ticket = request.GET.get("ticket", "")
    if not ticket:
        if not cas_server_reachable():
            return redirect(f"{reverse('login')}?{urlencode({'next': raw_next})}" if raw_next else "login")
        return HttpResponseRedirect(cas_client(service).get_login_url())

    try:
        user = authenticate(request, username=axes_name_for_ticket(ticket), ticket=ticket, service=service)
    except CampusServerUnavailable as exc:
        logger.warning("CAS ticket validation failed: %s", exc)
        audit_log(actor=None, action="sso.server_unavailable", object_type="cas", changes={"error": str(exc)})
        return _failure(request, "unavailable", 503)
    if getattr(request, "axes_locked_out", False):
        return HttpResponse(status=429)  # AxesMiddleware answers with the locked-out page
    outcome = getattr(request, "sso_outcome", BAD_TICKET)
    if user is None:
        if outcome == BAD_TICKET or not isinstance(outcome, identity.CampusMatch):
            audit_log(actor=None, action="sso.ticket_refused", object_type="cas")
            return _failure(request, "bad_ticket", 403, start_url=reverse("sso_login"))
        audit_log(
            actor=None,
            action="sso.sign_in_refused",
            object_type="campus_id",
            object_id=outcome.campus_id,
            changes={"reason": outcome.refusal},
        )
        return render(request, "registration/sso_refused.html", {"reason": outcome.refusal}, status=403)

    login(request, user)
    SessionTicket.objects.create(session_key=request.session.session_key, ticket=ticket)
    return HttpResponseRedirect(next_page)


@never_cache
def cas_logout(request: HttpRequest) -> HttpResponse:
    """Where the portal's sign-out leads while CAS is on: the CAS server's /logout, back to the sign-in page.

    A GET, after the portal session has ended (LOGOUT_REDIRECT_URL). When the server is known to be down (the
    break-glass administrator signing out), straight to the sign-in page instead.
    """
    if not cas_enabled() or not cas_server_reachable():
        return redirect("login")
    return HttpResponseRedirect(cas_client().get_logout_url(request.build_absolute_uri(reverse("login"))))


# --- Single logout ----------------------------------------------------------------------------------------

_SAML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def session_indexes(logout_request: str) -> list[str]:
    """The service tickets a SAML LogoutRequest names (at most 10); none for anything that is not one."""
    try:
        root = etree.fromstring(logout_request.encode("utf-8"), parser=_SAML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    found = root.findall(f".//{{{SAML_PROTOCOL}}}SessionIndex")
    return [(e.text or "").strip() for e in found[:10] if (e.text or "").strip()]


def single_logout(logout_request: str) -> int:
    """End the portal sessions the named service tickets started; returns how many. Unknown tickets: nothing.

    The ticket is the only key: it is known to the CAS server and to the browser that used it once, so a forged
    request can end at most the session of a ticket the forger has seen.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for ticket in session_indexes(logout_request):
        for row in SessionTicket.objects.filter(ticket=ticket):
            store(session_key=row.session_key).delete()
            row.delete()
            ended += 1
            audit_log(actor=None, action="sso.single_logout", object_type="session")
    return ended


@receiver(user_logged_out, dispatch_uid="portal.sso.forget_ticket")
def _forget_ticket(sender, request=None, **kwargs) -> None:
    """A portal sign-out forgets the session's service ticket (the session is gone)."""
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        SessionTicket.objects.filter(session_key=request.session.session_key).delete()
