"""Browser journeys: real headless Chromium (Debian's package, driven by Playwright) against a live server.

Each journey module seeds the demo school once (`seed_demo`, the data a newcomer signs in to), starts a live
server on it and runs its journey on a phone (375×812) and on a desktop. `Visit` wraps a browser context for
one person and checks every page the journey loads:

- no console error, no uncaught exception, no Content-Security-Policy violation, no failed request
  (4xx/5xx or a network error) unless the journey says it expects one;
- no serious or critical accessibility violation found by axe-core (vendored in e2e/assets, injected through
  the DevTools protocol, which the page's CSP does not govern);
- the page fits a 375-px phone without horizontal scrolling (a desktop page is narrowed to check, then restored);
- on a phone, every tap target is at least 24×24 px or spaced as WCAG 2.5.8 allows (TAP_TARGETS_RUN).

A journey that loads a page and never checks it fails at the end: every main-frame navigation must be
followed by `check()`.

Screenshots: with NUANXIN_SCREENSHOTS=<dir> (set by `make screenshots`), `check(screenshot="name")` writes
`<dir>/<device>-<name>.png`, reduced to a 256-colour palette so the files stay small.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = (Path(__file__).parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""
# Tap targets (WCAG 2.2, 2.5.8 "Target size (minimum)"): every button, link-button, form control and link outside
# running text is at least 24×24 CSS px, or has no other target within a 24-px circle around it. axe-core's
# `target-size` rule (tag wcag22aa) measures exactly this, with WCAG's exceptions for links inside a sentence. A
# separate run from AXE_RUN so a journey or the phone walk can add it where it matters: on a phone.
TAP_TARGETS_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ['violations'], runOnly: {type: 'rule', values: ['target-size']},
  });
  return result.violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary));
}"""
# The widest element of each badge against the page: a badge carrying a sentence ("同时在: …") must wrap inside
# its container instead of widening the page (static/css/portal.css, .badge). Returns the badges that do not.
BADGES_WRAP = """() => [...document.querySelectorAll('.badge')].filter(b => b.offsetParent).map(b => {
  const r = b.getBoundingClientRect(), box = b.parentElement.getBoundingClientRect();
  return {text: b.textContent.trim().slice(0, 40), right: Math.round(r.right), width: Math.round(r.width),
          container: Math.round(box.width)};
}).filter(b => b.right > document.documentElement.clientWidth + 1 || b.width > b.container + 1)"""
# Collects CSP violations the page reports (the console shows them too, but this names the directive).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
DEVICES = {"phone": PHONE, "desktop": DESKTOP}
SCREENSHOT_DIR = os.environ.get("NUANXIN_SCREENSHOTS", "")


@pytest.fixture(scope="session")
def e2e_database(django_db_setup, django_db_blocker, request: pytest.FixtureRequest) -> Iterator[None]:
    """The test database, also when only browser tests were selected.

    pytest-django creates it for the tests that ask for `db` or a django_db marker; journeys do neither (they
    share one seeded school per module and must not be flushed after each test), so when they run alone the
    default connection would still point at the real database. Then set the test database up here.
    """
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases

    if connection.settings_dict["NAME"].startswith("test_"):
        yield
        return
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connections.close_all()
            teardown_databases(config, verbosity=0)


