"""The phone walk: every page each demo account can reach, opened on a 375-px phone in Chromium, both languages.

The walk itself lives here; the test modules `e2e/test_phone_walk_*.py` each run it for a group of accounts,
so pytest-xdist (`--dist loadfile`) can spread the walks over the CI machine's processes instead of running
all twenty on one (each module seeds its own demo school, which costs seconds; a walk costs minutes).

The journeys check the pages a journey passes through; this walk checks the rest. Each demo account signs in
on a 375×812 phone and follows every same-site link from its home page, breadth first (the link discovery of
portal/tests/test_crawl.py, in a real browser): GET only, never signing out, switching language or opening the
Django admin. Every page it opens must

- not scroll sideways (the widest elements are named),
- log no console error, uncaught exception or failed request,
- in Chinese, have no serious or critical axe-core violation, tap targets of at least 24×24 px (axe
  `target-size`) included (why only in Chinese: at AXE_LANGUAGE),
- have no badge wider than its box or the screen,
- in Chinese, show no English placeholder ("---------", "- Select an option -") in a visible select.

To stay fast on a two-core CI machine: one browser for the module, one context per account and language, and
pages that differ only by their ids (or by their query values) are sampled `SAMPLES_PER_PATTERN` times.
All problems of one walk are collected and reported together.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from django.conf import settings

from e2e.conftest import AXE_RUN, AXE_SOURCE, BADGES_WRAP, CSP_LISTENER, DESKTOP, PHONE

# Every demo account, by walk module: the three groups take about the same time.
WALK_GROUPS = {
    "students": ["student", "liaison", "committee"],
    "counselling": ["station", "counselor", "assessor"],
    "aid": ["aidreviewer", "aidofficer", "visitor", "admin"],
}
DEMO_ACCOUNTS = [name for group in WALK_GROUPS.values() for name in group]
LANGUAGES = ["zh-hans", "en"]
MAX_PAGES = 80  # per walk: a safety net, far above what an account reaches after sampling
SAMPLES_PER_PATTERN = 1
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/accounts/logout/", "/i18n/")
# Links that answer with a file, not a page: a browser would download them.
DOWNLOAD = re.compile(r"(export|download|\.xlsx|\.csv|\.pdf|/files?/|/attachments?/|/my-data/)", re.IGNORECASE)
ID = re.compile(r"/\d+(?=/|$)")

OVERFLOW = """() => {
  const doc = document.scrollingElement || document.documentElement;
  const width = window.innerWidth;
  if (doc.scrollWidth <= width + 1) return null;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .map(e => ({e, w: Math.round(e.getBoundingClientRect().right)}))
    .sort((a, b) => b.w - a.w)
    .slice(0, 3)
    .map(({e, w}) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
         + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
         + ' right=' + w + 'px');
  return {scrollWidth: doc.scrollWidth, innerWidth: width, widest: wide};
}"""
# A select the person can see whose options include Django's English empty label.
ENGLISH_PLACEHOLDERS = """() => [...document.querySelectorAll('select')]
  .filter(s => s.offsetParent !== null)
  .flatMap(s => [...s.options].map(o => o.text.trim())
    .filter(t => /^-{3,}$/.test(t) || /select an option/i.test(t))
    .map(t => (s.name || s.id) + ': ' + JSON.stringify(t)))"""
NAV_LINES = """() => ({
  navbar: Math.round(document.querySelector('nav.navbar').getBoundingClientRect().height),
  overflows: document.querySelector('nav.navbar .container').scrollWidth
             - document.querySelector('nav.navbar .container').clientWidth,
  items: [...document.querySelectorAll('#mainnav .nav-link')].map(a => a.textContent.trim()).join(' | '),
  language: Math.round(document.querySelector('[data-testid=language-switch] .btn').getBoundingClientRect().height),
})"""
# The journeys' axe rules plus WCAG 2.2 AA, whose one rule in axe 4.14 is `target-size` (tap targets of at least
# 24×24 px, or spaced as 2.5.8 allows): one axe run per page checks both.
WALK_AXE_RUN = AXE_RUN.replace("'wcag21aa',", "'wcag21aa', 'wcag22aa',")
assert WALK_AXE_RUN != AXE_RUN
# axe runs in the Chinese walk only (half the walk's time went to it). Its rules look at structure, names,
# colour and size, which the language does not change; where text length matters, Chinese is the stricter case
# (shorter link texts make smaller tap targets). What the language does change is checked in both walks: the
# page fitting the phone, badges wrapping, console errors, failed requests, CSP.
AXE_LANGUAGE = "zh-hans"
LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter(a => !a.hasAttribute('download') && !a.closest('.dropdown-menu form'))
  .map(a => a.getAttribute('href'))"""


