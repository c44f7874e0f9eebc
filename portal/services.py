"""Writes of the shared core. Every change goes through one of these and leaves an audit event."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import selectors
from portal.audit import audit_log
from portal.celery import app as celery_app
from portal.channels import ChannelRejected, preferences, templates
from portal.channels import sms as sms_channel
from portal.channels import wecom as wecom_channel
from portal.models import MessageKind, MessagePreference, Notification, Reminder, Student, User
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
    marked = bool(
        Notification.objects.filter(pk=notification_id, recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )
    selectors.forget_unread_count(actor.pk)  # the bell's cached count
    return marked


def notifications_mark_all_read(*, actor: User) -> int:
    marked = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
    selectors.forget_unread_count(actor.pk)
    return marked


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
    kind: str = MessageKind.NOTICE,
) -> Reminder | None:
    """Put a message in the outbox. Idempotent: the same dedupe_key schedules it once.

    `attachment` is (file name, text content, mimetype), e.g. an .ics invitation. `email_to` (with
    recipient None) sends an e-mail to an address with no login, such as a college's leadership contact.
    `kind` (portal.models.MessageKind) picks the other channels the recipient gets and their fixed wording:
    an in-app reminder to a person also schedules its SMS and WeCom rows (keys `<dedupe_key>:sms`,
    `<dedupe_key>:wecom`) when portal.channels.preferences chooses them; an e-mail reminder to a person is
    skipped (None) when their preference for `kind` says no e-mail.
    Due-now reminders are pushed to the worker on commit; if the broker is down, beat's minutely
    dispatch sends them as soon as it is back.
    """
    if channel not in Reminder.Channel.values:
        raise DomainError(f"unknown channel {channel!r}")
    if kind not in MessageKind.values:
        raise DomainError(f"unknown kind of message {kind!r}")
    if recipient is None and not (channel == Reminder.Channel.EMAIL and email_to):
        raise DomainError("a reminder needs a recipient, or an e-mail address for the e-mail channel")
    if (
        channel == Reminder.Channel.EMAIL
        and recipient is not None
        and not email_to
        and not preferences.choice_for(recipient, kind, email=True).by_email
    ):
        return None
    reminder = _schedule_row(
        recipient=recipient,
        channel=channel,
        kind=kind,
        subject=subject,
        due_at=due_at,
        dedupe_key=dedupe_key,
        email_to=email_to,
        body=body,
        url=url,
        attachment=attachment,
    )
    if channel == Reminder.Channel.IN_APP and recipient is not None:
        for companion in preferences.channels_for(recipient, kind):
            if companion in COMPANION_CHANNELS:
                _schedule_row(
                    recipient=recipient,
                    channel=companion,
                    kind=kind,
                    subject=subject,
                    due_at=due_at,
                    dedupe_key=f"{dedupe_key}:{companion}",
                    body=body,
                    url=url,
                )
    return reminder


# The channels an in-app reminder brings along (e-mail is the sender's own call: notify(email=…) or an
# e-mail reminder with its own content, such as the .ics of an appointment).
COMPANION_CHANNELS = (Reminder.Channel.SMS, Reminder.Channel.WECOM)


def _schedule_row(
    *,
    recipient: User | None,
    channel: str,
    kind: str,
    subject: str,
    due_at: datetime,
    dedupe_key: str,
    email_to: str = "",
    body: str = "",
    url: str = "",
    attachment: tuple[str, str, str] | None = None,
) -> Reminder:
    name, content, mimetype = attachment or ("", "", "")
    reminder, created = Reminder.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "recipient": recipient,
            "email_to": email_to,
            "channel": channel,
            "kind": kind,
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
    """Cancel a reminder that has not gone out yet (e.g. the appointment was cancelled), with the SMS and
    WeCom rows it brought along. True when the reminder itself was pending."""
    companions = [f"{dedupe_key}:{channel}" for channel in COMPANION_CHANNELS]
    Reminder.objects.filter(dedupe_key__in=companions, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED
    )
    return bool(
        Reminder.objects.filter(dedupe_key=dedupe_key, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED
        )
    )


def notify(
    *,
    recipient: User,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
    email: bool = False,
    kind: str = MessageKind.NOTICE,
) -> None:
    """Tell someone something now: one outbox row per channel portal.channels.preferences chooses for the
    recipient and `kind` (the inbox always; e-mail when asked by `email` or by their preference; SMS and
    WeCom with fixed wording). Keys `<dedupe_key>:<channel>`, so the same event reported twice is sent once."""
    if kind not in MessageKind.values:
        raise DomainError(f"unknown kind of message {kind!r}")
    now = timezone.now()
    for channel in preferences.channels_for(recipient, kind, email=email):
        _schedule_row(
            recipient=recipient,
            channel=channel,
            kind=kind,
            subject=title,
            body=body,
            url=url,
            due_at=now,
            dedupe_key=f"{dedupe_key}:{channel}",
        )


def notify_each(
    *,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    dedupe_prefix: str,
    email: bool = False,
    kind: str = MessageKind.NOTICE,
) -> int:
    """`notify` to each of several people, in a fixed number of queries however many there are (a report alerts
    every counsellor of its college's station; a large college has many). The same rows as `notify` called once
    per person with `dedupe_key=f"{dedupe_prefix}:{user.pk}"`: keys `<prefix>:<user id>:<channel>`, the
    channels portal.channels.preferences chooses. Returns how many rows were new."""
    if kind not in MessageKind.values:
        raise DomainError(f"unknown kind of message {kind!r}")
    ids = {user.pk for user in recipients}
    if not ids:
        return 0
    # The profiles decide reachability (phone, WeCom id) and the defaults (student or staff): joined, not one
    # query per person.
    people = User.objects.filter(pk__in=ids).select_related("student", "staff").order_by("pk")
    rows = {row.user_id: row for row in MessagePreference.objects.filter(user_id__in=ids, kind=kind)}
    now = timezone.now()
    wanted = {}
    for user in people:
        chosen = {kind: rows[user.pk]} if user.pk in rows else {}
        for channel in preferences.channels_for(user, kind, email=email, rows=chosen):
            key = f"{dedupe_prefix}:{user.pk}:{channel}"
            wanted[key] = Reminder(
                recipient=user,
                channel=channel,
                kind=kind,
                subject=title[:200],
                body=body,
                url=url,
                due_at=now,
                next_attempt_at=now,
                dedupe_key=key,
            )
    existing = set(Reminder.objects.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True))
    new = [reminder for key, reminder in wanted.items() if key not in existing]
    # A row another transaction wrote in between is skipped by its unique key, as get_or_create would find it.
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        _kick_dispatcher_on_commit()
    return len(new)


@transaction.atomic
def message_preferences_set(*, actor: User, choices: dict[str, preferences.Choice]) -> list[MessagePreference]:
    """Save the actor's own channel choices, one MessagePreference row per kind. The caller checked nothing: a
    user may only ever change their own rows, and only for the kinds portal.channels.preferences lets them
    choose (crisis alerts to staff are fixed)."""
    allowed = set(preferences.kinds_for(actor))
    if not choices or set(choices) - allowed:
        raise DomainError(_("Choose from the listed options."))
    saved = []
    for kind, choice in choices.items():
        row, _created = MessagePreference.objects.update_or_create(
            user=actor,
            kind=kind,
            defaults={"by_email": choice.by_email, "by_sms": choice.by_sms, "by_wecom": choice.by_wecom},
        )
        saved.append(row)
    audit_log(
        actor=actor,
        action="message_preferences.changed",
        obj=actor,
        changes={kind: [c.by_email, c.by_sms, c.by_wecom] for kind, c in choices.items()},
    )
    return saved


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
        # Never the subject or body: an SMS carries the kind's fixed wording only (portal.channels.templates).
        phone = preferences.phone_of(recipient)
        if not phone:
            raise DomainError("recipient has no phone number")
        template, params = templates.sms_params_for(reminder.kind)
        sms_channel.send_template(phone, template, params, out_id=f"reminder-{reminder.pk}")
    elif reminder.channel == Reminder.Channel.WECOM:
        userid = preferences.wecom_userid(recipient)
        if not userid:
            raise DomainError("recipient has no WeCom id")
        if not preferences.wecom_enabled():
            raise DomainError("WeCom is not configured")
        wecom_channel.send_card(userid, templates.wecom_card(reminder.kind, reminder.url))


def _message_id(reminder: Reminder) -> str:
    """The same Message-ID on every attempt of one reminder, so the rare duplicate (see
    reminders_dispatch_due) is recognisable, and collapsed by mail systems that deduplicate on it."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "nuanxin.localhost"
    return f"<reminder-{reminder.pk}@{domain}>"


IN_APP_BATCH = 500


@contextmanager
def _asynchronous_commits() -> Iterator[None]:
    """The dispatcher's commits do not wait for the WAL flush (synchronous_commit off, this connection only).

    A dispatcher commits once per e-mail, SMS or WeCom message (the "sent" mark is committed before the next
    message leaves, see reminders_dispatch_due), and waiting for the disk was most of its time (≈2.5 ms of a
    slow disk's fsync per message). Committed is still committed for every other session at once, so the row
    locks and SKIP LOCKED claims work as before, and a killed worker loses nothing: its committed transactions
    are in PostgreSQL's WAL buffers, which PostgreSQL's own WAL writer flushes within ≈0.6 s. Only a crash of
    PostgreSQL or of its machine in that moment can forget a few "sent" marks: those messages are sent again
    (e-mail with the same Message-ID) — the same kind of duplicate as the worker-death window, never a loss.
    An in-app batch is one transaction (notifications and marks together), so it is exactly once regardless.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        # Not on a broken connection (it is discarded) nor in a transaction being rolled back (the SET goes with it);
        # a failing RESET must not hide the error that brought us here.
        if connection.connection is not None and not connection.needs_rollback:
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _due_after(queryset, after: tuple[datetime, int] | None):
    """Due rows in claim order past `after`, the (next_attempt_at, id) of this dispatch's previous claim.

    Each claim starts where the last one ended instead of at the head of reminder_due_pending: the rows sent a
    moment ago stay in that partial index as dead entries until PostgreSQL may prune them (after every older
    snapshot is gone, e.g. a report being written elsewhere), so from the head, the n-th claim of a backlog
    stepped over the n-1 rows before it (quadratic: 10,000 reminders took minutes on a busy server). A row
    passed over because another dispatcher held it is that dispatcher's; if its claim rolls back, the next
    dispatch, which starts at the head again, takes it.
    """
    if after is None:
        return queryset
    table = connection.ops.quote_name(Reminder._meta.db_table)
    # A row comparison, which the ORM cannot say; the values are parameters.
    return queryset.extra(where=[f"({table}.next_attempt_at, {table}.id) > (%s, %s)"], params=[*after])  # noqa: S610


def _dispatch_in_app_batches(limit: int) -> tuple[int, int]:
    """In-app reminders, claimed up to IN_APP_BATCH at a time: the notifications are rows written in the claim's
    own transaction, so a batch is as exactly-once as a single row, at a fraction of the round trips.
    Returns (handled, sent)."""
    handled = sent = 0
    after = None
    while handled < limit:
        with transaction.atomic():
            now = timezone.now()
            pending = Reminder.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                status=Reminder.Status.PENDING, channel=Reminder.Channel.IN_APP, next_attempt_at__lte=now
            )
            batch = list(
                _due_after(pending, after).order_by("next_attempt_at", "id")[: min(IN_APP_BATCH, limit - handled)]
            )
            if not batch:
                break
            after = (batch[-1].next_attempt_at, batch[-1].pk)
            deliverable = [r for r in batch if r.recipient_id is not None]
            Notification.objects.bulk_create(
                Notification(recipient_id=r.recipient_id, title=r.subject, body=r.body, url=r.url, created_at=now)
                for r in deliverable
            )
            # Two plain UPDATEs (every row of each gets the same values), not bulk_update: its CASE WHEN per row
            # grew quadratically with the batch (5 s for 500 rows on a busy server).
            Reminder.objects.filter(pk__in=[r.pk for r in deliverable]).update(
                attempts=F("attempts") + 1, status=Reminder.Status.SENT, sent_at=now, last_error=""
            )
            nobody = [r.pk for r in batch if r.recipient_id is None]
            if nobody:  # nobody to show it to: waiting will not help
                Reminder.objects.filter(pk__in=nobody).update(
                    attempts=F("attempts") + 1, status=Reminder.Status.FAILED, last_error="DomainError: no recipient"
                )
                for pk in nobody:
                    logger.error("reminder %s failed for good: no recipient", pk)
        handled += len(batch)
        sent += len(deliverable)
    return handled, sent


def reminders_dispatch_due(*, limit: int = 1000) -> int:
    """Send due reminders, each exactly once, and return how many went out.

    In-app reminders go first, in batches (_dispatch_in_app_batches). Each e-mail, SMS or WeCom reminder is
    claimed in its own transaction with SELECT … FOR UPDATE SKIP LOCKED, sent, and marked sent before the lock is
    released, so concurrent dispatchers never pick the same row.
    A dispatcher that dies (SIGKILL, power loss) releases its lock with its connection, and its
    uncommitted claim rolls back: the reminder is sent by the next dispatch, never lost. In-app
    notifications are written in the claim's transaction, so they are exactly once whatever happens.
    E-mail, SMS and WeCom leave the process before the commit: a death in the moment between the gateway
    accepting a message and the commit (for e-mail, the SMTP QUIT exchange; for SMS and WeCom, between the
    provider receiving the request and its answer being read) sends that one message again, for e-mail with
    the same Message-ID, for SMS with the same OutId (reminder-<id>). Each channel is its own row, so a
    message delivered on one channel is never resent on it because another channel failed. Exactly once
    across an external gateway would need the gateway to deduplicate; this is at least once with that one
    narrow window (portal/tests/test_faults_worker.py, portal/tests/test_faults_channels.py). The SMS and
    WeCom calls have 5-second timeouts, so the one row lock a send holds is short; nothing else is locked.
    The dispatch commits asynchronously (_asynchronous_commits: a crash of PostgreSQL itself may resend, never
    lose) and each claim goes on from the previous one (_due_after).
    A failed send is retried with backoff; after REMINDER_MAX_ATTEMPTS, or at once when the failure is a
    DomainError (nothing to send to) or a channel's refusal (portal.channels.ChannelRejected), it is marked
    failed with the error.
    """
    with _asynchronous_commits():
        return _dispatch(limit)


@cache
def _claim_one_sql(after: bool) -> str:
    """The claim of the next due e-mail, SMS or WeCom reminder with its recipient, as SQL built once: the ORM took
    longer composing this query (select_related, select_for_update) than PostgreSQL took running it, once per
    message. Values are parameters; names come from the models."""
    qn = connection.ops.quote_name
    columns = [f"r.{qn(f.column)}" for f in Reminder._meta.concrete_fields]
    columns += [f"u.{qn(f.column)}" for f in User._meta.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {qn(Reminder._meta.db_table)} r "  # noqa: S608
        f"LEFT JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = r.{qn('recipient_id')} "
        "WHERE r.status = %s AND r.channel <> %s AND r.next_attempt_at <= %s "
        + ("AND (r.next_attempt_at, r.id) > (%s, %s) " if after else "")
        + "ORDER BY r.next_attempt_at, r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED"
    )


def _claim_one(now: datetime, after: tuple[datetime, int] | None) -> Reminder | None:
    """Lock the next due reminder of the per-message channels (SKIP LOCKED), with its recipient; see _due_after."""
    params: list[object] = [Reminder.Status.PENDING.value, Reminder.Channel.IN_APP.value, now, *(after or ())]
    with connection.cursor() as cursor:
        cursor.execute(_claim_one_sql(after is not None), params)
        row = cursor.fetchone()
    if row is None:
        return None
    reminder_fields, user_fields = Reminder._meta.concrete_fields, User._meta.concrete_fields
    reminder = Reminder.from_db(connection.alias, [f.attname for f in reminder_fields], row[: len(reminder_fields)])
    if reminder.recipient_id is not None:
        reminder.recipient = User.from_db(
            connection.alias, [f.attname for f in user_fields], row[len(reminder_fields) :]
        )
    return reminder


def _dispatch(limit: int) -> int:
    handled, sent = _dispatch_in_app_batches(limit)
    after = None
    mark_sent = (
        f"UPDATE {connection.ops.quote_name(Reminder._meta.db_table)} "  # noqa: S608
        "SET attempts = %s, status = %s, sent_at = %s, last_error = '' WHERE id = %s"
    )
    for _attempt in range(limit - handled):
        with transaction.atomic():
            now = timezone.now()
            reminder = _claim_one(now, after)
            if reminder is None:
                break
            after = (reminder.next_attempt_at, reminder.pk)
            reminder.attempts += 1
            try:
                # SMS and WeCom look up the phone or the WeCom id: a failing query must not break the claim's
                # transaction. E-mail queries nothing (the recipient came with the claim): no savepoint.
                with nullcontext() if reminder.channel == Reminder.Channel.EMAIL else transaction.atomic():
                    _deliver(reminder)
            except Exception as exc:  # transient (SMTP down) or permanent (no address): retry, then give up
                reminder.last_error = f"{type(exc).__name__}: {exc}"[:500]
                # A DomainError (no address, no phone) or a channel's refusal (bad number, unknown WeCom user,
                # daily SMS limit) will not heal by waiting: give up at once.
                permanent = isinstance(exc, (DomainError, ChannelRejected))
                if permanent or reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                    reminder.status = Reminder.Status.FAILED
                    logger.error("reminder %s failed for good after %s attempts", reminder.pk, reminder.attempts)
                else:
                    reminder.next_attempt_at = now + retry_delay(reminder.attempts)
                    logger.warning("reminder %s failed (attempt %s); will retry", reminder.pk, reminder.attempts)
                reminder.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                continue
            with connection.cursor() as cursor:  # one plain UPDATE; save() composed it anew per message
                cursor.execute(mark_sent, [reminder.attempts, Reminder.Status.SENT.value, now, reminder.pk])
            sent += 1
    return sent
