"""Access rules for supervised session notes (registered with portal.access on import).

- Reading a note (and its amendments): its author and centre counsellors only (counseling.access.appointments
  `may_read_session_note`); every read audited by the selector. Students, stations who did not write it, aid
  and home-visit staff, admins: 404.
- Signing: the author, while the note is a draft. Editing a draft: the author.
- Amending: the author, once the note is signed.
- Co-signing: the trainee's current supervisor only, who must still hold the centre counsellor role, and never
  the author. Not any centre counsellor: the co-signature says "I supervise this trainee and reviewed this
  note"; a counsellor who does not supervise them cannot say so. The supervisor queue lists exactly these notes.
"""

from __future__ import annotations

from counseling.models import SessionNote, Supervision
from portal.access import has_role
from portal.models import Role, RoleAssignment, User

__all__ = ["is_trainee", "may_cosign", "supervisor_id_of"]


def supervisor_id_of(user_id: int) -> int | None:
    """The current supervisor of a trainee counsellor, or None when the counsellor is not a trainee."""
    return Supervision.objects.filter(trainee_id=user_id).values_list("supervisor_id", flat=True).first()


def is_trainee(user: User) -> bool:
    return user.is_authenticated and Supervision.objects.filter(trainee_id=user.pk).exists()


def may_cosign(user: User, note: SessionNote) -> bool:
    """Read afresh (roles and supervision change): the author's supervisor, a centre counsellor now."""
    return (
        user.is_authenticated
        and note.author_id != user.pk
        and supervisor_id_of(note.author_id) == user.pk
        and RoleAssignment.objects.current()
        .filter(user_id=user.pk, role=Role.CENTRE_COUNSELLOR, user__is_active=True)
        .exists()
    )


@SessionNote.flow.rule
def _note_signers(user: User, note: SessionNote, to: str) -> bool:
    """The moves of a note: the author signs (a trainee's signature sends it for co-signature); the supervisor
    co-signs. Admins are not let through (unlike portal.access.can): clinical notes are not theirs to sign."""
    if to in (SessionNote.Status.SIGNED, SessionNote.Status.AWAITING_COSIGN):
        return note.author_id == user.pk
    if to == SessionNote.Status.COSIGNED:
        return has_role(user, Role.CENTRE_COUNSELLOR) and may_cosign(user, note)
    return False
