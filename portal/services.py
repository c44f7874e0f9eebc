"""Writes of the shared core. Every change goes through one of these and leaves an audit event."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from portal.audit import audit_log
from portal.celery import app as celery_app
from portal.models import Notification, Reminder, Student, User
from portal.sms import send_sms
from portal.validators import normalise_phone, validate_phone

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the change; views show it as a form error, never a 500."""


def lock_idempotency_key(key: uuid.UUID) -> None:
    """Serialise requests carrying the same one-time form token (a double click, a retried submit): the
    second waits here until the first commits, then finds what it created instead of failing on the
    unique key. A transaction-scoped PostgreSQL advisory lock; SQLite (the demo) has one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(key.bytes[:8], "big", signed=True)])


# --- Students -------------------------------------------------------------------------------------


@transaction.atomic
def student_update_contact(*, actor: User, student: Student, phone: str) -> Student:
    """Set the student's phone. Caller has checked `can(actor, "change_contact", student)`."""
    phone = normalise_phone(phone)
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            raise DomainError(exc.messages[0]) from exc
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.phone == phone:
        return student
    student.phone = phone
    student.save(update_fields=["phone"])
    audit_log(actor=actor, action="student.contact_changed", obj=student, changes={"fields": ["phone"]})
    return student


# --- Notifications --------------------------------------------------------------------------------


def notification_mark_read(*, actor: User, notification_id: int) -> bool:
    """Mark one of the actor's own notifications read; False when it is not theirs or already read."""
    return bool(
        Notification.objects.filter(pk=notification_id, recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def notifications_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- Reminders: the outbox ------------------------------------------------------------------------


def reminder_schedule(
    *,
    recipient: User | None,
    channel: str,
    subject: str,
    due_at: datetime,
    dedupe_key: str,
    email_to: str = "",
    body: str = "",
    url: str = "",
    attachment: tuple[str, str, str] | None = None,
) -> Reminder:
    """Put a message in the outbox. Idempotent: the same dedupe_key schedules it once.

    `attachment` is (file name, text content, mimetype), e.g. an .ics invitation. `email_to` (with
    recipient None) sends an e-mail to an address with no login, such as a college's leadership contact.
    Due-now reminders are pushed to the worker on commit; if the broker is down, beat's minutely
    dispatch sends them as soon as it is back.
    """
    if channel not in Reminder.Channel.values:
        raise DomainError(f"unknown channel {channel!r}")
    if recipient is None and not (channel == Reminder.Channel.EMAIL and email_to):
        raise DomainError("a reminder needs a recipient, or an e-mail address for the e-mail channel")
    name, content, mimetype = attachment or ("", "", "")
    reminder, created = Reminder.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "recipient": recipient,
            "email_to": email_to,
            "channel": channel,
            "subject": subject[:200],
            "body": body,
            "url": url,
            "due_at": due_at,
            "next_attempt_at": due_at,
            "attachment_name": name,
            "attachment_content": content,
            "attachment_mimetype": mimetype,
        },
    )
    if created and due_at <= timezone.now():
        _kick_dispatcher_on_commit()
    return reminder


def _kick_dispatcher_on_commit() -> None:
    """One kick per transaction, however many due reminders it schedules (a notice to a whole class)."""
    pending = transaction.get_connection().run_on_commit
    if not any(func is kick_dispatcher for _, func, _ in pending):
        transaction.on_commit(kick_dispatcher)


def reminder_cancel(*, dedupe_key: str) -> bool:
    """Cancel a reminder that has not gone out yet (e.g. the appointment was cancelled)."""
    return bool(
        Reminder.objects.filter(dedupe_key=dedupe_key, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED
        )
    )


def notify(*, recipient: User, title: str, body: str = "", url: str = "", dedupe_key: str, email: bool = False) -> None:
    """Tell someone something now: in the app and, if asked, by e-mail. Both go through the outbox."""
    now = timezone.now()
    reminder_schedule(
        recipient=recipient,
        channel=Reminder.Channel.IN_APP,
        subject=title,
        body=body,
        url=url,
        due_at=now,
        dedupe_key=f"{dedupe_key}:in_app",
    )
    if email and recipient.email:
        reminder_schedule(
            recipient=recipient,
            channel=Reminder.Channel.EMAIL,
            subject=title,
            body=body,
            url=url,
            due_at=now,
            dedupe_key=f"{dedupe_key}:email",
        )


# A kick is only a shortcut (beat dispatches every minute), so it gets one try on its own connection
# with short socket timeouts: kombu's default connect loop sleeps 2 s before giving up on a refused
# connection, and without socket timeouts a broker that accepts but never answers blocks for good.
# This runs in on_commit, i.e. inside the user's request.
KICK_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 1.0, "socket_timeout": 1.0}
# The task is sent by name: portal.tasks imports these services, so they never import it back.
DISPATCH_TASK = "portal.reminders.dispatch_due"


