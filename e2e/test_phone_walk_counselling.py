"""The phone walk (e2e/phone_walk.py) for the counselling staff: college station, centre counsellor, assessor."""

import pytest

from e2e.phone_walk import LANGUAGES, WALK_GROUPS, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", WALK_GROUPS["counselling"])
def test_every_reachable_page_works_on_a_phone(chromium, demo_server, username, language):
    walk_as(chromium, demo_server, username, language)
