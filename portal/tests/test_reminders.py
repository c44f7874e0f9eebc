"""The outbox: reminders are scheduled once, sent once (also by concurrent dispatchers), retried with
backoff while a channel is down, and given up after REMINDER_MAX_ATTEMPTS.

Real PostgreSQL throughout; only SMTP (a tiny fake server on a real socket, or Django's locmem
outbox) and the SMS gateway (a callable named by settings.SMS_BACKEND) are fakes.
"""

import email
import email.policy
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from portal.models import Notification, Reminder
from portal.services import DomainError, notify, reminder_cancel, reminder_schedule, reminders_dispatch_due
from portal.tasks import dispatch_due_reminders
from portal.tests.factories import StudentFactory, UserFactory
from portal.tests.faults import free_port, smtp_sink

pytestmark = pytest.mark.django_db

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:咨询预约\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

# --- fakes ----------------------------------------------------------------------------------------

SENT_SMS: list[tuple[str, str]] = []


def fake_sms(phone: str, text: str) -> None:
    """The SMS gateway of these tests (settings.SMS_BACKEND points here)."""
    SENT_SMS.append((phone, text))


def smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


def schedule(recipient, key: str, *, channel: str = Reminder.Channel.IN_APP, due_in: timedelta = timedelta(0), **kw):
    return reminder_schedule(
        recipient=recipient,
        channel=channel,
        subject=kw.pop("subject", f"提醒 {key}"),
        due_at=timezone.now() + due_in,
        dedupe_key=key,
        **kw,
    )


# --- scheduling, sending once, cancelling ---------------------------------------------------------


def test_scheduling_is_idempotent_by_dedupe_key():
    user = UserFactory()
    first = schedule(user, "appt:1:24h", due_in=timedelta(hours=1), body="first")
    again = schedule(user, "appt:1:24h", due_in=timedelta(hours=5), body="second")
    assert again.pk == first.pk
    assert Reminder.objects.filter(dedupe_key="appt:1:24h").count() == 1
    assert Reminder.objects.get().body == "first"


def test_an_unknown_channel_is_refused():
    with pytest.raises(DomainError):
        schedule(UserFactory(), "x", channel="pigeon")
    assert not Reminder.objects.exists()


def test_a_due_in_app_reminder_becomes_exactly_one_notification():
    user = UserFactory()
    reminder = schedule(user, "case:7:assigned", subject="新个案", body="请查看", url="/cases/7/")

    assert reminders_dispatch_due() == 1
    assert reminders_dispatch_due() == 0  # a second run finds nothing to send

    notification = Notification.objects.get()
    assert (notification.recipient, notification.title, notification.body, notification.url) == (
        user,
        "新个案",
        "请查看",
        "/cases/7/",
    )
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert reminder.attempts == 1
    assert reminder.sent_at is not None


