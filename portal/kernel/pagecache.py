"""Page caches that never stop a page or a write: with the cache (Redis) down, compute and carry on.

The navbar entries, the bell's unread count and the aid dashboard's rollup are kept in Django's cache to make
pages cheaper (README, "What pages show from a cache"). A cache is an optimisation: when Redis is down a page
is computed afresh and a write (a report, a notification) is saved as without the cache. Failures are logged
once per call as a warning, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache

logger = logging.getLogger("portal.pagecache")


def cached[T](key: str, compute: Callable[[], T], seconds: int) -> T:
    """The value under `key`, or `compute()` stored for `seconds`; `compute()` alone when the cache fails."""
    try:
        value = cache.get(key)
    except Exception as exc:  # Redis down or unreachable: the page does not need the cache
        logger.warning("page cache unavailable, computing %s: %s", key.split(":", 1)[0], type(exc).__name__)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, seconds)
    except Exception as exc:
        logger.warning("page cache unavailable, not storing %s: %s", key.split(":", 1)[0], type(exc).__name__)
    return value


def forget(key: str) -> None:
    """Drop `key`; with the cache down there is nothing to drop that a reader could get."""
    try:
        cache.delete(key)
    except Exception as exc:
        logger.warning("page cache unavailable, not forgetting %s: %s", key.split(":", 1)[0], type(exc).__name__)