def kick_dispatcher() -> None:
    """Ask a worker to dispatch now. Failure is harmless: beat dispatches every minute anyway."""
    try:
        with celery_app.connection_for_write(transport_options=KICK_TRANSPORT_OPTIONS) as connection:
            celery_app.send_task(DISPATCH_TASK, connection=connection, retry=False)
    except Exception:  # the broker is down; the outbox keeps the reminder
        logger.warning("broker unavailable; due reminders wait for the next beat dispatch")


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _deliver(reminder: Reminder) -> None:
    recipient = reminder.recipient
    if reminder.channel == Reminder.Channel.IN_APP:
        Notification.objects.create(recipient=recipient, title=reminder.subject, body=reminder.body, url=reminder.url)
    elif reminder.channel == Reminder.Channel.EMAIL:
        address = reminder.email_to or (recipient.email if recipient else "")
        if not address:
            raise DomainError("recipient has no e-mail address")
        body = reminder.body
        if reminder.url:
            body = f"{body}\n\n{settings.SITE_URL}{reminder.url}" if body else f"{settings.SITE_URL}{reminder.url}"
        message = EmailMessage(
            subject=reminder.subject, body=body, to=[address], headers={"Message-ID": _message_id(reminder)}
        )
        if reminder.attachment_name:
            message.attach(reminder.attachment_name, reminder.attachment_content, reminder.attachment_mimetype)
        message.send(fail_silently=False)
    elif reminder.channel == Reminder.Channel.SMS:
        phone = _phone_of(recipient)
        if not phone:
            raise DomainError("recipient has no phone number")
        send_sms(phone, reminder.subject)


def _message_id(reminder: Reminder) -> str:
    """The same Message-ID on every attempt of one reminder, so the rare duplicate (see
    reminders_dispatch_due) is recognisable, and collapsed by mail systems that deduplicate on it."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "nuanxin.localhost"
    return f"<reminder-{reminder.pk}@{domain}>"


def _phone_of(user: User) -> str:
    for profile in ("student", "staff"):
        obj = getattr(user, profile, None)  # a missing reverse one-to-one is an AttributeError
        if obj is not None and obj.phone:
            return obj.phone
    return ""


IN_APP_BATCH = 200


def _dispatch_in_app_batches(limit: int) -> tuple[int, int]:
    """In-app reminders, claimed up to IN_APP_BATCH at a time: the notifications are rows written in the claim's
    own transaction, so a batch is as exactly-once as a single row, at a fraction of the round trips.
    Returns (handled, sent)."""
    handled = sent = 0
    while handled < limit:
        with transaction.atomic():
            now = timezone.now()
            batch = list(
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Reminder.Status.PENDING, channel=Reminder.Channel.IN_APP, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")[: min(IN_APP_BATCH, limit - handled)]
            )
            if not batch:
                break
            deliverable = [r for r in batch if r.recipient_id is not None]
            Notification.objects.bulk_create(
                Notification(recipient_id=r.recipient_id, title=r.subject, body=r.body, url=r.url, created_at=now)
                for r in deliverable
            )
            for reminder in batch:
                reminder.attempts += 1
                if reminder.recipient_id is None:  # nobody to show it to: waiting will not help
                    reminder.status, reminder.last_error = Reminder.Status.FAILED, "DomainError: no recipient"
                    logger.error("reminder %s failed for good: no recipient", reminder.pk)
                else:
                    reminder.status, reminder.sent_at, reminder.last_error = Reminder.Status.SENT, now, ""
            Reminder.objects.bulk_update(batch, ["attempts", "status", "sent_at", "last_error"])
        handled += len(batch)
        sent += len(deliverable)
    return handled, sent


def reminders_dispatch_due(*, limit: int = 1000) -> int:
    """Send due reminders, each exactly once, and return how many went out.

    In-app reminders go first, in batches (_dispatch_in_app_batches). Each e-mail or SMS reminder is claimed
    in its own transaction with SELECT … FOR UPDATE SKIP LOCKED, sent, and marked sent before the lock is
    released, so concurrent dispatchers never pick the same row.
    A dispatcher that dies (SIGKILL, power loss) releases its lock with its connection, and its
    uncommitted claim rolls back: the reminder is sent by the next dispatch, never lost. In-app
    notifications are written in the claim's transaction, so they are exactly once whatever happens.
    E-mail and SMS leave the process before the commit: a death in the moment between the gateway
    accepting a message and the commit (for e-mail, the SMTP QUIT exchange) sends that one message again,
    for e-mail with the same Message-ID. Exactly once across an external gateway would need the gateway
    to deduplicate; this is at least once with that one narrow window (portal/tests/test_faults_worker.py).
    A failed send is retried with backoff; after REMINDER_MAX_ATTEMPTS, or at once when the failure is a
    DomainError (nothing to send to), it is marked failed.
    """
    handled, sent = _dispatch_in_app_batches(limit)
    for _ in range(limit - handled):
        with transaction.atomic():
            now = timezone.now()
            reminder = (
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(status=Reminder.Status.PENDING, next_attempt_at__lte=now)
                .exclude(channel=Reminder.Channel.IN_APP)
                .order_by("next_attempt_at", "id")
                .first()
            )
            if reminder is None:
                break
            reminder.attempts += 1
            try:
                with transaction.atomic():  # an in-app failure must not leave half a notification
                    _deliver(reminder)
            except Exception as exc:  # transient (SMTP down) or permanent (no address): retry, then give up
                reminder.last_error = f"{type(exc).__name__}: {exc}"[:500]
                # A DomainError (no address, no phone) will not heal by waiting: give up at once.
                if isinstance(exc, DomainError) or reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                    reminder.status = Reminder.Status.FAILED
                    logger.error("reminder %s failed for good after %s attempts", reminder.pk, reminder.attempts)
                else:
                    reminder.next_attempt_at = now + retry_delay(reminder.attempts)
                    logger.warning("reminder %s failed (attempt %s); will retry", reminder.pk, reminder.attempts)
                reminder.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                continue
            reminder.status = Reminder.Status.SENT
            reminder.sent_at = now
            reminder.last_error = ""
            reminder.save(update_fields=["attempts", "status", "sent_at", "last_error"])
            sent += 1
    return sent
