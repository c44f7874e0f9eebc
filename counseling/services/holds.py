"""Flood protection for anonymous reports: limits, holding a burst as one item, confirm or dismiss.

An anonymous report needs no account, so one client once sent 461 in a minute, each a case in the
centre's queue with its alerts. The rules, per network address and school-wide, over a sliding window
(admin settings, defaults below):

- up to `free` anonymous reports an hour from one address, and while the school as a whole has had fewer
  than `free` in the hour, a report is routed at once like any other;
- past that, it is *held*: saved whole (encrypted like any report) in the address's open ReportHold, or the
  school's surge hold; the reporter sees exactly the page everyone sees, with their receipt code; the
  centre gets one alert when a hold opens and one more if a held report says "in danger", never one per
  report;
- past `max` (per address, or school-wide) the form is refused with the hotlines first (HTTP 429).

Named reports (a signed-in reporter who gives their name) and staff referrals never pass through here:
they keep the fast path, so a real report still reaches the station in the middle of a flood. A real
anonymous report inside a burst reaches the centre as part of the held item, which it confirms.

Per-address counts live in Redis (the cache); when Redis is down they are not counted (logged) and the
school-wide limit, counted in PostgreSQL, still holds. The address itself is never stored: a hold keeps
a keyed hash of it while open, and forgets it when resolved.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling.models import HeldReport, Report, ReportHold
from counseling.receipts import receipt_code_for, receipt_hash
from counseling.services.crisis import centre_counsellors, report_fields_check, report_submit
from portal import config
from portal.audit import audit_log
from portal.models import MessageKind, Student, User
from portal.services import DomainError, lock_idempotency_key, notify_each

__all__ = [
    "HOLD_ADDRESS",
    "HOLD_SURGE",
    "PASS",
    "REFUSE",
    "AnonymousLimitReached",
    "address_key",
    "anonymous_gate",
    "anonymous_report_submit",
    "held_report_confirm",
    "report_hold",
    "report_hold_dismiss",
]

logger = logging.getLogger(__name__)

config.declare(
    "counseling.anonymous_per_address",
    {"free": 3, "max": 20, "minutes": 60},
    "Anonymous reports from one network address: routed at once up to `free` in `minutes`, then held for "
    "the centre to confirm, refused past `max`. A campus NAT puts many students behind one address: "
    "raise `free` for it rather than refusing them.",
)
config.declare(
    "counseling.anonymous_school_wide",
    {"free": 30, "max": 300, "minutes": 60},
    "Anonymous reports from everyone together: routed at once while fewer than `free` came in `minutes`, "
    "then held as one surge for the centre to confirm, refused past `max`.",
)

PASS, HOLD_ADDRESS, HOLD_SURGE, REFUSE = "pass", "hold_address", "hold_surge", "refuse"
DISMISS_REASON_MAX = 500


class AnonymousLimitReached(DomainError):
    """Too many anonymous reports: the view answers 429 with the hotlines first."""


@dataclass(frozen=True)
class _Limit:
    free: int
    max: int
    window: timedelta


def _limit(name: str) -> _Limit:
    raw = config.get(name)
    return _Limit(free=int(raw["free"]), max=int(raw["max"]), window=timedelta(minutes=int(raw["minutes"])))


def address_key(address: str) -> str:
    """A keyed hash of a network address: groups a burst without storing who sent it."""
    key = hashlib.sha256(("anonymous-address:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def _count_from_address(address: str, window: timedelta) -> int | None:
    """This attempt counted in the address's window; None when the cache (Redis) is down."""
    key = f"counseling:anonymous-reports:{address_key(address)}"
    try:
        cache.add(key, 0, timeout=int(window.total_seconds()))  # the window starts at the first report
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(window.total_seconds()))
        return 1
    except Exception:
        logger.warning("cache unavailable: anonymous reports not counted per address")
        return None


def _count_school_wide(window: timedelta, now: datetime) -> int:
    since = now - window
    routed = Report.objects.filter(reporter__isnull=True, anonymous=True, created_at__gte=since).count()
    return routed + HeldReport.objects.filter(created_at__gte=since).count()


