"""The visit form's service worker (static/js/visit-sw.js; docs/design.md, "Working offline").

Served by this view rather than from /static/: a worker's scope is at most the folder of its script unless the
answer allows more, and WhiteNoise answers static files without room for that header. The worker is
registered with scope "/" (`Service-Worker-Allowed: /`) so that it sees the sign-out button on every page and
deletes the pages it kept; it handles only the visit form, its submit, static files and the sign-out, and lets
every other request through untouched. Public: the script holds no data, and the browser checks it for
updates after the session has ended too.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

__all__ = ["service_worker"]


@cache
def _script() -> bytes:
    return (settings.BASE_DIR / "static" / "js" / "visit-sw.js").read_bytes()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_script(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
