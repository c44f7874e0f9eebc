"""Celery wiring against the real Redis: a worker round trip, and what a broker outage costs.

The broker tests use Redis database TEST_REDIS_DB of the REDIS_URL server, so they never take messages
from (or leave messages for) a development worker on the configured database.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun, task_success
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from portal.celery import app
from portal.models import Notification, Reminder
from portal.services import kick_dispatcher, reminder_schedule, reminders_dispatch_due
from portal.tasks import dispatch_due_reminders, ping
from portal.tests.factories import UserFactory
from portal.tests.faults import free_port

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)")

# Alone: database 15. Under pytest-xdist: the odd database above the worker's own (settings.XDIST_WORKER).
TEST_REDIS_DB = int(urlsplit(settings.REDIS_URL).path.strip("/")) + 1 if settings.XDIST_WORKER else 15
QUEUE = "celery"  # the default queue, which the kick and beat use


def isolated_broker_url() -> str:
    return urlsplit(settings.REDIS_URL)._replace(path=f"/{TEST_REDIS_DB}").geturl()


def _drop_broker_pools() -> None:
    # The app caches a connection pool and a producer pool bound to the broker URL it first saw.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    saved = app.conf.broker_url
    _drop_broker_pools()
    app.conf.broker_url = url
    try:
        yield
    finally:
        _drop_broker_pools()
        app.conf.broker_url = saved


@pytest.fixture
def test_broker() -> Iterator[redis.Redis]:
    """The app's broker switched to the test database, with an empty queue before and after."""
    client = redis.Redis.from_url(isolated_broker_url())
    client.delete(QUEUE)
    with broker_at(isolated_broker_url()):
        yield client
    client.delete(QUEUE)
    client.close()


@contextmanager
def silent_broker() -> Iterator[str]:
    """A server that accepts connections and never answers: a hung Redis or a half-open link."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(2)
        for sock in accepted:
            sock.close()
        server.close()


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def timed(fn: Callable[[], object]) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


# --- the broker is down --------------------------------------------------------------------------------


def test_a_kick_gives_up_at_once_when_the_broker_refuses(caplog):
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        elapsed = timed(kick_dispatcher)
    assert elapsed < 1.0
    assert "broker unavailable" in caplog.text


def test_a_kick_gives_up_quickly_when_the_broker_never_answers(caplog):
    with silent_broker() as url, broker_at(url):
        elapsed = timed(kick_dispatcher)
    assert elapsed < 3.0
    assert "broker unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_scheduling_with_the_broker_down_keeps_the_reminder_and_does_not_hang():
    user = UserFactory()

    def schedule_in_a_transaction() -> None:
        with transaction.atomic():
            reminder_schedule(
                recipient=user,
                channel=Reminder.Channel.IN_APP,
                subject="危机上报",
                due_at=timezone.now(),
                dedupe_key="k",
            )

    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        elapsed = timed(schedule_in_a_transaction)  # the kick runs on commit and fails

    assert elapsed < 3.0
    reminder = Reminder.objects.get(dedupe_key="k")
    assert (reminder.status, reminder.attempts) == (Reminder.Status.PENDING, 0)
    # Beat's next dispatch, once the broker is back, sends it.
    assert reminders_dispatch_due() == 1
    assert Notification.objects.filter(recipient=user, title="危机上报").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_transaction_scheduling_many_due_reminders_kicks_once(test_broker):
    users = UserFactory.create_batch(3)
    with transaction.atomic():
        for user in users:
            reminder_schedule(
                recipient=user, channel="in_app", subject="班级通知", due_at=timezone.now(), dedupe_key=f"n:{user.pk}"
            )
        reminder_schedule(
            recipient=users[0],
            channel="in_app",
            subject="later",
            due_at=timezone.now() + timedelta(hours=1),
            dedupe_key="later",
        )
        assert test_broker.llen(QUEUE) == 0  # nothing leaves before the commit
    assert test_broker.llen(QUEUE) == 1

    # A rolled-back transaction kicks nothing.
    test_broker.delete(QUEUE)
    with pytest.raises(RuntimeError), transaction.atomic():
        reminder_schedule(recipient=users[0], channel="in_app", subject="x", due_at=timezone.now(), dedupe_key="rb")
        raise RuntimeError
    assert test_broker.llen(QUEUE) == 0
    assert not Reminder.objects.filter(dedupe_key="rb").exists()


# --- a real worker --------------------------------------------------------------------------------------


@contextmanager
def running_worker() -> Iterator[list[tuple[str, object]]]:
    """An embedded worker (solo pool, in a thread) on the test broker; yields the results it produced."""
    results: list[tuple[str, object]] = []

    def record(sender, result, **kwargs) -> None:
        results.append((sender.name, result))

    def close_db(**kwargs) -> None:
        connections.close_all()  # the worker thread's own connection, so the test database can be flushed

    task_success.connect(record, weak=False)
    task_postrun.connect(close_db, weak=False)
    hijack = app.conf.worker_hijack_root_logger
    app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20):
            yield results
    finally:
        app.conf.worker_hijack_root_logger = hijack
        task_success.disconnect(record)
        task_postrun.disconnect(close_db)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_answers_ping_and_dispatches_what_a_commit_kicked(test_broker):
    user = UserFactory()
    with running_worker() as results:
        ping.delay()
        assert wait_until(lambda: (ping.name, "pong") in results)

        # The real path: a due reminder is committed, on_commit kicks the worker through Redis, and the
        # worker's dispatch writes the notification.
        with transaction.atomic():
            reminder_schedule(
                recipient=user, channel="in_app", subject="预约提醒", due_at=timezone.now(), dedupe_key="worker:1"
            )
        assert wait_until(lambda: Notification.objects.filter(recipient=user).exists())

        # Twice more by hand: the task is idempotent.
        dispatch_due_reminders.delay()
        dispatch_due_reminders.delay()
        assert wait_until(lambda: [r for name, r in results if name == dispatch_due_reminders.name] == [1, 0, 0])

    assert Notification.objects.filter(recipient=user).count() == 1
    reminder = Reminder.objects.get(dedupe_key="worker:1")
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENT, 1)
    assert test_broker.llen(QUEUE) == 0


def test_every_beat_entry_names_a_registered_task():
    """A renamed or moved task would make beat send messages no worker understands."""
    from django.conf import settings

    from portal.celery import app

    app.loader.import_default_modules()
    unknown = {
        name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if entry["task"] not in app.tasks
    }
    assert unknown == {}
