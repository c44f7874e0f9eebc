"""Appointments: counsellors' availability, slots, bookings with their rules, the waitlist, session notes.

Database rules (PostgreSQL partial unique indexes) that hold whatever the concurrency:
- one live booking per slot (pending approval, confirmed, awaiting outcome, attended, no-show);
- one future booking per student (pending approval or confirmed);
- one live waitlist entry per student and counsellor (or "any counsellor").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from portal.kernel.workflow import Flow
from portal.models import Gender, Student, User


class Mode(models.TextChoices):
    ROOM = "room", _("in person")
    ONLINE = "online", _("online")


class AvailabilityTemplate(models.Model):
    """A weekly recurring slot: every <weekday> at <start_time>, generating Slots ahead of time."""

    counsellor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="availability_templates")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (i, d)
            for i, d in enumerate(
                [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
            )
        ],
    )
    start_time = models.TimeField(_("start time"))
    length_minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=50)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ROOM)
    location = models.CharField(_("room or meeting link"), max_length=200, blank=True)
    valid_from = models.DateField(_("from"), default=timezone.localdate)
    valid_until = models.DateField(_("until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["counsellor_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday_range"),
            models.CheckConstraint(
                condition=Q(length_minutes__gte=10, length_minutes__lte=240), name="availability_length_range"
            ),
        ]
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")

    def __str__(self) -> str:
        return f"{self.counsellor} {self.get_weekday_display()} {self.start_time:%H:%M}"


class BlockedDay(models.Model):
    """A day with no slots for one counsellor (leave), or for everyone when counsellor is empty.
    School holidays are portal.Holiday and block everyone too."""

    counsellor = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["counsellor", "date"], name="blockedday_unique")]
        verbose_name = _("blocked day")
        verbose_name_plural = _("blocked days")

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class Slot(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        HELD = "held", _("held for a waitlisted student")
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled by the counsellor")

    counsellor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ROOM)
    location = models.CharField(_("room or meeting link"), max_length=200, blank=True)
    template = models.ForeignKey(
        AvailabilityTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # A waitlist offer (or a first visit waiting for approval) holds the slot for one student.
    held_for = models.ForeignKey(Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "counsellor_id"]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="slot_open_by_time"),
            # The centre's agenda: every counsellor's sessions of a day, week or fortnight.
            models.Index(fields=["starts_at"], name="slot_starts"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["counsellor", "starts_at"], name="slot_unique_counsellor_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"),
        ]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")

    def __str__(self) -> str:
        return f"{self.counsellor} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        CONFIRMED = "confirmed", _("confirmed")
        AWAITING_OUTCOME = "awaiting", _("held, outcome not yet marked")
        ATTENDED = "attended", _("attended")
        NO_SHOW = "no_show", _("no-show")
        CANCELLED = "cancelled", _("cancelled")
        LATE_CANCELLED = "late_cancelled", _("cancelled late")
        DECLINED = "declined", _("not approved")

    LIVE = ("pending", "confirmed", "awaiting", "attended", "no_show")
    FUTURE = ("pending", "confirmed")

    # The services of counseling.services.appointments move bookings; their callers check access. A booking
    # is locked after its slot (the lock order of every appointment service, so two never deadlock).
    flow = Flow(
        moves={
            Status.PENDING: {Status.CONFIRMED, Status.DECLINED, Status.CANCELLED, Status.LATE_CANCELLED},
            Status.CONFIRMED: {
                Status.AWAITING_OUTCOME,
                Status.ATTENDED,
                Status.NO_SHOW,
                Status.LATE_CANCELLED,
                Status.CANCELLED,
            },
            Status.AWAITING_OUTCOME: {Status.ATTENDED, Status.NO_SHOW, Status.LATE_CANCELLED},
            Status.ATTENDED: {Status.NO_SHOW},  # a wrong mark corrected
            Status.NO_SHOW: {Status.ATTENDED},
        },
        refused=_("This appointment is %(status)s and cannot be changed that way."),
        lock_first=("slot",),
        lock_related=("slot", "student", "slot__counsellor"),
    )

    class Source(models.TextChoices):
        STUDENT = "student", _("booked by the student")
        WAITLIST = "waitlist", _("from the waitlist")
        INVITATION = "invitation", _("screening invitation")
        STAFF = "staff", _("booked by staff")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.CONFIRMED)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.STUDENT)
    reason = EncryptedTextField(_("what would you like to talk about?"), blank=True)
    first_visit = models.BooleanField(_("first visit"), default=False)
    preferred_gender = models.CharField(
        _("preferred counsellor gender"), max_length=1, choices=Gender.choices, blank=True
    )
    consent_at = models.DateTimeField(_("consent given"))
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["student", "status"], name="booking_student_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=("pending", "confirmed", "awaiting", "attended", "no_show")),
                name="booking_one_live_per_slot",
            ),
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=("pending", "confirmed")),
                name="booking_one_future_per_student",
            ),
        ]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")

    def __str__(self) -> str:
        return f"{self.student} → {self.slot}"


class BookingRestriction(models.Model):
    """Bookings need staff approval (after repeated no-shows) until staff lift it."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="booking_restrictions")
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(lifted_at__isnull=True), name="booking_restriction_one_active"
            )
        ]
        verbose_name = _("booking restriction")
        verbose_name_plural = _("booking restrictions")

    def __str__(self) -> str:
        return f"{self.student}: {self.reason}"


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("slot offered")
        ACCEPTED = "accepted", _("accepted")
        EXPIRED = "expired", _("offer expired")
        CANCELLED = "cancelled", _("left the waitlist")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="waitlist_entries")
    counsellor = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text=_("Empty: any counsellor.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    offered_slot = models.ForeignKey(Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    offer_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "counsellor"],
                condition=Q(status__in=("waiting", "offered")),
                nulls_distinct=False,
                name="waitlist_one_live_per_student_counsellor",
            ),
        ]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")

    def __str__(self) -> str:
        return f"{self.student} ({self.get_status_display()})"


