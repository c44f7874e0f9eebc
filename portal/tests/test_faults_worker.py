"""A Celery worker killed with SIGKILL in the middle of a dispatch batch, then a new worker: every due reminder
goes out, and exactly once unless the kill lands in the one window the design cannot close.

Real worker processes (`celery -A portal worker --pool solo`) on a throwaway Redis, the test database, and
a slow SMTP sink (portal/tests/faults.py) that counts a message as delivered only once its 250 reached a
sender that was still alive.

What reminders_dispatch_due guarantees (see its docstring): the claim, the send and the "sent" mark share
one transaction holding the row lock. A worker killed before the SMTP server accepted a message leaves
nothing behind (its transaction rolls back, PostgreSQL drops its lock) and the next dispatch sends that
message once. A worker killed after the server accepted it but before the commit (during the SMTP QUIT
exchange) has sent a message the database does not know about: the next dispatch sends it again, with the
same Message-ID. Both cases are pinned below.
"""

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.models import Reminder
from portal.tasks import dispatch_due_reminders
from portal.tests.factories import UserFactory
from portal.tests.faults import RedisServer, kill, redis_server, smtp_sink, wait_until
from portal.tests.test_celery_worker import broker_at

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BATCH = 8


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    with redis_server() as server, broker_at(server.url()):
        yield server


def worker_database_url() -> str:
    """The database this test writes, for the worker subprocesses (pytest-django's test_<name>)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(own_redis: RedisServer) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(smtp_port: int) -> subprocess.Popen:
        # Not PYTEST_XDIST_WORKER: under pytest-xdist the settings would move the worker to another Redis
        # database of own_redis than the one this test's producer sends to (portal/settings.py XDIST_WORKER).
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"} | {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": own_redis.url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CONN_MAX_AGE": "0",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so kill() reaches all of it
        )
        started.append(process)
        return process

    yield start
    for process in started:
        kill(process)


def due_batch(n: int) -> list[Reminder]:
    now = timezone.now()
    users = UserFactory.create_batch(n)
    return Reminder.objects.bulk_create(
        Reminder(
            recipient=user,
            email_to=f"student{i}@example.edu.cn",
            channel=Reminder.Channel.EMAIL,
            subject=f"预约提醒 {i}",
            due_at=now - timedelta(seconds=n - i),  # dispatched in this order
            next_attempt_at=now - timedelta(seconds=n - i),
            dedupe_key=f"faults:worker:{i}",
        )
        for i, user in enumerate(users)
    )


def all_sent() -> bool:
    return not Reminder.objects.filter(status=Reminder.Status.PENDING).exists()


def message_ids(reminders: list[Reminder]) -> list[str]:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2]
    return [f"<reminder-{r.pk}@{domain}>" for r in reminders]


def test_a_worker_killed_before_the_server_accepted_a_message_loses_nothing_and_sends_nothing_twice(start_worker):
    reminders = due_batch(BATCH)
    with smtp_sink(delay=0.4) as sink:
        first = start_worker(sink.server_address[1])
        dispatch_due_reminders.delay()
        # The third message is inside the server's DATA handling when the worker dies.
        assert wait_until(lambda: len(sink.started) == 3, timeout=30)
        kill(first)
        assert first.returncode == -9
        assert wait_until(lambda: Reminder.objects.filter(status=Reminder.Status.SENT).count() == 2, timeout=5)

        start_worker(sink.server_address[1])
        dispatch_due_reminders.delay()  # beat's next minutely dispatch
        assert wait_until(all_sent, timeout=60)
        sent = list(sink.messages)

    assert Counter(sink.message_ids()) == Counter(message_ids(reminders))  # each exactly once
    assert len(sent) == BATCH
    # The killed claim rolled back: the reminder counts one attempt, by the second worker.
    assert set(Reminder.objects.values_list("status", "attempts")) == {(Reminder.Status.SENT, 1)}


def test_a_worker_killed_between_the_server_accepting_and_the_commit_resends_that_one_message(start_worker):
    reminders = due_batch(BATCH)
    with smtp_sink() as sink:
        sink.stall_quit_after = 3  # the third message is delivered; the worker waits for the 221
        first = start_worker(sink.server_address[1])
        dispatch_due_reminders.delay()
        assert sink.quit_stalled.wait(30)
        kill(first)

        start_worker(sink.server_address[1])
        dispatch_due_reminders.delay()
        assert wait_until(all_sent, timeout=60)

    expected = Counter(message_ids(reminders))
    expected[message_ids(reminders)[2]] += 1  # the one in the window, twice, under the same Message-ID
    assert Counter(sink.message_ids()) == expected
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}
