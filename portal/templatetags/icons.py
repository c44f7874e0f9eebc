"""Icons from the vendored Bootstrap Icons set (static/vendor/bootstrap-icons, MIT): `{% icon "heart" %}`.

The tag inlines the icon's SVG, so it takes the text colour (`fill="currentColor"`), needs no extra request and no
inline style (the CSP forbids those). Icons are decoration next to a word that says the same thing: they are
hidden from screen readers (`aria-hidden`). Only the icons in the vendored folder exist; an unknown name is a bug
and raises, so a typo fails the page's test instead of showing a gap. See docs/design.md, "The look".
"""

import re
from functools import lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ICON_DIR = "vendor/bootstrap-icons/icons"
_NAME = re.compile(r"^[a-z0-9-]+$")
_INNER = re.compile(r"<svg[^>]*>(?P<inner>.*)</svg>", re.S)


class UnknownIcon(ValueError):
    pass


@lru_cache(maxsize=64)
def _inner_svg(name: str) -> str:
    path = finders.find(f"{ICON_DIR}/{name}.svg") if _NAME.match(name) else None
    if not path:
        raise UnknownIcon(f"no icon {name!r} in static/{ICON_DIR}/ (vendor it from Bootstrap Icons first)")
    with open(path, encoding="utf-8") as f:
        match = _INNER.search(f.read())
    if not match:
        raise UnknownIcon(f"static/{ICON_DIR}/{name}.svg is not an SVG")
    return " ".join(match["inner"].split())


@register.simple_tag
def icon(name: str, css_class: str = "") -> SafeString:
    """`{% icon "heart" %}` or `{% icon "heart" "nx-icon-lg" %}`: the icon as inline SVG, 1em square by default."""
    classes = escape(f"bi bi-{name} {css_class}".strip())
    return mark_safe(  # noqa: S308 -- our own vendored file, name checked against [a-z0-9-]
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="1em" height="1em" fill="currentColor"'
        f' class="{classes}" aria-hidden="true" focusable="false">{_inner_svg(name)}</svg>'
    )


@register.simple_tag
def tile(url_name: str, icon_name: str, title: str, text: str = "", *url_args: object) -> SafeString:
    """`{% tile "counseling:slots" "calendar-heart" _("Book counselling") _("Choose a time…") %}`: one line of a
    tile menu (a link with an icon, a title, an optional line under it and a chevron; static/css/design.css,
    .nx-tile). Arguments after the line are the URL's arguments: `{% tile "portal:student_detail" … "" pk %}`."""
    line = format_html("<small>{}</small>", text) if text else ""
    return format_html(
        '<a class="list-group-item list-group-item-action py-3 nx-tile" href="{}">{}'
        '<span class="nx-tile-text"><span class="nx-tile-title">{}</span>{}</span>{}</a>',
        reverse(url_name, args=url_args),
        icon(icon_name, "nx-tile-icon nx-deco"),
        title,
        line,
        icon("chevron-right", "nx-tile-chevron nx-deco"),
    )
