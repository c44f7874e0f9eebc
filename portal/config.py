"""Settings an admin may change without a deploy (DOMAIN.md's "configurable" numbers).

Each app declares its keys with a default and a description (`declare`); `get(key)` returns the
admin's value from the Setting table or the default. Values are cached per process for a minute so
a busy page does not query them on every request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Declared:
    key: str
    default: Any
    description: str | Promise


_declared: dict[str, Declared] = {}
_cache: dict[str, tuple[float, Any]] = {}


def declare(key: str, default: Any, description: str | Promise) -> None:
    _declared[key] = Declared(key, default, description)


def declared() -> list[Declared]:
    return sorted(_declared.values(), key=lambda d: d.key)


def get(key: str) -> Any:
    if key not in _declared:
        raise KeyError(f"undeclared setting {key!r}")
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    from portal.models import Setting

    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    value = _declared[key].default if row is None else row
    _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    _cache.clear()
