"""Writes of supervised session notes: drafts, signatures, co-signatures, amendments, overdue reminders.

The rules, said once:
- A note is written as a draft by the counsellor who held the session, in the centre's format (setting
  counseling.session_note_format: "dap" or "soap"; notes from before structured notes are free text). Every
  section is encrypted at rest; no text ever reaches an audit entry, a log or a message.
- Its author signs it; from then on it is locked: `session_note_save` refuses it, whoever asks, and later
  changes are amendments (`session_note_amend`), appended with their author and time.
- A trainee's signature (a counsellor with a Supervision row) sends the note to their supervisor, who
  co-signs it (`session_note_cosign`). Only the trainee's current supervisor, a centre counsellor, co-signs;
  never the author. A note waiting longer than counseling.cosign_overdue_hours (72) is overdue: the
  supervisor gets one reminder per note through the outbox, with fixed wording.

Concurrency: every transition locks the note row (SELECT … FOR UPDATE, through portal.kernel.workflow) and
checks its status under the lock, so of two concurrent signatures or co-signatures one wins and the other
gets a DomainError. An amendment is created under the same lock and carries the form's one-time token
(unique), so a double submit finds the first amendment instead of appending a second.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.access.session_notes import may_cosign, supervisor_id_of
from counseling.models import NOTE_SECTIONS, Booking, NoteFormat, SessionNote, SessionNoteAmendment, Supervision
from counseling.services.appointments import NOTE_MAX  # per section
from counseling.session_note_rules import cosign_overdue_after, session_note_format
from portal.audit import audit_log
from portal.kernel.workflow import locked, move
from portal.models import MessageKind, User
from portal.services import DomainError, reminder_cancel, reminder_schedule
from portal.validators import validate_no_control_chars

__all__ = [
    "AMENDMENT_MAX",
    "session_note_amend",
    "session_note_cosign",
    "session_note_save",
    "session_note_sign",
    "session_notes_remind_overdue_cosign",
]

AMENDMENT_MAX = 5000

S = SessionNote.Status
B = Booking.Status
_NOTE_ENDED = (B.AWAITING_OUTCOME, B.ATTENDED, B.NO_SHOW, B.CONFIRMED)


def _clean(value: str, *, limit: int, what: str) -> str:
    value = value or ""
    if len(value) > limit:
        raise DomainError(_("%(what)s is limited to %(max)s characters.") % {"what": what, "max": f"{limit:,}"})
    try:
        validate_no_control_chars(value)
    except Exception as exc:  # ValidationError
        raise DomainError(_("The text contains control characters; remove them and try again.")) from exc
    return value.strip()


def _section_label(name: str) -> str:
    return str(SessionNote._meta.get_field(name).verbose_name)


def queue_url() -> str:
    return reverse("counseling:cosign_queue")


# --- Drafts ---------------------------------------------------------------------------------------------


@transaction.atomic
def session_note_save(
    *, actor: User, booking: Booking, body: str = "", sections: Mapping[str, str] | None = None
) -> SessionNote:
    """Write or edit the draft note of a session that took place. Only the counsellor who held it writes it;
    only its author edits it, and only while it is a draft (a signed note is locked, whatever the request).

    `sections` ({"data": …, "assessment": …, "plan": …} for DAP) writes a structured note in the centre's
    format; `body` alone a free-text note (imports, notes from before structured notes). Locks the booking,
    then the note. Nothing of the text is logged."""
    given = {"body": body} if sections is None else dict(sections)
    if sections is not None and not set(given) <= {n for names in NOTE_SECTIONS.values() for n in names} - {"body"}:
        raise DomainError(_("This note is written in another format; reload the page."))
    given = {name: _clean(str(value or ""), limit=NOTE_MAX, what=_section_label(name)) for name, value in given.items()}
    if not any(given.values()):
        raise DomainError(_("Write the note first."))
    booking = locked(booking)
    if booking.slot.counsellor_id != actor.pk:
        raise DomainError(_("Only the counsellor who held the session writes its note."))
    if booking.status not in _NOTE_ENDED or booking.slot.starts_at > timezone.now():
        raise DomainError(_("Notes are written after the session."))
    note = SessionNote.objects.select_for_update().filter(booking=booking).first()
    if note is not None and note.author_id != actor.pk:
        raise DomainError(_("Only the author edits a session note."))
    if note is not None and note.is_locked:
        raise DomainError(_("This note is signed and locked: add an amendment instead."))
    new_format = NoteFormat.FREE if sections is None else session_note_format()
    fmt = note.format if note is not None else new_format
    if (fmt == NoteFormat.FREE) != (sections is None):
        raise DomainError(_("This note is written in another format; reload the page."))
    values = {name: given.get(name, "") for name in NOTE_SECTIONS[fmt]}
    if not any(values.values()):
        raise DomainError(_("Write the note first."))
    now = timezone.now()
    if note is None:
        note = SessionNote.objects.create(
            booking=booking, author=actor, format=fmt, created_at=now, updated_at=now, **values
        )
        audit_log(actor=actor, action="session_note.written", obj=note, changes={"format": fmt})
    else:
        for name, value in values.items():
            setattr(note, name, value)
        note.updated_at = now
        note.save(update_fields=[*values, "updated_at"])
        audit_log(actor=actor, action="session_note.edited", obj=note)
    return note


# --- Signatures -----------------------------------------------------------------------------------------


@transaction.atomic
def session_note_sign(*, actor: User, note: SessionNote) -> SessionNote:
    """The author signs their draft and it is locked. A trainee's note goes to their supervisor for
    co-signature (the supervisor is told in the app, with fixed wording). Locks the note; of two concurrent
    signatures one wins, the other is refused."""
    note = locked(note)
    if note.author_id != actor.pk:
        raise DomainError(_("Only the author signs a session note."))
    if note.is_locked:
        raise DomainError(_("This note is already signed."))
    supervisor_id = supervisor_id_of(note.author_id)
    to = S.AWAITING_COSIGN if supervisor_id else S.SIGNED
    now = timezone.now()
    note = move(note, to, actor=actor, values={"signed_at": now, "updated_at": now})
    if supervisor_id:
        reminder_schedule(
            recipient=User.objects.get(pk=supervisor_id),
            channel="in_app",
            subject=_("A trainee's session note is waiting for your co-signature"),
            url=queue_url(),
            due_at=now,
            kind=MessageKind.TASK,
            dedupe_key=f"session_note:{note.pk}:cosign_requested",
        )
    return note


@transaction.atomic
def session_note_cosign(*, actor: User, note: SessionNote) -> SessionNote:
    """The trainee's supervisor co-signs a note waiting for it. Never the author; not another centre
    counsellor (the co-signature vouches for supervision of this trainee). Locks the note; of two concurrent
    co-signatures one wins."""
    note = locked(note)
    if note.author_id == actor.pk:
        raise DomainError(_("You cannot co-sign your own note."))
    if note.status != S.AWAITING_COSIGN:
        raise DomainError(_("This note is not waiting for a co-signature."))
    if not may_cosign(actor, note):
        raise DomainError(_("Only the trainee's supervisor co-signs this note."))
    now = timezone.now()
    note = move(note, S.COSIGNED, actor=actor, values={"cosigned_by": actor, "cosigned_at": now})
    # Nothing left to remind of: drop what has not gone out yet.
    reminder_cancel(dedupe_key=f"session_note:{note.pk}:cosign_requested")
    reminder_cancel(dedupe_key=f"session_note:{note.pk}:cosign_overdue:{actor.pk}")
    return note


# --- Amendments ------------------------------------------------------------------------------------------


@transaction.atomic
def session_note_amend(
    *, actor: User, note: SessionNote, text: str, idempotency_key: uuid.UUID
) -> SessionNoteAmendment:
    """Append an amendment to a signed note: its author only. Locks the note; the same one-time token
    returns the amendment it already wrote (a double submit appends once)."""
    note = locked(note)
    existing = SessionNoteAmendment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.note_id != note.pk or existing.author_id != actor.pk:
            raise DomainError(_("This form was already used; reload the page."))
        return existing
    if note.author_id != actor.pk:
        raise DomainError(_("Only the author amends a session note."))
    if not note.is_locked:
        raise DomainError(_("A draft is edited, not amended: sign it first."))
    text = _clean(text, limit=AMENDMENT_MAX, what=_("The amendment"))
    if not text:
        raise DomainError(_("Write the amendment first."))
    amendment = SessionNoteAmendment.objects.create(
        note=note, author=actor, text=text, created_at=timezone.now(), idempotency_key=idempotency_key
    )
    audit_log(actor=actor, action="session_note.amended", obj=note, changes={"amendment": amendment.pk})
    return amendment


# --- Overdue co-signatures ----------------------------------------------------------------------------------


def session_notes_remind_overdue_cosign() -> int:
    """Beat, hourly: each note waiting for co-signature longer than the limit brings its trainee's current
    supervisor one in-app reminder (and the SMS / WeCom rows their preferences choose), fixed wording,
    no clinical detail. Idempotent: the dedupe key is per note and supervisor (a reassigned trainee's new
    supervisor is reminded too). Returns how many notes are overdue with a supervisor."""
    now = timezone.now()
    overdue = (
        SessionNote.objects.filter(status=S.AWAITING_COSIGN, signed_at__lt=now - cosign_overdue_after())
        .annotate(
            supervisor_id=Subquery(
                Supervision.objects.filter(trainee_id=OuterRef("author_id")).values("supervisor_id")[:1]
            )
        )
        .filter(supervisor_id__isnull=False)
        .values_list("pk", "supervisor_id")
    )
    supervisors = {u.pk: u for u in User.objects.filter(pk__in={s for _, s in overdue})}
    count = 0
    for note_pk, supervisor_id in overdue:
        with transaction.atomic():
            reminder_schedule(
                recipient=supervisors[supervisor_id],
                channel="in_app",
                subject=_("A session note is overdue for your co-signature"),
                url=queue_url(),
                due_at=now,
                kind=MessageKind.TASK,
                dedupe_key=f"session_note:{note_pk}:cosign_overdue:{supervisor_id}",
            )
        count += 1
    return count
