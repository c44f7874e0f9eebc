"""Retention: personal data is kept no longer than its purpose needs (PIPL art. 19), the audit trail forever.

Each app registers its own steps in its `retention.py` module (found by autodiscovery, so dependencies stay
one-way), with the setting it reads declared there through portal.config:

- counseling: closed crisis cases are *archived* `counseling.closed_case_retention_years` (default 5) years
  after closing: `Case.archived_at` is set, and from then on the case is out of every queue, list, page and
  care file for every role but admins. Nothing is deleted: reports, timeline and the audit trail stay, so an
  inquiry can still reconstruct what happened (through the Django admin, which is audited).
- portal: activation and reset codes (PhoneCode) are deleted `portal.phone_code_retention_days` (default 30) days
  after they were asked for; the audit trail keeps that a code was requested, verified or refused. The CAS
  ticket of a session that ended (django_cas_ng.SessionTicket) is deleted on the next run.
- homevisits: visit-record drafts (`VisitDraft`, the server copy of a form being typed in the field) are
  deleted `homevisits.draft_retention_days` (default 30) days after their last change. The identification and
  application "drafts" in aid are the student's own unsubmitted forms, not copies, and are kept.

The audit trail (AuditEvent) is never deleted; each run adds one event with what it did. `apply_retention`
runs daily from Celery beat (portal.tasks.apply_retention) and as `python manage.py apply_retention`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from portal import config
from portal.models import PhoneCode, User

# fn(*, now, dry_run, overrides) -> how many rows it changed (or would change, in a dry run)
StepFn = Callable[..., int]


@dataclass(frozen=True)
class Step:
    key: str
    description: str | Promise
    run: StepFn


_steps: dict[str, Step] = {}
_discovered = False


def register_step(key: str, description: str | Promise, fn: StepFn) -> None:
    _steps[key] = Step(key, description, fn)


def steps() -> list[Step]:
    global _discovered
    if not _discovered:
        autodiscover_modules("retention")
        _discovered = True
    return sorted(_steps.values(), key=lambda s: s.key)


def setting(key: str, overrides: dict[str, Any] | None) -> Any:
    """A step's setting: the command line's override, or the admin's value, or the declared default."""
    if overrides and overrides.get(key) is not None:
        return overrides[key]
    return config.get(key)


def apply_retention(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    overrides: dict[str, Any] | None = None,
    actor: User | None = None,
) -> dict[str, int]:
    """Run every step, each in its own transaction; {step key: rows changed (or that would be)}.

    Idempotent: a second run the same day finds nothing left to do. A real run writes one audit event.
    """
    from portal.audit import audit_log

    now = now or timezone.now()
    results: dict[str, int] = {}
    for step in steps():
        with transaction.atomic():
            results[step.key] = step.run(now=now, dry_run=dry_run, overrides=overrides)
    if not dry_run:
        audit_log(actor=actor, action="retention.apply", object_type="retention", changes=results)
    return results


# --- The core's own step -----------------------------------------------------------------------------------

PHONE_CODE_DAYS_KEY = "portal.phone_code_retention_days"
config.declare(
    PHONE_CODE_DAYS_KEY,
    30,
    "Days after which an activation or reset code row (a hash, the phone, the address) is deleted; "
    "the audit trail keeps what happened.",
)


def delete_old_phone_codes(*, now: datetime, dry_run: bool, overrides: dict[str, Any] | None = None) -> int:
    """Codes live 10 minutes and the per-number limits look back one day: older rows only hold phone numbers."""
    old = PhoneCode.objects.filter(created_at__lt=now - timedelta(days=int(setting(PHONE_CODE_DAYS_KEY, overrides))))
    if dry_run:
        return old.count()
    deleted, _per_model = old.delete()
    return deleted


register_step("portal.delete_old_phone_codes", _("Delete old activation and reset codes"), delete_old_phone_codes)


def delete_stale_cas_tickets(*, now: datetime, dry_run: bool, overrides: dict[str, Any] | None = None) -> int:
    """The CAS ticket ↔ session rows (django_cas_ng.SessionTicket) of sessions that ended or expired: one query,
    where django-cas-ng's own clean command loads every session one by one."""
    from django.contrib.sessions.models import Session
    from django_cas_ng.models import SessionTicket

    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    stale = SessionTicket.objects.exclude(session_key__in=live)
    if dry_run:
        return stale.count()
    deleted, _per_model = stale.delete()
    return deleted


register_step(
    "portal.delete_stale_cas_tickets", _("Delete single sign-on tickets of ended sessions"), delete_stale_cas_tickets
)
