"""The two settings of supervised session notes (admin-editable, portal.config), read by services and
selectors alike.

The format is a setting, not a model: there is one counselling centre per school, so "per centre" is one value;
portal.config's Setting table is already admin-editable, cached, and needs no migration or page of its own.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from counseling.models import NoteFormat
from portal import config

__all__ = ["FORMAT_KEY", "OVERDUE_KEY", "cosign_overdue_after", "session_note_format"]

FORMAT_KEY = "counseling.session_note_format"
OVERDUE_KEY = "counseling.cosign_overdue_hours"
config.declare(FORMAT_KEY, "dap", _("Format of new session notes: dap or soap."))
config.declare(OVERDUE_KEY, 72, _("Hours after which a trainee's note waiting for co-signature is overdue."))


def session_note_format() -> str:
    """The centre's format for new notes; anything but "soap" (a mistyped setting) is DAP."""
    value = str(config.get(FORMAT_KEY)).strip().lower()
    return NoteFormat.SOAP if value == NoteFormat.SOAP else NoteFormat.DAP


def cosign_overdue_after() -> timedelta:
    """How long a note may wait for its co-signature before it is overdue (72 h unless the admin says)."""
    try:
        hours = float(config.get(OVERDUE_KEY))
    except (TypeError, ValueError):
        hours = 72.0
    return timedelta(hours=hours if hours > 0 else 72.0)
