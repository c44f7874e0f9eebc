"""Supervised session notes: who supervises which trainee counsellor, and the amendments of signed notes.

A trainee is a counsellor with a Supervision row; their signed notes wait for their supervisor's co-signature.
The supervisor is a centre counsellor (checked when the row is saved through the admin and again at each
co-signature, since roles change). One supervisor per trainee at a time: the queue and the reminders follow
the current row, so reassigning a trainee hands their waiting notes to the new supervisor.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models.appointments import SessionNote
from portal.crypto import EncryptedTextField
from portal.models import Role, RoleAssignment, User


class Supervision(models.Model):
    """A trainee counsellor and the centre counsellor who reviews and co-signs their session notes."""

    trainee = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="supervision", verbose_name=_("trainee counsellor")
    )
    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisees", verbose_name=_("supervisor")
    )
    since = models.DateField(_("since"), default=timezone.localdate)

    class Meta:
        ordering = ["supervisor_id", "trainee_id"]
        constraints = [
            models.CheckConstraint(condition=~Q(trainee=F("supervisor")), name="supervision_not_self"),
        ]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")

    def __str__(self) -> str:
        return f"{self.trainee} ← {self.supervisor}"

    def clean(self) -> None:
        if self.trainee_id and self.trainee_id == self.supervisor_id:
            raise ValidationError(_("A trainee cannot supervise themselves."))
        if (
            self.supervisor_id
            and not RoleAssignment.objects.current()
            .filter(user_id=self.supervisor_id, role=Role.CENTRE_COUNSELLOR)
            .exists()
        ):
            raise ValidationError({"supervisor": _("The supervisor must be a centre counsellor.")})


class SessionNoteAmendment(models.Model):
    """A later change to a signed note: appended with its author and time, never edited or deleted."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("amendment"))
    created_at = models.DateTimeField(default=timezone.now)
    # The form's one-time token: a double submit finds the amendment the first one wrote.
    idempotency_key = models.UUIDField(unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("session note amendment")
        verbose_name_plural = _("session note amendments")

    def __str__(self) -> str:
        return f"amendment #{self.pk} of note #{self.note_id}"
