"""Request id for logs and the audit trail, the request's context (portal.kernel.request_context) bound for
services; the views' declared access checked before a view runs."""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed

from portal import access
from portal.kernel import request_context

logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.BEHIND_PROXY:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
            if forwarded:
                request.META["REMOTE_ADDR"] = forwarded
        request_id = uuid.uuid4().hex
        request.request_id = request_id
        token = request_context.bind(
            request_id=request_id,
            ip=request.META.get("REMOTE_ADDR") or None,
            user=lambda: getattr(request, "user", None),
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ViewAccessMiddleware:
    """Refuses a view to the roles and methods the rule on its URL (portal.access.page) does not name.

    In this order, as the views' own decorators did: a signed-out visitor of a non-public view goes to the
    sign-in page (login_required); a method not declared is 405 (require_POST); a role not declared gets the
    rule's `refused` status: 403, or 404 where such roles can see no object of the kind the URL names (the
    same answer as for an object outside one's scope, so existence does not leak). A view nobody declared is
    refused to everyone (403, logged), so a new URL is closed until someone decides who may use it. The views
    still check object scope and the finer rules. Costs no query: the roles come from access.scopes, loaded
    once per request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        view_name = request.resolver_match.view_name
        declared = access.view_rule_for(view_name)
        if declared is None:
            logger.error("view %s has no access declaration: refused", view_name)
            raise PermissionDenied
        public = access.PUBLIC in declared.roles
        if not public and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not declared.allows_method(request.method):
            return HttpResponseNotAllowed(declared.methods)
        if declared.allows(request.user):
            return None
        if declared.refused == 404:
            raise Http404
        raise PermissionDenied
