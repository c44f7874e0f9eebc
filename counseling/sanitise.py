"""Rich text of the e-journal 《心之专列》: sanitised with nh3 when an article is saved.

Allowed: p, br, strong, em, ul, ol, li, h2, h3, blockquote, a[href] (http, https, mailto only; every
link gets rel="noopener noreferrer") and img[src, alt] where src is one of our own journal image URLs
(/counseling/journal/images/<id>/). Everything else is dropped: scripts and styles with their content,
on* handlers, style attributes, javascript: and data: URLs, images from other hosts. Text (Chinese, Uyghur
script, emoji) passes through unchanged; only the HTML special characters are escaped.
"""

from __future__ import annotations

import re
from functools import cache

import nh3
from django.urls import reverse

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "blockquote", "a", "img"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
LINK_SCHEMES = ("http://", "https://", "mailto:")
# Dropped with their content, not just unwrapped: a <script>'s text is not article text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript", "textarea", "title"})


@cache
def _journal_image_re() -> re.Pattern[str]:
    sample = reverse("counseling:journal_image", args=[123456789])
    prefix, suffix = sample.split("123456789")
    return re.compile(rf"^{re.escape(prefix)}[1-9][0-9]{{0,11}}{re.escape(suffix)}$")


def is_journal_image_url(url: str) -> bool:
    return bool(_journal_image_re().match(url.strip()))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        return value.strip() if is_journal_image_url(value) else None
    return value


def sanitise_article_html(html: str) -> str:
    """The article body as it may be stored and shown with |safe."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