def test_a_future_reminder_waits_until_it_is_due():
    reminder = schedule(UserFactory(), "appt:2:1h", due_in=timedelta(hours=1))

    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.PENDING, 0)
    assert not Notification.objects.exists()

    with time_machine.travel(reminder.due_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
    assert Notification.objects.count() == 1


def test_a_cancelled_reminder_is_never_sent():
    user = UserFactory()
    schedule(user, "appt:3:24h")
    assert reminder_cancel(dedupe_key="appt:3:24h") is True
    assert reminder_cancel(dedupe_key="appt:3:24h") is False  # already cancelled
    assert reminder_cancel(dedupe_key="no-such-key") is False

    assert reminders_dispatch_due() == 0
    assert Reminder.objects.get().status == Reminder.Status.CANCELLED
    assert not Notification.objects.exists()


def test_a_sent_reminder_cannot_be_cancelled():
    schedule(UserFactory(), "appt:4:24h")
    reminders_dispatch_due()
    assert reminder_cancel(dedupe_key="appt:4:24h") is False
    assert Reminder.objects.get().status == Reminder.Status.SENT


def test_the_dispatch_task_run_twice_sends_once():
    schedule(UserFactory(), "task:twice")
    assert dispatch_due_reminders.apply().get() == 1
    assert dispatch_due_reminders.apply().get() == 0
    assert Notification.objects.count() == 1


def test_notify_sends_in_app_and_email_once(mailoutbox):
    user = UserFactory(email="lina@example.edu.cn")
    for _ in range(2):  # the same event reported twice
        notify(recipient=user, title="预约已确认", body="周三 14:00", dedupe_key="appt:9:confirmed", email=True)

    assert reminders_dispatch_due() == 2
    assert reminders_dispatch_due() == 0
    assert Notification.objects.filter(recipient=user).count() == 1
    assert [m.to for m in mailoutbox] == [["lina@example.edu.cn"]]


# --- channels ----------------------------------------------------------------------------------------


def test_email_goes_out_with_its_ics_attachment(mailoutbox, settings):
    settings.SITE_URL = "https://nuanxin.example.edu.cn"
    user = UserFactory(email="student@example.edu.cn")
    schedule(
        user,
        "appt:5:invite",
        channel=Reminder.Channel.EMAIL,
        subject="咨询预约确认",
        body="请准时到达。",
        url="/appointments/5/",
        attachment=("appointment.ics", ICS, "text/calendar"),
    )

    assert reminders_dispatch_due() == 1
    assert reminders_dispatch_due() == 0

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["student@example.edu.cn"]
    assert message.subject == "咨询预约确认"
    assert message.body == "请准时到达。\n\nhttps://nuanxin.example.edu.cn/appointments/5/"
    [(name, content, mimetype)] = message.attachments
    assert (name, content, mimetype) == ("appointment.ics", ICS, "text/calendar")
    # …and it survives MIME encoding, as a mail client would see it.
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == "appointment.ics"
    assert part.get_content_type() == "text/calendar"
    assert part.get_content().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")


def test_sms_goes_to_the_configured_backend_with_the_fixed_wording_never_the_subject(settings):
    from portal.channels import templates

    settings.SMS_BACKEND = f"{__name__}.fake_sms"
    SENT_SMS.clear()
    student = StudentFactory(phone="13912345678")
    schedule(student.user, "appt:6:sms", channel=Reminder.Channel.SMS, subject="明天 9:00 心理咨询")

    assert reminders_dispatch_due() == 1
    assert reminders_dispatch_due() == 0
    # An SMS passes through the provider: it carries the kind's fixed wording, not the reminder's subject.
    assert [("13912345678", templates.sms_text("notice", {}))] == SENT_SMS
    assert "心理咨询" not in SENT_SMS[0][1]


def test_nothing_to_send_to_fails_at_once_without_retrying(settings, mailoutbox):
    settings.SMS_BACKEND = f"{__name__}.fake_sms"
    SENT_SMS.clear()
    no_email = UserFactory(email="")
    no_phone = UserFactory()  # neither a student nor a staff profile
    schedule(no_email, "mail:none", channel=Reminder.Channel.EMAIL)
    schedule(no_phone, "sms:none", channel=Reminder.Channel.SMS)

    assert reminders_dispatch_due() == 0
    for reminder in Reminder.objects.all():
        assert reminder.status == Reminder.Status.FAILED
        assert reminder.attempts == 1
        assert reminder.last_error.startswith("DomainError: recipient has no")
    assert mailoutbox == [] and SENT_SMS == []


# --- SMTP down, then up -----------------------------------------------------------------------------


def test_smtp_down_is_retried_with_backoff_and_sent_when_it_is_back(settings):
    port = free_port()
    settings.MAILERS = smtp_mailers(port)
    user = UserFactory(email="wang@example.edu.cn")
    reminder = schedule(user, "appt:8:mail", channel=Reminder.Channel.EMAIL, subject="Appointment tomorrow")

    before = timezone.now()
    assert reminders_dispatch_due() == 0  # nothing listens on the port: connection refused
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.attempts == 1
    assert "ConnectionRefusedError" in reminder.last_error
    assert reminder.next_attempt_at >= before + timedelta(minutes=1)  # first backoff step

    assert reminders_dispatch_due() == 0  # not retried before its time
    reminder.refresh_from_db()
    assert reminder.attempts == 1

    with smtp_sink(port) as server, time_machine.travel(reminder.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
        assert reminders_dispatch_due() == 0

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (Reminder.Status.SENT, 2, "")
    [raw] = server.messages
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["To"] == "wang@example.edu.cn"
    assert received["Subject"] == "Appointment tomorrow"


def test_after_max_attempts_a_reminder_fails_for_good(settings):
    settings.MAILERS = smtp_mailers(free_port())
    settings.REMINDER_MAX_ATTEMPTS = 3
    reminder = schedule(UserFactory(), "appt:10:mail", channel=Reminder.Channel.EMAIL)

    delays = []
    for attempt in (1, 2, 3):
        with time_machine.travel(reminder.next_attempt_at + timedelta(seconds=1)):
            assert reminders_dispatch_due() == 0
        previous_next = reminder.next_attempt_at
        reminder.refresh_from_db()
        assert reminder.attempts == attempt
        if attempt < 3:
            assert reminder.status == Reminder.Status.PENDING
            delays.append(reminder.next_attempt_at - previous_next)
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.last_error
    # Backoff doubles: about 1 then 2 minutes after each attempt.
    assert timedelta(minutes=1) <= delays[0] < timedelta(minutes=2)
    assert timedelta(minutes=2) <= delays[1] < timedelta(minutes=3)

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.FAILED, 3)


# --- exactly once under concurrency -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("channel", [Reminder.Channel.IN_APP, Reminder.Channel.EMAIL])
def test_concurrent_dispatchers_send_each_reminder_exactly_once(channel, mailoutbox):
    """In-app rows are claimed in batches, e-mails one per transaction; both with SKIP LOCKED, each dispatcher
    going on from its previous claim."""
    dispatchers, reminders = 4, 200
    user = UserFactory(email="student@example.edu.cn")
    now = timezone.now()
    # Rows straight into the outbox: this test is about the dispatcher, not about kicking the broker.
    Reminder.objects.bulk_create(
        Reminder(
            recipient=user,
            channel=channel,
            subject=f"r{i}",
            due_at=now - timedelta(seconds=i % 7),  # a few due moments, so claims order by time and id
            next_attempt_at=now - timedelta(seconds=i % 7),
            dedupe_key=f"concurrency:{i}",
        )
        for i in range(reminders)
    )
    barrier = threading.Barrier(dispatchers)
    counts: list[int | None] = [None] * dispatchers
    errors: list[BaseException] = []

    def dispatcher(n: int) -> None:
        try:
            connection.ensure_connection()  # each thread has its own connection; open it before the start
            barrier.wait(timeout=10)
            counts[n] = reminders_dispatch_due()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert not any(thread.is_alive() for thread in threads)
    assert sum(counts) == reminders, counts
    if channel == Reminder.Channel.IN_APP:
        delivered = Counter(Notification.objects.values_list("title", flat=True))
    else:
        delivered = Counter(message.subject for message in mailoutbox)
        assert {tuple(message.to) for message in mailoutbox} == {("student@example.edu.cn",)}
    assert delivered == {f"r{i}": 1 for i in range(reminders)}
    assert set(Reminder.objects.values_list("status", "attempts").distinct()) == {(Reminder.Status.SENT, 1)}
    assert reminders_dispatch_due() == 0


def test_email_to_an_address_with_no_login(mailoutbox):
    reminder_schedule(
        recipient=None,
        channel=Reminder.Channel.EMAIL,
        email_to="lead-cs@example.edu.cn",
        subject="高风险上报",
        due_at=timezone.now(),
        dedupe_key="lead:1",
    )
    assert reminders_dispatch_due() == 1
    assert reminders_dispatch_due() == 0
    assert [m.to for m in mailoutbox] == [["lead-cs@example.edu.cn"]]


@pytest.mark.parametrize("channel", [Reminder.Channel.IN_APP, Reminder.Channel.SMS, Reminder.Channel.EMAIL])
def test_a_reminder_with_nobody_to_send_to_is_refused(channel):
    with pytest.raises(DomainError):
        reminder_schedule(recipient=None, channel=channel, subject="x", due_at=timezone.now(), dedupe_key="nobody")
    assert not Reminder.objects.exists()


def test_a_full_batch_queues_the_next_one_at_once(monkeypatch):
    """A backlog (Redis or SMTP came back after an hour) drains batch after batch, not one batch a minute."""
    user = UserFactory()
    for n in range(5):
        schedule(user, f"backlog-{n}")
    queued: list[int] = []
    monkeypatch.setattr("portal.tasks.DISPATCH_BATCH", 2)
    monkeypatch.setattr(dispatch_due_reminders, "delay", lambda: queued.append(1))
    assert dispatch_due_reminders() == 2
    assert queued == [1]  # full batch: more may be due
    assert dispatch_due_reminders() == 2
    assert dispatch_due_reminders() == 1
    assert queued == [1, 1]  # the last batch was not full: beat takes over again
    assert Notification.objects.filter(recipient=user).count() == 5
