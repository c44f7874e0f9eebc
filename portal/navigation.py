"""The navbar: each app registers its entries with a predicate from its access rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

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


# --- Home-page panels: apps add what a user should see first (e.g. an open screening campaign). ---------

HomePanel = Callable[[User], dict | None]  # -> {"template": str, "context": dict} or None
_panels: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def home_panels_for(user: User) -> list[dict]:
    return [p for p in (panel(user) for panel in _panels) if p]