def pattern(path: str) -> str:
    """The URL with its ids and query values taken out: `/aid/trips/12/?page=2` → `/aid/trips/N/?page`."""
    parts = urlsplit(path)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return ID.sub("/N", parts.path) + ("?" + "&".join(keys) if keys else "")


def same_site_paths(current: str, hrefs: list[str], base_url: str) -> list[str]:
    base = urlsplit(base_url)
    found = []
    for href in hrefs:
        if href.startswith(("mailto:", "tel:", "javascript:")):
            continue
        target = urldefrag(urljoin(current, href)).url
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
            continue
        if parts.path.startswith(SKIP_PREFIXES) or DOWNLOAD.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def walk(page: Any, base_url: str, language: str, errors: list[str]) -> tuple[list[str], list[str]]:
    """Breadth first from the home page; returns the pages checked and the problems found."""
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    checked: list[str] = []
    problems: list[str] = []
    queue = deque(["/"])
    while queue and len(checked) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        key = pattern(path)
        if per_pattern.get(key, 0) >= SAMPLES_PER_PATTERN:
            continue
        per_pattern[key] = per_pattern.get(key, 0) + 1
        errors.clear()
        try:
            response = page.goto(base_url + path, wait_until="load")
        except Exception as exc:  # a link that turned out to be a download
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if not page.url.startswith(base_url):
            continue
        checked.append(path)
        found = [f"{path}: {e}" for e in errors]
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            found.append(f"{path}: scrolls sideways at 375 px: {overflow}")
        if language == AXE_LANGUAGE:
            page.evaluate(AXE_SOURCE)
            for v in page.evaluate(WALK_AXE_RUN):
                found.append(f"{path}: axe {v['impact']} {v['id']}: {v['help']} — " + "; ".join(v["nodes"][:3]))
        badges = page.evaluate(BADGES_WRAP)
        if badges:
            found.append(f"{path}: badges wider than their box or the screen: {badges}")
        if language == "zh-hans":
            english = page.evaluate(ENGLISH_PLACEHOLDERS)
            if english:
                found.append(f"{path}: English placeholder in the Chinese page: {english}")
        csp = page.evaluate("() => window.__cspViolations || []")
        if csp:
            found.append(f"{path}: CSP violations: {csp}")
        problems.extend(found)
        for target in same_site_paths(page.url, page.evaluate(LINKS), base_url):
            if target not in seen:
                queue.append(target)
    return checked, problems


def walk_as(chromium: Any, demo_server: str, username: str, language: str) -> None:
    """Sign `username` in on a phone in `language`, walk every page it reaches and fail with all problems found."""
    context = chromium.new_context(
        viewport=PHONE,
        locale="zh-CN" if language == "zh-hans" else "en-US",
        timezone_id=settings.TIME_ZONE,
        is_mobile=True,
        has_touch=True,
    )
    try:
        context.add_init_script(CSP_LISTENER)
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": demo_server}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and errors.append(f"console error: {msg.text}"))
        page.on("pageerror", lambda exc: errors.append(f"uncaught exception: {exc}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and errors.append(f"HTTP {r.status} for {r.request.method} {r.url}"),
        )
        page.goto(demo_server + "/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "nuanxin-demo")
        with page.expect_navigation():
            page.click("form:has(input[name=password]) [type=submit]")
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        assert page.locator("html").get_attribute("lang") == language

        # On a desktop the navigation fits one line in both languages and the language button stays whole.
        page.set_viewport_size(DESKTOP)
        nav = page.evaluate(NAV_LINES)
        page.set_viewport_size(PHONE)

        checked, problems = walk(page, demo_server, language, errors)
        assert len(checked) > 3, checked
        if nav["navbar"] > 72 or nav["language"] > 40 or nav["overflows"] > 1:
            problems.insert(0, f"the navigation wraps at 1280 px: {nav}")
        assert not problems, f"{username} ({language}), {len(checked)} pages:\n" + "\n".join(problems)
    finally:
        context.close()
