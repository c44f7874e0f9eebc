"""What the current request is, for code that has no request object: the audit trail, logs, services.

portal.middleware.RequestIdMiddleware binds a context for each request (its request id, the client's address
after the proxy rewrite, and a way to its signed-in user); everything else only reads it. Outside a request
(a Celery task, a management command, a test) nothing is bound and the readers return their empty values,
unless the caller binds a context itself with `bound(...)`.

Context variables, not thread-locals: each thread and each asyncio task sees its own request. This module
imports nothing of the project, so any module may use it without an import circle.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["RequestContext", "actor", "bind", "bound", "client_ip", "current", "request_id", "reset"]


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    # The signed-in user is known only after the authentication middleware, which runs after the one that binds
    # the context: a getter, called when someone asks.
    user: Callable[[], Any] | None = None


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("nuanxin_request", default=_EMPTY)


def bind(*, request_id: str, ip: str | None, user: Callable[[], Any] | None = None) -> contextvars.Token:
    """Make this the current request's context; pass the token to `reset` when the request ends."""
    return _current.set(RequestContext(request_id=request_id, ip=ip or None, user=user))


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def bound(*, request_id: str = "", ip: str | None = None, user: Callable[[], Any] | None = None) -> Iterator[None]:
    """The same as bind/reset around a block (a task or a command acting for a request)."""
    token = bind(request_id=request_id, ip=ip, user=user)
    try:
        yield
    finally:
        reset(token)


def current() -> RequestContext:
    return _current.get()


def request_id() -> str:
    """The current request's id ("" outside a request), as sent back in the X-Request-ID header."""
    return _current.get().request_id


def client_ip() -> str | None:
    """The client's address (the proxy's forwarded one behind a proxy); None outside a request."""
    return _current.get().ip


def actor() -> Any | None:
    """The signed-in user of the current request; None when signed out or outside a request."""
    getter = _current.get().user
    user = getter() if getter is not None else None
    return user if user is not None and getattr(user, "is_authenticated", False) else None
