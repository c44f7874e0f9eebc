"""What a page shows must never be a raw code or a login name (issue 16; portal.kernel.display).

`shown_faults(url, html, language=…, username=…)` lists the stored codes and demo login names found as whole
words in a page's visible text (text nodes and the placeholder/title/aria-label/alt attributes; scripts,
styles and other attributes are the machine's, not the reader's). The codes are every TextChoices value of
the project's apps. In Chinese any of them is a fault; in English a code that is also a plain word ("draft",
"student") may be its own label, so only the codes no label would spell (those with "_" or a digit) count
there, and likewise only the login names that are no English word.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from html.parser import HTMLParser
from typing import Any

from django.db import models

from portal.demo import DEMO_LOGINS

APPS = ("portal.", "counseling.", "aid.", "homevisits.")
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
HIDDEN_TAGS = ("script", "style", "template")

# Codes that are also names every language writes in Latin letters.
LATIN_NAMES = frozenset({"sms", "email", "wecom", "cas", "xlsx", "csv", "pdf"})

# Pages where a login name is the point: none so far. {url prefix: why}.
LOGIN_NAME_PAGES: dict[str, str] = {}


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@cache
def choice_codes(language: str) -> frozenset[str]:
    codes = set()
    for choices in _subclasses(models.TextChoices):
        if not choices.__module__.startswith(APPS):
            continue
        for value in choices.values:
            if re.fullmatch(r"[a-z][a-z0-9_]{2,}", value) and value not in LATIN_NAMES:
                codes.add(value)
    if language != "zh-hans":
        codes = {c for c in codes if re.search(r"[_0-9]", c)}
    return frozenset(codes)


def login_names(language: str) -> frozenset[str]:
    logins = {name for name in DEMO_LOGINS if name.isascii()}
    if language != "zh-hans":
        logins = {name for name in logins if name in ("aidofficer", "aidreviewer", "counselor")}
    return frozenset(logins)


def shown_faults(url: str, html: str, *, language: str, username: str = "") -> list[str]:
    text = visible_text(html)
    words = set(re.findall(r"(?<![\w/.#-])[a-z][a-z0-9_]*(?![\w/-])", text))
    faults = [f"code {w}" for w in sorted(words & choice_codes(language))]
    if language == "zh-hans" and "Select an option" in text:
        faults.append("English blank choice")  # Django's own; our catalogue translates it
    if not any(url.startswith(prefix) for prefix in LOGIN_NAME_PAGES):
        faults += [f"login {w}" for w in sorted(words & login_names(language))]
    return faults


def workbook_faults(workbook: Any, *, language: str) -> list[str]:
    """The codes and login names in an exported workbook's sheet names and cells (an openpyxl workbook)."""
    cells = [ws.title for ws in workbook.worksheets]
    cells += [str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    return shown_faults("", "<p>" + "\n".join(escape(c) for c in cells) + "</p>", language=language)
