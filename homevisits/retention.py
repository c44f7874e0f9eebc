"""Home visits' retention step (portal.retention): delete visit-record drafts nobody touched for N days.

A draft is the server's copy of a record being typed in the field; once the record is saved the draft is
gone already, so an old one is an abandoned form holding family details.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from homevisits.models import VisitDraft
from portal import config
from portal.retention import register_step, setting

DAYS_KEY = "homevisits.draft_retention_days"
config.declare(DAYS_KEY, 30, "Days after its last change until an unsaved visit-record draft is deleted.")


def delete_expired_drafts(*, now: datetime, dry_run: bool, overrides: dict[str, Any] | None = None) -> int:
    expired = VisitDraft.objects.filter(updated_at__lt=now - timedelta(days=int(setting(DAYS_KEY, overrides))))
    if dry_run:
        return expired.count()
    deleted, _per_model = expired.delete()
    return deleted


register_step("homevisits.delete_expired_drafts", _("Delete expired visit-record drafts"), delete_expired_drafts)