def anonymous_gate(*, address: str, now: datetime | None = None) -> str:
    """Decide for one anonymous report about to be sent: PASS, HOLD_ADDRESS, HOLD_SURGE or REFUSE."""
    now = now or timezone.now()
    per_address, school = _limit("counseling.anonymous_per_address"), _limit("counseling.anonymous_school_wide")
    from_address = _count_from_address(address, per_address.window)
    so_far = _count_school_wide(school.window, now)
    if (from_address is not None and from_address > per_address.max) or so_far >= school.max:
        return REFUSE
    if from_address is not None and from_address > per_address.free:
        return HOLD_ADDRESS
    if so_far >= school.free:
        return HOLD_SURGE
    return PASS


def anonymous_report_submit(
    *,
    address: str,
    student: Student | None,
    subject_given: str,
    relation: str,
    signs: list[str],
    narrative: str,
    when_where: str,
    in_danger: bool,
    idempotency_key: uuid.UUID,
) -> tuple[Report | HeldReport, bool]:
    """An anonymous report through the limits: routed, held, or refused (AnonymousLimitReached).

    A resubmitted form (same key) returns what the first submit made, without counting again.
    """
    existing = (
        Report.objects.filter(idempotency_key=idempotency_key).first()
        or HeldReport.objects.filter(idempotency_key=idempotency_key).first()
    )
    if existing is not None:
        return existing, False
    report_fields_check(narrative=narrative, relation=relation, signs=signs)  # bad input is not a report
    fields = {
        "student": student,
        "subject_given": subject_given,
        "relation": relation,
        "signs": signs,
        "narrative": narrative,
        "when_where": when_where,
        "in_danger": in_danger,
        "idempotency_key": idempotency_key,
    }
    outcome = anonymous_gate(address=address)
    if outcome == REFUSE:
        raise AnonymousLimitReached(
            _("Too many anonymous reports were sent from here in a short time, so this one was not sent.")
        )
    if outcome == PASS:
        return report_submit(reporter=None, anonymous=True, **fields)
    kind = ReportHold.Kind.ADDRESS if outcome == HOLD_ADDRESS else ReportHold.Kind.SURGE
    return report_hold(kind=kind, source_key=address_key(address) if kind == ReportHold.Kind.ADDRESS else "", **fields)


def _open_hold(kind: str, source_key: str, now: datetime) -> tuple[ReportHold, bool]:
    hold = ReportHold.objects.select_for_update().filter(kind=kind, source_key=source_key, status="open").first()
    if hold is not None:
        return hold, False
    try:
        with transaction.atomic():
            return ReportHold.objects.create(kind=kind, source_key=source_key, opened_at=now, last_at=now), True
    except IntegrityError:  # another held report opened it a moment ago
        return ReportHold.objects.select_for_update().get(kind=kind, source_key=source_key, status="open"), False


def _holds_url() -> str:
    return reverse("counseling:holds")


@transaction.atomic
def report_hold(
    *,
    kind: str,
    source_key: str,
    student: Student | None,
    subject_given: str,
    relation: str,
    signs: list[str],
    narrative: str,
    when_where: str,
    in_danger: bool,
    idempotency_key: uuid.UUID,
) -> tuple[HeldReport | Report, bool]:
    """Keep an anonymous report in the open hold of its source (opening one if needed). Idempotent by key
    across both tables: a token already used by a routed report returns that report.

    Alerts stay bounded: the centre is told once when the hold opens, and once more the first time a held
    report says someone is in danger now.
    """
    narrative = report_fields_check(narrative=narrative, relation=relation, signs=signs)
    lock_idempotency_key(idempotency_key)
    # A double click right at the limit: the first click may have been routed as a report a moment ago.
    existing = (
        HeldReport.objects.filter(idempotency_key=idempotency_key).first()
        or Report.objects.filter(idempotency_key=idempotency_key).first()
    )
    if existing is not None:
        return existing, False
    now = timezone.now()
    hold, opened = _open_hold(kind, source_key, now)
    held = HeldReport.objects.create(
        hold=hold,
        idempotency_key=idempotency_key,
        receipt_hash=receipt_hash(receipt_code_for(idempotency_key)),
        student=student,
        relation=relation,
        subject_given=subject_given[:200],
        signs=sorted(set(signs)),
        narrative=narrative,
        when_where=when_where.strip(),
        in_danger=in_danger,
        created_at=now,
    )
    hold.last_at = now
    fields = ["last_at"]
    danger_first = in_danger and not hold.alerted_in_danger
    if danger_first:
        hold.alerted_in_danger = True
        fields.append("alerted_in_danger")
    hold.save(update_fields=fields)
    audit_log(actor=None, action="crisis_report.held", obj=held, changes={"hold": hold.pk, "in_danger": in_danger})
    with override(settings.LANGUAGE_CODE):
        if opened:
            title = _("Anonymous reports are being held for your review")
            body = _(
                "Many anonymous reports arrived in a short time. They are kept as one item; confirm the real "
                "ones and dismiss the rest."
            )
            tag = "opened"
        elif danger_first:
            title = _("A held anonymous report says someone is in danger now")
            body = _("Open the held reports and confirm it if it is real.")
            tag = "danger"
        else:
            return held, True
    notify_each(
        recipients=centre_counsellors(),
        title=title,
        body=body,
        url=_holds_url(),
        email=True,
        kind=MessageKind.CRISIS_ALERT if tag == "danger" else MessageKind.TASK,
        dedupe_prefix=f"crisis:hold:{hold.pk}:{tag}",
    )
    return held, True


