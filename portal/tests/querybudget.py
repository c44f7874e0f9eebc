"""Query budgets for list pages: a page costs the same number of queries for 5 rows as for 50.

`assert_bounded(client, url, make_rows)` makes 5 rows, renders the page, makes 45 more, renders it again, and
asserts that both renders ran the same number of queries, at most `budget`. `make_rows(n)` creates n rows the
client's user may see and returns texts (names, titles, statuses…) the page must show for them; the helper
checks that every one is on the page, so the per-row related data (student name, college…) is really rendered
and an N+1 on it would show up as a growing count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.tests.pagecaches import forget_page_caches

DEFAULT_BUDGET = 15

RowMaker = Callable[[int], Iterable[str]]


def _render(client: Client, url: str) -> tuple[str, list[str]]:
    # Both measured renders start without the per-user page caches (navbar, bell count, dashboard rollup):
    # the budget is the cost of a page whose cached parts expired, the most it can cost.
    forget_page_caches()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def _listing(queries: list[str]) -> str:
    return "\n".join(f"  {i:>3}. {sql[:400]}" for i, sql in enumerate(queries, 1))


def _assert_shown(content: str, texts: list[str], url: str, rows: int) -> None:
    missing = [t for t in texts if t not in content]
    assert not missing, f"GET {url} with {rows} rows does not show {missing[:5]} ({len(missing)} missing)"


def assert_bounded(
    client: Client,
    url: str,
    make_rows: RowMaker,
    *,
    budget: int = DEFAULT_BUDGET,
    few: int = 5,
    many: int = 50,
) -> tuple[int, str]:
    """Assert that GET `url` costs the same number of queries (≤ budget) with `few` and with `many` rows.

    Returns the query count and the content of the second render, for extra assertions.
    """
    shown_few = list(make_rows(few))
    assert shown_few, "make_rows must return the texts the page shows for its rows"
    _render(client, url)  # warm per-process caches (config, session) so both counts compare like with like
    content, small = _render(client, url)
    _assert_shown(content, shown_few, url, few)
    shown_many = list(make_rows(many - few))
    content, large = _render(client, url)
    _assert_shown(content, shown_many, url, many)
    assert len(small) == len(large), (
        f"GET {url}: {len(small)} queries with {few} rows but {len(large)} with {many}.\n"
        f"With {few}:\n{_listing(small)}\nWith {many}:\n{_listing(large)}"
    )
    assert len(large) <= budget, f"GET {url}: {len(large)} queries, budget {budget}.\n{_listing(large)}"
    return len(large), content
