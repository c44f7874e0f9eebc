"""Request id for logs and the audit trail; the request's IP kept in a context variable for services."""

import contextvars
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("ip", default=None)


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
        token_id = current_request_id.set(request_id)
        token_ip = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token_id)
            current_ip.reset(token_ip)
        response["X-Request-ID"] = request_id
        return response
