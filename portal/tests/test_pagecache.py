"""portal.kernel.pagecache: with the cache (Redis) unreachable, pages compute and writes are saved."""

import logging

import pytest
from django.core.cache import caches

from portal.kernel import pagecache
from portal.models import Notification
from portal.selectors import unread_notification_count
from portal.tests.factories import UserFactory


class _Down:
    def get(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    set = delete = get


@pytest.fixture
def cache_down(monkeypatch):
    monkeypatch.setattr(pagecache, "cache", _Down())


def test_a_value_is_computed_once_and_then_served_from_the_cache():
    calls = []
    key = "pagecache-test:v1:1"
    caches["default"].delete(key)
    assert pagecache.cached(key, lambda: calls.append(1) or 7, 60) == 7
    assert pagecache.cached(key, lambda: calls.append(1) or 8, 60) == 7
    assert calls == [1]
    pagecache.forget(key)
    assert pagecache.cached(key, lambda: 9, 60) == 9


def test_with_the_cache_down_the_value_is_computed_and_a_warning_logged(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.pagecache"):
        assert pagecache.cached("nav:v1:1:zh-hans:x", lambda: ["home"], 60) == ["home"]
        pagecache.forget("unread:v1:1")
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert "nav" in caplog.records[0].getMessage() and "unread" in caplog.records[1].getMessage()


def test_with_the_cache_down_a_notification_is_saved_and_counted(db, cache_down):
    user = UserFactory()
    Notification.objects.create(recipient=user, title="t", body="b", url="/")  # its signal forgets the count
    assert unread_notification_count(user) == 1