@transaction.atomic
def held_report_confirm(*, actor: User, held: HeldReport) -> Report:
    """The centre confirms a held report as real: it is routed as an ordinary report from now on.

    Same token, so the reporter's receipt code opens the routed report. The hold is resolved once nothing
    in it waits any more."""
    held = HeldReport.objects.select_for_update().select_related("hold").get(pk=held.pk)
    if held.decision != HeldReport.Decision.HELD:
        raise DomainError(_("This report was already decided."))
    report, _created = report_submit(
        reporter=None,
        anonymous=True,
        student=held.student,
        subject_given=held.subject_given,
        relation=held.relation,
        signs=held.signs,
        narrative=held.narrative,
        when_where=held.when_where,
        in_danger=held.in_danger,
        idempotency_key=held.idempotency_key,
        received_at=held.created_at,
    )
    held.decision, held.decided_by, held.decided_at, held.report = (
        HeldReport.Decision.CONFIRMED,
        actor,
        timezone.now(),
        report,
    )
    held.save(update_fields=["decision", "decided_by", "decided_at", "report"])
    audit_log(actor=actor, action="crisis_report.hold_confirmed", obj=held, changes={"report": report.pk})
    hold = ReportHold.objects.select_for_update().get(pk=held.hold_id)
    if hold.status == ReportHold.Status.OPEN and not hold.reports.filter(decision=HeldReport.Decision.HELD).exists():
        _resolve(hold, actor=actor)
    return report


@transaction.atomic
def report_hold_dismiss(*, actor: User, hold: ReportHold, reason: str) -> int:
    """Dismiss every report still waiting in the hold (audited, with the reason; nothing is deleted)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why these reports are dismissed."))
    if len(reason) > DISMISS_REASON_MAX:
        raise DomainError(_("The reason is limited to %(max)s characters.") % {"max": DISMISS_REASON_MAX})
    hold = ReportHold.objects.select_for_update().get(pk=hold.pk)
    if hold.status != ReportHold.Status.OPEN:
        raise DomainError(_("These reports were already reviewed."))
    dismissed = hold.reports.filter(decision=HeldReport.Decision.HELD).update(
        decision=HeldReport.Decision.DISMISSED, decided_by=actor, decided_at=timezone.now()
    )
    hold.dismiss_reason = reason
    hold.save(update_fields=["dismiss_reason"])
    _resolve(hold, actor=actor)
    audit_log(actor=actor, action="crisis_report.hold_dismissed", obj=hold, changes={"dismissed": dismissed})
    return dismissed


def _resolve(hold: ReportHold, *, actor: User) -> None:
    hold.status, hold.resolved_by, hold.resolved_at, hold.source_key = (
        ReportHold.Status.RESOLVED,
        actor,
        timezone.now(),
        "",  # the address hash is needed only to collect an open burst
    )
    hold.save(update_fields=["status", "resolved_by", "resolved_at", "source_key"])
