"""Reads of supervised session notes. Lists never decrypt a note: the encrypted sections are deferred, and a
note is read one at a time through counseling.selectors.appointments.session_note_for (audited)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from counseling.models import SessionNote
from counseling.session_note_rules import cosign_overdue_after
from portal.models import User

__all__ = ["ENCRYPTED_NOTE_FIELDS", "notes_awaiting_my_cosign"]

ENCRYPTED_NOTE_FIELDS = ("body", "subjective", "objective", "data", "assessment", "plan")


def notes_awaiting_my_cosign(user: User) -> QuerySet[SessionNote]:
    """The supervisor's queue: notes of the trainees they supervise now, signed and waiting for their
    co-signature, oldest first, each with `overdue` (waiting longer than the limit, 72 h). Fixed queries."""
    cutoff = timezone.now() - cosign_overdue_after()
    return (
        SessionNote.objects.filter(status=SessionNote.Status.AWAITING_COSIGN, author__supervision__supervisor=user)
        .exclude(author=user)
        .defer(*ENCRYPTED_NOTE_FIELDS)
        .select_related("author", "booking__slot", "booking__student")
        .annotate(overdue=ExpressionWrapper(Q(signed_at__lt=cutoff), output_field=BooleanField()))
        .order_by("signed_at", "pk")
    )
