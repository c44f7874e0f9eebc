"""Celery workers killed with SIGKILL in the middle of dispatching SMS and WeCom reminders, and a channel outage
that then recovers: every due reminder goes out, on each channel exactly once, except in the one window the
design cannot close (as for e-mail, portal/tests/test_faults_worker.py).

Real worker processes (`celery -A portal worker --pool solo`) on a throwaway Redis (broker and cache: the WeCom
token and the SMS day counters), the test database, and the fake WeCom and Aliyun dysms servers
(fake_wecom.py, fake_sms.py). The fakes count a message as delivered only once they have processed it for a
sender that is still connected, the way the SMTP sink does.

The guarantee (portal.services.reminders_dispatch_due): each SMS or WeCom row is claimed, sent and marked sent
in one transaction holding its row lock. A worker killed before the provider processed its request leaves
nothing behind and the next dispatch sends it once. A worker killed after the provider delivered the message
but before the commit (while the provider's answer is on its way) has sent a message the database does not
know about: the next dispatch sends it again, for SMS with the same OutId. Both are pinned below.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from portal.models import MessageKind, Reminder
from portal.tasks import dispatch_due_reminders
from portal.tests import fake_sms, fake_wecom
from portal.tests.factories import StaffFactory
from portal.tests.faults import RedisServer, kill, redis_server, wait_until
from portal.tests.test_celery_worker import broker_at
from portal.tests.test_faults_worker import worker_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BATCH = 8


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    with redis_server() as server, broker_at(server.url()):
        yield server


@pytest.fixture
def fakes() -> Iterator[tuple[fake_wecom.FakeWecom, fake_sms.FakeSms]]:
    with fake_wecom.fake_wecom() as wecom, fake_sms.fake_sms() as sms:
        yield wecom, sms


@pytest.fixture
def start_worker(own_redis: RedisServer, fakes) -> Iterator:
    wecom, sms = fakes
    started: list[subprocess.Popen] = []
    codes = ",".join(f"{key}={code}" for key, code in fake_sms.TEMPLATE_CODES.items())

    def start() -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"} | {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": own_redis.url(),
            "CONN_MAX_AGE": "0",
            "SMS_GATEWAY": "aliyun",
            "SMS_ALIYUN_ENDPOINT": sms.endpoint,
            "SMS_ALIYUN_ACCESS_KEY_ID": fake_sms.ACCESS_KEY_ID,
            "SMS_ALIYUN_ACCESS_KEY_SECRET": fake_sms.ACCESS_KEY_SECRET,
            "SMS_TEMPLATE_CODES": codes,
            "WECOM_API_BASE": wecom.base,
            "WECOM_CORP_ID": fake_wecom.CORP_ID,
            "WECOM_AGENT_ID": fake_wecom.AGENT_ID,
            "WECOM_SECRET": fake_wecom.SECRET,
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
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        kill(process)


def due_batch(n: int, wecom: fake_wecom.FakeWecom) -> list[Reminder]:
    """n reminders, SMS and WeCom in turn, each to its own member of staff, in dispatch order."""
    now = timezone.now()
    people = [StaffFactory(phone=f"1390000{i:04d}") for i in range(n)]
    wecom.users = {p.employee_no for p in people}
    return Reminder.objects.bulk_create(
        Reminder(
            recipient=person.user,
            channel=Reminder.Channel.SMS if i % 2 == 0 else Reminder.Channel.WECOM,
            kind=MessageKind.CRISIS_ALERT,
            subject=f"学生 {i} 高风险",
            url=f"/counseling/cases/{i}/",
            due_at=now - timedelta(seconds=n - i),
            next_attempt_at=now - timedelta(seconds=n - i),
            dedupe_key=f"faults:channels:{i}",
        )
        for i, person in enumerate(people)
    )


def all_sent() -> bool:
    return not Reminder.objects.filter(status=Reminder.Status.PENDING).exists()


def deliveries(wecom: fake_wecom.FakeWecom, sms: fake_sms.FakeSms) -> Counter:
    """One entry per delivered message, named by its reminder: SMS by OutId, WeCom by the deep link."""
    counts: Counter = Counter(m.out_id for m in sms.messages)
    for message in wecom.messages:
        case = message["textcard"]["url"].rstrip("/").rsplit("/", 1)[1]
        counts[f"wecom-{case}"] += 1
    return counts


def expected(reminders: list[Reminder]) -> Counter:
    return Counter(
        f"reminder-{r.pk}" if r.channel == Reminder.Channel.SMS else f"wecom-{r.url.rstrip('/').rsplit('/', 1)[1]}"
        for r in reminders
    )


def started(wecom: fake_wecom.FakeWecom, sms: fake_sms.FakeSms) -> int:
    return len(wecom.started) + len(sms.started)


def test_a_worker_killed_before_the_provider_processed_a_message_loses_nothing_and_sends_nothing_twice(
    start_worker, fakes
):
    wecom, sms = fakes
    reminders = due_batch(BATCH, wecom)
    wecom.delay = sms.delay = 0.4
    first = start_worker()
    dispatch_due_reminders.delay()
    # The third message is being processed by its provider when the worker dies.
    assert wait_until(lambda: started(wecom, sms) == 3, timeout=30)
    kill(first)
    assert first.returncode == -9
    assert wait_until(lambda: Reminder.objects.filter(status=Reminder.Status.SENT).count() == 2, timeout=5)

    wecom.delay = sms.delay = 0.0
    start_worker()
    dispatch_due_reminders.delay()  # beat's next minutely dispatch
    assert wait_until(all_sent, timeout=60)

    assert deliveries(wecom, sms) == expected(reminders)  # each exactly once
    assert set(Reminder.objects.values_list("status", "attempts")) == {(Reminder.Status.SENT, 1)}


@pytest.mark.parametrize("channel", ["sms", "wecom"])
def test_a_worker_killed_between_delivery_and_commit_resends_that_one_message(start_worker, fakes, channel):
    wecom, sms = fakes
    reminders = due_batch(BATCH, wecom)
    stalling = sms if channel == "sms" else wecom
    stalling.stall_after = 2  # its second message is delivered; the worker waits for the answer
    first = start_worker()
    dispatch_due_reminders.delay()
    assert stalling.stalled.wait(30)
    kill(first)

    start_worker()
    dispatch_due_reminders.delay()
    assert wait_until(all_sent, timeout=60)

    want = expected(reminders)
    of_channel = [r for r in reminders if r.channel == channel]
    [twice] = expected([of_channel[1]])
    want[twice] += 1  # the one in the window, twice (an SMS under the same OutId)
    assert deliveries(wecom, sms) == want
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}


def test_an_outage_of_both_channels_is_retried_and_each_message_goes_out_once_when_they_are_back(start_worker, fakes):
    wecom, sms = fakes
    reminders = due_batch(BATCH, wecom)
    wecom.down = True
    sms.errors = [(503, "ServiceUnavailable")] * (BATCH // 2)
    start_worker()
    dispatch_due_reminders.delay()
    assert wait_until(lambda: not Reminder.objects.filter(attempts=0).exists(), timeout=60)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(Reminder.Status.PENDING, 1)}
    assert wecom.messages == [] and sms.messages == []
    assert all("Unavailable" in e for e in Reminder.objects.values_list("last_error", flat=True))

    wecom.down = False
    # The backoff has passed (the worker's clock cannot be moved: move the rows' due time instead).
    Reminder.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    dispatch_due_reminders.delay()
    assert wait_until(all_sent, timeout=60)
    assert deliveries(wecom, sms) == expected(reminders)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(Reminder.Status.SENT, 2)}
