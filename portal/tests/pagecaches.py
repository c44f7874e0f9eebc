"""The per-user page caches (issue 18) dropped between tests and before each query-budget render.

The navbar entries, the bell's count (portal.navigation, portal.selectors) and the aid dashboard's rollups
(aid.selectors.dashboard) live in Django's cache. User ids repeat from one test database to the next while
Redis keeps its keys, and a budget compares two renders that must start from the same cache state.
"""

from django.core.cache import cache

PATTERNS = ("*:nav:v1:*", "*:unread:v1:*", "*:aiddash:v1:*")


def forget_page_caches() -> None:
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):
        client = backend.get_client(write=True)
        keys = [key for pattern in PATTERNS for key in client.scan_iter(match=pattern)]
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