class NoteFormat(models.TextChoices):
    """How a session note is laid out. The centre picks DAP or SOAP (setting counseling.session_note_format);
    notes written before structured notes existed are free text."""

    FREE = "free", _("free text")
    DAP = "dap", _("DAP (data, assessment, plan)")
    SOAP = "soap", _("SOAP (subjective, objective, assessment, plan)")


# The sections of each format, in the order they are written and shown.
NOTE_SECTIONS: dict[str, tuple[str, ...]] = {
    NoteFormat.FREE: ("body",),
    NoteFormat.DAP: ("data", "assessment", "plan"),
    NoteFormat.SOAP: ("subjective", "objective", "assessment", "plan"),
}


class SessionNote(models.Model):
    """After a session: encrypted; readable only by its author and centre supervisors; every read audited.

    Written as a draft by the counsellor who held the session, then signed by its author and locked: later
    changes are amendments (SessionNoteAmendment), appended, never edits. A trainee's signed note waits for
    the co-signature of their supervisor (counseling.models.session_notes.Supervision)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNED = "signed", _("signed")
        AWAITING_COSIGN = "awaiting_cosign", _("awaiting co-signature")
        COSIGNED = "cosigned", _("co-signed")

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # db_default: rows inserted outside the ORM (the scale seed, notes from before structured notes) are free text.
    format = models.CharField(
        _("format"), max_length=10, choices=NoteFormat.choices, default=NoteFormat.FREE, db_default=NoteFormat.FREE
    )
    body = EncryptedTextField(_("session note"), blank=True, default="", db_default="")
    subjective = EncryptedTextField(_("subjective"), blank=True, default="", db_default="")
    objective = EncryptedTextField(_("objective"), blank=True, default="", db_default="")
    data = EncryptedTextField(_("data"), blank=True, default="", db_default="")
    assessment = EncryptedTextField(_("assessment"), blank=True, default="", db_default="")
    plan = EncryptedTextField(_("plan"), blank=True, default="", db_default="")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_default=Status.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)

    flow = Flow(
        moves={
            Status.DRAFT: {Status.SIGNED, Status.AWAITING_COSIGN},
            Status.AWAITING_COSIGN: {Status.COSIGNED},
        },
        needs_rule=True,  # counseling.access.session_notes: the author signs, the supervisor co-signs
        refused=_("This note is %(status)s: it cannot become %(to)s."),
        forbidden=_("You may not sign this note."),
        audit="session_note.{to}",
    )

    class Meta:
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        indexes = [
            models.Index(
                fields=["signed_at"], condition=Q(status="awaiting_cosign"), name="sessionnote_awaiting_cosign"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False), name="sessionnote_signed_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="cosigned") | Q(cosigned_by__isnull=False, cosigned_at__isnull=False),
                name="sessionnote_cosigned_has_cosigner",
            ),
        ]

    def __str__(self) -> str:
        return f"note #{self.pk}"

    @property
    def is_locked(self) -> bool:
        """Signed (by its author): no more edits, only amendments."""
        return self.status != self.Status.DRAFT

    def sections(self) -> list[tuple[str, str, str]]:
        """(field name, label, text) of the note's format, in order."""
        return [
            (name, str(self._meta.get_field(name).verbose_name), getattr(self, name))
            for name in NOTE_SECTIONS[self.format]
        ]
