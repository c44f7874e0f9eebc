"""Benchmark instrumentation (scripts/bench.py): loaded only when NUANXIN_QUERY_COUNT_HEADER=1.

Settings add `QueryCountHeaderMiddleware` first in MIDDLEWARE and portal/urls.py adds `/bench/bare/` only
when that variable is set, so neither exists on a production server. The header tells the benchmark how
many SQL statements a request ran (middleware, session and audit writes included); the bare view is the
ceiling of the stack: the same middleware, no database, no template.
"""

from collections.abc import Callable
from contextlib import ExitStack

from django.db import connections
from django.http import HttpRequest, HttpResponse


class QueryCountHeaderMiddleware:
    """Set `X-Query-Count` to the number of statements the request executed on every database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


def bare(request: HttpRequest) -> HttpResponse:
    """A trivial page behind the full middleware stack: the most requests per second this stack can serve."""
    return HttpResponse("ok", content_type="text/plain")
