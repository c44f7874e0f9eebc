"""Redis (broker and cache) stops while the portal runs: pages still answer, reports and applications are saved,
their reminders wait in the outbox, and a worker sends each of them once when Redis is back.

A throwaway redis-server of this test's own (portal/tests/faults.py) is stopped and started again on the same
port, so the connections the cache client and the Celery producer pool opened before the outage go stale,
as in production."""

import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from aid.models import Application, Tier
from aid.tests.factories_funds import identify, programme
from counseling.models import Report, Sign
from portal.models import Notification, Reminder
from portal.services import kick_dispatcher
from portal.tasks import dispatch_due_reminders
from portal.tests.faults import RedisServer, redis_server, wait_until
from portal.tests.test_celery_worker import QUEUE, broker_at, running_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """The portal's cache and broker on a Redis this test may stop."""
    with redis_server() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url(),
                # As production's broker options: a dead server costs a request seconds, not minutes.
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
            }
        }
        with broker_at(server.url()):
            yield server


def timed_get(client, url: str) -> tuple[int, float]:
    start = time.monotonic()
    status = client.get(url).status_code
    return status, time.monotonic() - start


def report_form(**overrides: object) -> dict:
    data = {
        "about": "other",
        "relation": "roommate",
        "signs": [Sign.MOOD],
        "narrative": "她这几天不吃饭，一直在哭。",
        "when_where": "昨晚 北苑3栋",
        "idempotency_key": str(uuid.uuid4()),
    }
    return data | overrides


def test_with_redis_stopped_pages_answer_writes_are_saved_and_reminders_go_out_once_it_is_back(
    world, client_for, own_redis
):
    identify(world.student_a, Tier.SPECIAL)
    grant = programme("national-grant")
    student = client_for(world["student"])
    pages = [
        reverse("portal:home"),
        reverse("counseling:index"),
        reverse("counseling:report_new"),
        reverse("counseling:slots"),
        reverse("counseling:screening_mine"),
        reverse("aid:programme_list"),
        reverse("portal:notifications"),
    ]

    # Running normally: the cache and the broker both hold connections to this Redis.
    assert all(timed_get(student, url)[0] == 200 for url in pages)
    cache.set("faults:warm", 1)
    kick_dispatcher()
    broker = redis.Redis.from_url(own_redis.url())
    assert broker.llen(QUEUE) == 1
    broker.delete(QUEUE)
    broker.close()

    own_redis.stop()

    for url in pages:
        status, elapsed = timed_get(student, url)
        assert (url, status) == (url, 200)
        assert elapsed < 5, (url, elapsed)
    started = time.monotonic()
    reported = student.post(
        reverse("counseling:report_new"), report_form(student_no=world.roommate_a.student_no, in_danger="on")
    )
    applied = student.post(reverse("aid:programme_apply", args=[grant.pk]), {"statement": "父亲生病，家里收入减少。"})
    assert time.monotonic() - started < 10  # each on_commit kick gives up after one short try
    assert reported.status_code == 302 and student.get(reported["Location"]).status_code == 200
    assert applied.status_code == 302 and student.get(applied["Location"]).status_code == 200
    station = client_for(world["station"])
    assert station.get(reverse("counseling:queue")).status_code == 200

    report = Report.objects.get()
    assert report.case.student == world.roommate_a
    assert Application.objects.get(student=world.student_a).status == Application.Status.SUBMITTED
    waiting = Reminder.objects.filter(due_at__lte=timezone.now())
    assert waiting.exists()
    assert set(waiting.values_list("status", "attempts")) == {(Reminder.Status.PENDING, 0)}
    due_ids = set(waiting.values_list("pk", flat=True))

    own_redis.start()  # same port: the stale pooled connections must reconnect by themselves

    assert student.get(reverse("portal:home")).status_code == 200
    cache.set("faults:back", 1)
    assert cache.get("faults:back") == 1
    with running_worker() as results:
        dispatch_due_reminders.delay()  # beat's minutely dispatch
        assert wait_until(
            lambda: not Reminder.objects.filter(pk__in=due_ids, status=Reminder.Status.PENDING).exists(), timeout=30
        )
        dispatch_due_reminders.delay()  # and once more: nothing goes out twice
        assert wait_until(lambda: [n for n, _ in results].count(dispatch_due_reminders.name) == 2)

    sent = Reminder.objects.filter(pk__in=due_ids)
    assert set(sent.values_list("status", "attempts")) == {(Reminder.Status.SENT, 1)}
    in_app = sent.filter(channel=Reminder.Channel.IN_APP)
    assert in_app.exists()
    expected = Counter((r.recipient_id, r.subject) for r in in_app)
    assert Counter(Notification.objects.values_list("recipient_id", "title")) == expected
