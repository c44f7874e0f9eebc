"""Benchmark the reminder dispatch: N due reminders (half in-app, half e-mail) sent by one worker, each once.

One worker is this process calling the dispatch task (portal.tasks.dispatch_due_reminders) back to back, as a
Celery worker does when a full batch queues the next one; each call sends at most DISPATCH_BATCH. Mail goes to
Django's in-memory backend so every message can be counted (an SMTP server would measure the network).
Prints the time, the checks (every reminder sent, one attempt each, one notification or one e-mail each) and
the peak RSS (VmHWM) of this process, the worker. `--profile` adds a cProfile summary of the dispatch.

Writes to the database in DATABASE_URL, so it refuses to run unless the database's name contains "bench" or
"test", or --yes is given. Its reminders and notifications are deleted afterwards.

    DATABASE_URL=postgres://…/nuanxin_bench .venv/bin/python scripts/bench_reminders.py [--count 10000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["EMAIL_URL"] = "memorymail://"  # counted below; never a real server

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal.models import Notification, Reminder, User  # noqa: E402
from portal.services import reminders_dispatch_due  # noqa: E402
from portal.tasks import DISPATCH_BATCH  # noqa: E402


def peak_rss_mb() -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def drain() -> None:
    """What was already due (e.g. alerts from the bench's report POSTs) goes out first, untimed."""
    while Reminder.objects.filter(status=Reminder.Status.PENDING, next_attempt_at__lte=timezone.now()).exists():
        if not reminders_dispatch_due(limit=DISPATCH_BATCH):
            break


def make_reminders(count: int, prefix: str) -> None:
    recipients = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[:500])
    if not recipients:
        sys.exit("the database has no active user to send in-app reminders to")
    due = timezone.now() - timezone.timedelta(minutes=1)
    rows = []
    for n in range(count):
        email = n % 2 == 1
        rows.append(
            Reminder(
                recipient_id=None if email else recipients[n % len(recipients)],
                email_to=f"bench{n}@example.invalid" if email else "",
                channel=Reminder.Channel.EMAIL if email else Reminder.Channel.IN_APP,
                subject=f"{prefix}{n}",
                body="bench",
                due_at=due,
                next_attempt_at=due,
                dedupe_key=f"{prefix}{n}",
            )
        )
    Reminder.objects.bulk_create(rows, batch_size=2000)


def dispatch_all() -> int:
    """The worker: the task body again and again while a batch comes back full (it re-queues itself then)."""
    calls = 0
    while True:
        calls += 1
        if reminders_dispatch_due(limit=DISPATCH_BATCH) < DISPATCH_BATCH:
            return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="due reminders, half in-app, half e-mail")
    parser.add_argument("--profile", action="store_true", help="print where the dispatch spends its time")
    parser.add_argument("--yes", action="store_true", help="run even if the database name has no 'bench' or 'test'")
    args = parser.parse_args()

    name = str(connection.settings_dict["NAME"])
    if not args.yes and "bench" not in name and "test" not in name:
        print(f"refusing to write to database {name!r}: its name has no 'bench' or 'test' (pass --yes)")
        return 2
    mail.outbox = []
    drain()
    prefix = f"bench-reminder:{uuid.uuid4().hex[:8]}:"
    make_reminders(args.count, prefix)
    ours = Reminder.objects.filter(dedupe_key__startswith=prefix)
    notifications = Notification.objects.filter(title__startswith=prefix)
    mail.outbox = []
    try:
        profiler = cProfile.Profile() if args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        calls = dispatch_all()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started

        sent = ours.filter(status=Reminder.Status.SENT).count()
        pending = ours.filter(status=Reminder.Status.PENDING).count()
        attempts_over_one = ours.filter(attempts__gt=1).count()
        in_app = notifications.count()
        in_app_distinct = notifications.values("title").distinct().count()
        subjects = [m.subject for m in mail.outbox if m.subject.startswith(prefix)]
        emails, emails_distinct = len(subjects), len(set(subjects))
        expected_in_app, expected_email = (args.count + 1) // 2, args.count // 2
        exactly_once = (
            sent == args.count
            and attempts_over_one == 0
            and in_app == in_app_distinct == expected_in_app
            and emails == emails_distinct == expected_email
        )
    finally:
        notifications.delete()
        ours.delete()
        mail.outbox = []

    print(f"database {name}: {args.count:,} due reminders ({expected_in_app:,} in-app, {expected_email:,} e-mail)")
    print(f"  dispatch: {seconds:8.2f} s  ({args.count / seconds:,.0f}/s, {calls} task calls of ≤ {DISPATCH_BATCH})")
    print(f"  worker CPU: {cpu:8.2f} s  (the rest of the time is PostgreSQL's, and waiting)")
    print(f"  sent {sent:,}, pending {pending:,}, in-app {in_app:,}, e-mails {emails:,}")
    print(f"  exactly once: {'yes' if exactly_once else 'no'}")
    print(f"  peak RSS (VmHWM) of the worker: {peak_rss_mb():.0f} MB")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return 0 if exactly_once else 1


if __name__ == "__main__":
    sys.exit(main())