@pytest.fixture(scope="module")
def demo_server(e2e_database, django_db_blocker) -> Iterator[str]:
    """The demo school in the test database and a live server on it, for one module; emptied afterwards."""
    from pytest_django.live_server_helper import LiveServer

    with (
        django_db_blocker.unblock(),
        override_settings(
            SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, LANGUAGE_CODE="zh-hans", DEMO_PASSWORD="nuanxin-demo"
        ),
        pytest.MonkeyPatch.context() as mp,
    ):
        # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
        # running loop unless told. Only for the browser modules (check --deploy refuses this in production).
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from django.db import connection, connections

        assert connection.settings_dict["NAME"].startswith("test_"), "never flush a real database"
        call_command("flush", interactive=False, verbosity=0)
        call_command("seed_demo", force=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        from django.core.cache import cache

        # The test run's own Redis: rate counters (anonymous reports, receipt codes) keyed on 127.0.0.1 must not
        # carry over from an earlier run within the hour, as a fresh database does not.
        cache.clear()
        server = LiveServer("localhost")
        try:
            yield server.url
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            connections.close_all()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _school_language(demo_server: str) -> Iterator[None]:
    """Journeys run in the school's language (the root conftest switches the rest of the suite to English)."""
    from django.utils import translation

    with override_settings(LANGUAGE_CODE="zh-hans"), translation.override("zh-hans"):
        yield


@dataclass
class Visit:
    """One person's browser (a context with its own cookies and storage) on one device."""

    base_url: str
    device: str
    context: Any
    page: Any
    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    expected_failures: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- Navigation ------------------------------------------------------------------------------

    def goto(self, path: str, **check: Any) -> Any:
        self.page.goto(self.url(path))
        return self.check(**check)

    def login(self, username: str, password: str = "nuanxin-demo") -> None:
        self.goto("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("form:has(input[name=password]) [type=submit]")
        assert "/accounts/login/" not in self.page.url, f"{username} could not sign in"
        self.check()

    def submit(self, selector: str = "main form [type=submit]", **check: Any) -> Any:
        """Click a submit button and wait for the page it leads to, then check that page."""
        with self.page.expect_navigation():
            self.page.click(selector)
        return self.check(**check)

    def expect_failure(self, url_part: str) -> None:
        """The journey provokes this failing request on purpose (e.g. going offline)."""
        self.expected_failures.append(url_part)

    # --- Checks ----------------------------------------------------------------------------------

    def check(self, screenshot: str = "", full_page: bool = False) -> Any:
        page = self.page
        page.wait_for_load_state("load")
        url = page.url
        violations = page.evaluate("() => window.__cspViolations || []")
        assert not violations, f"CSP violations on {url}: {violations}"
        page.evaluate(AXE_SOURCE)
        serious = page.evaluate(AXE_RUN)
        assert not serious, f"accessibility violations on {url}:\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in serious
        )
        if screenshot and SCREENSHOT_DIR:
            self._screenshot(screenshot, full_page)
        # The Django admin keeps its own (desktop) layout and is not walked on a phone either (docs/design.md).
        if self.device == "phone" and not urlsplit(url).path.startswith("/admin/"):
            small = page.evaluate(TAP_TARGETS_RUN)
            assert not small, f"tap targets under 24×24 px on {url}:\n" + "\n".join(small[:10])
        self._check_fits_phone(url)
        self._raise_errors()
        self.checked.add(url)
        return page

    def _check_fits_phone(self, url: str) -> None:
        page = self.page
        if self.device != "phone":
            page.set_viewport_size(PHONE)
            # Let the page's resize handlers (charts) run, as they would on a real phone.
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        try:
            overflow = page.evaluate(
                """() => {
                  const doc = document.documentElement;
                  if (doc.scrollWidth <= doc.clientWidth + 1) return null;
                  const wide = [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1
                                 && !e.closest('.table-responsive, .overflow-auto'))
                    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
                  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide};
                }"""
            )
        finally:
            if self.device != "phone":
                page.set_viewport_size(DEVICES[self.device])
        assert overflow is None, f"{url} scrolls sideways on a 375-px phone: {overflow}"

    def _raise_errors(self) -> None:
        errors = [e for e in self.errors if not any(part in e for part in self.expected_failures)]
        self.errors.clear()
        assert not errors, "browser errors:\n" + "\n".join(errors)

    def _screenshot(self, name: str, full_page: bool) -> None:
        from PIL import Image

        target = Path(SCREENSHOT_DIR) / f"{self.device}-{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(target), full_page=full_page, animations="disabled", caret="hide")
        with Image.open(target) as image:
            reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        reduced.save(target, optimize=True)

    def finish(self) -> None:
        self._raise_errors()
        unchecked = [u for u in self.visited if u not in self.checked]
        assert not unchecked, f"pages loaded but never checked: {unchecked}"


@pytest.fixture(params=list(DEVICES))
def device(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def browse(chromium: Any, demo_server: str, device: str) -> Iterator[Any]:
    """browse() opens a new person's browser on this test's device; all are checked and closed at the end."""
    visits: list[Visit] = []

    def open_visit(*, offline_ok: bool = False) -> Visit:
        context = chromium.new_context(
            viewport=DEVICES[device],
            locale="zh-CN",
            timezone_id=settings.TIME_ZONE,
            is_mobile=device == "phone",
            has_touch=device == "phone",
            accept_downloads=True,
            # Charts honour reduced motion (static/js/charts.js): screenshots show finished charts, not bars
            # caught growing from the axis.
            reduced_motion="reduce",
        )
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.set_default_timeout(15_000)
        visit = Visit(base_url=demo_server, device=device, context=context, page=page)

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                visit.errors.append(f"console error on {page.url}: {msg.text}")

        def on_response(response: Any) -> None:
            if response.status >= 400:
                visit.errors.append(f"HTTP {response.status} for {response.request.method} {response.url}")

        def on_navigated(frame: Any) -> None:
            if frame == page.main_frame and frame.url.startswith(demo_server):
                visit.visited.append(frame.url)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: visit.errors.append(f"uncaught exception on {page.url}: {exc}"))
        page.on("requestfailed", lambda req: visit.errors.append(f"request failed: {req.url} ({req.failure})"))
        page.on("response", on_response)
        page.on("framenavigated", on_navigated)
        visits.append(visit)
        return visit

    try:
        yield open_visit
        for visit in visits:
            visit.finish()
    finally:
        for visit in visits:
            visit.context.close()
        # This test's own queries hold a persistent connection (CONN_MAX_AGE); close it so the test database
        # can be flushed and dropped while the module's server is gone.
        connections.close_all()
