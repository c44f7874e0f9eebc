"""The navbar: each app registers its entries with a predicate from its access rules."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from portal.kernel.pagecache import cached
from portal.models import User


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    allowed: Callable[[User], bool]
    order: int = 100


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(i.url_name != item.url_name for i in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def items_for(user: User) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    return [{"label": str(i.label), "url": reverse(i.url_name), "name": i.url_name} for i in _items if i.allowed(user)]


# The navbar's entries are the same on every page a user opens: they are cached per user, keyed on what decides
# them (the user's current role assignments with their scopes, staff and superuser flags) and on the language of
# the labels. A change of roles changes the key, so it shows at once; anything else an entry's predicate reads
# (a student profile created for a staff account) shows within NAV_CACHE_SECONDS. Views check access
# themselves: a stale entry is a link, never a permission.
NAV_CACHE_SECONDS = 300


def nav_cache_key(user: User) -> str:
    from portal import access

    scopes = sorted(
        f"{s.role}/{s.college_id}/{s.class_group_id}/{','.join(map(str, sorted(s.room_ids)))}"
        for s in access.scopes(user)
    )
    fingerprint = f"{int(user.is_staff)}{int(user.is_superuser)}|{';'.join(scopes)}"
    digest = hashlib.blake2b(fingerprint.encode(), digest_size=12).hexdigest()
    return f"nav:v1:{user.pk}:{translation.get_language()}:{digest}"


def cached_items_for(user: User) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    return cached(nav_cache_key(user), lambda: items_for(user), NAV_CACHE_SECONDS)


# --- Home-page panels: apps add what a user should see first (e.g. an open screening campaign). ---------

HomePanel = Callable[[User], dict | None]  # -> {"template": str, "context": dict} or None
_panels: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def home_panels_for(user: User) -> list[dict]:
    return [p for p in (panel(user) for panel in _panels) if p]
