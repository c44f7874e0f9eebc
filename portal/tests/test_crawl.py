"""Every page a demo account can reach by clicking works: no server error anywhere.

The demo school is seeded (with every app's demo step), then each demo account follows every
same-site link from its home page, breadth first, in both languages. Only GET: forms are tested
per view; this catches the page nobody thought to test.
"""

from collections import deque
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from portal.demo import seed_demo
from portal.models import User
from portal.tests.shown_words import shown_faults

DEMO_ACCOUNTS = [
    "student",
    "liaison",
    "committee",
    "station",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]
MAX_PAGES = 250
SKIP_PREFIXES = ("/static/", "/admin/", "/accounts/logout/", "/i18n/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def crawl(client: Client, start: str = "/", *, on_page: Callable[[str, str], None] | None = None) -> dict[str, int]:
    """{url: status} of every page reachable from `start`; `on_page(url, html)` sees each HTML page."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if on_page is not None:
            on_page(url, html)
        parser = Links()
        parser.feed(html)
        for href in parser.hrefs:
            target = urldefrag(urljoin(url, href)).url
            parts = urlsplit(target)
            if (
                parts.scheme in ("", "http")
                and parts.netloc in ("", "testserver")
                and not parts.path.startswith(SKIP_PREFIXES)
            ):
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if path not in seen:
                    queue.append(path)
    return seen


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The demo school, seeded once for the 20 crawls of this module (seeding is most of a crawl's cost) and
    committed; each crawl runs in its own transaction, rolled back, so what one crawl writes (audit events,
    sessions) the next does not see. Emptied after the module, as the database of every other test is."""
    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_"), "never flush a real database"
        seed_demo()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(demo_once, db):
    return None


@pytest.mark.slow
@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_reachable_page_works_for_every_demo_account(demo, username, language):
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    faults: dict[str, list[str]] = {}

    def inspect(url: str, html: str) -> None:
        found = shown_faults(url, html, language=language, username=username)
        if found:
            faults[url] = found

    pages = crawl(client, on_page=inspect)
    assert len(pages) > 3, pages
    # No raw code (status, level, tier, role, choice) and no login name in what the page shows.
    assert faults == {}, faults
    errors = {url: status for url, status in pages.items() if status >= 500}
    assert errors == {}
    # The demo accounts' own links never lead to a page they may not see.
    forbidden = {url: status for url, status in pages.items() if status in (403, 404)}
    assert forbidden == {}, forbidden
