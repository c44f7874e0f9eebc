"""The shared core: people, org units, roles with scope, audit trail, notifications and reminders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField


class User(AbstractUser):
    """A login. `username` is the 学号 for students and the employee number for staff."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    # While CAS single sign-on is on, only accounts marked here (the break-glass administrator) may use their
    # portal password; students follow settings.STUDENTS_MAY_USE_LOCAL_PASSWORD. With CAS off, everyone may.
    local_sign_in = models.BooleanField(
        _("may sign in with a portal password while CAS is on"),
        default=False,
        help_text=_("For the break-glass administrator: works even when the campus sign-in server is down."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        # A person is shown by name, never by login name (portal.kernel.display).
        from portal.kernel.display import person_name

        return person_name(self)

    @property
    def display_name(self) -> str:
        return str(self)


# --- Organisation ------------------------------------------------------------------------------


class College(models.Model):
    """二级学院."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    leadership_email = models.EmailField(
        _("leadership contact e-mail"), blank=True, help_text=_("Told at once about high-risk reports.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("college")
        verbose_name_plural = _("colleges")

    def __str__(self) -> str:
        return self.name


class ClassGroup(models.Model):
    """班级."""

    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="classes", verbose_name=_("college"))
    name = models.CharField(_("name"), max_length=100, unique=True)
    major = models.CharField(_("major"), max_length=100)
    enrolment_year = models.PositiveSmallIntegerField(_("enrolment year"))
    head_teacher = models.ForeignKey(
        "Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("head teacher")
    )

    class Meta:
        ordering = ["college__code", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")

    def __str__(self) -> str:
        return self.name


class DormRoom(models.Model):
    """宿舍."""

    building = models.CharField(_("building"), max_length=50)
    floor = models.SmallIntegerField(_("floor"))
    room = models.CharField(_("room"), max_length=20)

    class Meta:
        ordering = ["building", "room"]
        constraints = [models.UniqueConstraint(fields=["building", "room"], name="dormroom_unique_building_room")]
        verbose_name = _("dormitory room")
        verbose_name_plural = _("dormitory rooms")

    def __str__(self) -> str:
        return f"{self.building}-{self.room}"


# --- People ------------------------------------------------------------------------------------


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Student(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        LEAVE = "leave", _("on leave")
        GRADUATED = "graduated", _("graduated")

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="student", verbose_name=_("login"))
    student_no = models.CharField(_("student number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    id_card_number = EncryptedTextField(_("ID-card number"), blank=True)
    # Derived on save: lists show the masked form and never decrypt; the blind index finds duplicates.
    id_card_masked = models.CharField(_("ID-card number"), max_length=24, blank=True, editable=False)
    id_card_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    hometown_province = models.CharField(_("province"), max_length=30, blank=True)
    hometown_prefecture = models.CharField(_("prefecture"), max_length=50, blank=True)
    hometown_county = models.CharField(_("county"), max_length=50, blank=True)
    hometown_address = models.CharField(_("home address"), max_length=200, blank=True)
    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="students", verbose_name=_("college"))
    class_group = models.ForeignKey(
        ClassGroup, on_delete=models.PROTECT, related_name="students", verbose_name=_("class")
    )
    room = models.ForeignKey(
        DormRoom, on_delete=models.SET_NULL, null=True, blank=True, related_name="residents", verbose_name=_("room")
    )
    enrolment_year = models.PositiveSmallIntegerField(_("enrolment year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED)

    class Meta:
        ordering = ["student_no"]
        indexes = [
            models.Index(fields=["college", "student_no"], name="student_college_no"),
            models.Index(fields=["class_group", "student_no"], name="student_class_no"),
            models.Index(fields=["name"], name="student_name"),
            models.Index(fields=["hometown_province", "hometown_prefecture"], name="student_hometown"),
        ]
        verbose_name = _("student")
        verbose_name_plural = _("students")

    def __str__(self) -> str:
        return f"{self.name} ({self.student_no})"

    def save(self, *args, **kwargs) -> None:
        from portal.crypto import blind_index
        from portal.validators import mask_id_card

        self.id_card_masked = mask_id_card(self.id_card_number) if self.id_card_number else ""
        self.id_card_index = blind_index(self.id_card_number) if self.id_card_number else ""
        if kwargs.get("update_fields") is not None and "id_card_number" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "id_card_masked", "id_card_index"}
        super().save(*args, **kwargs)


class Guardian(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=100)
    relation = models.CharField(_("relation"), max_length=20)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class Staff(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff", verbose_name=_("login"))
    employee_no = models.CharField(_("employee number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    college = models.ForeignKey(
        College, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff", verbose_name=_("college")
    )
    unit = models.CharField(_("unit"), max_length=100, blank=True, help_text=_("Office or centre, if not a college."))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.name


# --- Roles -------------------------------------------------------------------------------------


class Role(models.TextChoices):
    STUDENT = "student", _("student")
    DORM_LIAISON = "dorm_liaison", _("dorm liaison")
    CLASS_COMMITTEE = "class_committee", _("class mental-health committee member")
    STATION_COUNSELLOR = "station_counsellor", _("college station counsellor")
    CENTRE_COUNSELLOR = "centre_counsellor", _("centre counsellor")
    ASSESSOR = "assessor", _("crisis assessment group member")
    AID_REVIEWER = "aid_reviewer", _("college aid reviewer")
    AID_OFFICER = "aid_officer", _("aid officer")
    VISIT_TEAM = "visit_team", _("home-visit team member")
    ADMIN = "admin", _("administrator")


class RoleAssignmentQuerySet(models.QuerySet):
    def current(self, on=None) -> RoleAssignmentQuerySet:
        today = on or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today)).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )


class RoleAssignment(models.Model):
    """One role of one person, with its scope and validity.

    Scope by role: station counsellor and college aid reviewer → `college`; class committee member →
    `class_group`; dorm liaison → `rooms`; home-visit team members are scoped by trip membership in
    the homevisits app; the other roles are school-wide.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    college = models.ForeignKey(
        College, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("college")
    )
    class_group = models.ForeignKey(
        ClassGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("class")
    )
    rooms = models.ManyToManyField(DormRoom, blank=True, related_name="+", verbose_name=_("rooms"))
    is_lead = models.BooleanField(
        _("lead"), default=False, help_text=_("Head of the station or director of the centre: receives escalations.")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    COLLEGE_SCOPED = {Role.STATION_COUNSELLOR, Role.AID_REVIEWER}
    CLASS_SCOPED = {Role.CLASS_COMMITTEE}

    class Meta:
        ordering = ["user_id", "role"]
        # Staff lists ("who holds this role, in this college"): every student holds the student role, so
        # the table is as large as the roster and a role filter must not scan it.
        indexes = [models.Index(fields=["role", "college"], name="roleassignment_role_college")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["station_counsellor", "aid_reviewer"]) | Q(college__isnull=False),
                name="roleassignment_college_scope_required",
            ),
            models.CheckConstraint(
                condition=~Q(role="class_committee") | Q(class_group__isnull=False),
                name="roleassignment_class_scope_required",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="roleassignment_valid_range",
            ),
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        scope = self.college or self.class_group or ""
        return f"{self.user} · {self.get_role_display()} {scope}".strip()


# --- Audit trail ---------------------------------------------------------------------------------


class AuditEvent(models.Model):
    """Append-only. Services write one per change; the access layer one per read of a sensitive record.

    `changes` names changed fields with non-sensitive values only. PostgreSQL refuses UPDATE and DELETE
    on this table (trigger in migration 0002); the model refuses them too.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=40, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object"),
            models.Index(fields=["actor", "at"], name="audit_actor"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


# --- Notifications and reminders ---------------------------------------------------------------


class Notification(models.Model):
    """An in-app message in the recipient's inbox (the bell)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox"),
            # The notification list and the dashboard: a recipient's newest first, read or not.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_new"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title


class MessageKind(models.TextChoices):
    """What a message is about: decides which channels carry it (MessagePreference) and the fixed wording an
    SMS or a WeCom card uses (portal.channels.templates), which never names a student, a level or a case."""

    CRISIS_ALERT = "crisis_alert", _("crisis alert")
    APPOINTMENT = "appointment", _("appointment reminder")
    TASK = "task", _("work waiting for me")
    NOTICE = "notice", _("notice")


class MessagePreference(models.Model):
    """Which channels besides the in-app inbox (always on) a user wants for one kind of message.

    No row means the defaults of portal.channels.preferences. Crisis alerts to staff ignore the row: they go to
    every channel the person can be reached on.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="message_preferences")
    kind = models.CharField(_("kind of message"), max_length=20, choices=MessageKind.choices)
    by_email = models.BooleanField(_("e-mail"), default=False)
    by_sms = models.BooleanField(_("SMS"), default=False)
    by_wecom = models.BooleanField(_("WeCom"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="messagepreference_user_kind")]
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS to the phone on the roster: account activation or password reset.

    Only a hash of the code is kept. A request whose details match nobody leaves a row with no user and no code,
    so the per-number and per-address limits count it and the answer cannot tell the two apart.
    """

    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("activate account")
        RESET = "reset", _("reset password")

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "created_at"], name="phonecode_phone_recent"),
            models.Index(fields=["address", "created_at"], name="phonecode_address_recent"),
            models.Index(fields=["user", "purpose", "created_at"], name="phonecode_user_recent"),
        ]
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} …{self.phone[-4:]} {self.created_at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """The outbox: a message due at a time, sent exactly once by the dispatcher (portal.services).

    A broker outage only delays dispatch; the row is the source of truth.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in-app")
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        WECOM = "wecom", _("WeCom")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders", null=True, blank=True)
    # For e-mail to an address with no login (e.g. a college's leadership contact).
    email_to = models.EmailField(_("e-mail to"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Picks the fixed, non-sensitive wording an SMS or WeCom message carries (portal.channels.templates).
    kind = models.CharField(
        _("kind of message"), max_length=20, choices=MessageKind.choices, default=MessageKind.NOTICE
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_content = models.TextField(blank=True)
    attachment_mimetype = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(_("due"))
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The dispatcher's claim: ORDER BY next_attempt_at, id among pending rows. With the id in the index a
            # claim is a short index scan; without it, 10,000 rows due at the same minute were sorted per claim.
            models.Index(fields=["next_attempt_at", "id"], name="reminder_due_pending", condition=Q(status="pending")),
        ]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient or self.email_to}: {self.subject}"


class Holiday(models.Model):
    """A day off (public holiday or school break): not a working day for deadlines and slots."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Setting(models.Model):
    """A value an admin may change (limits, phone numbers, deadlines). Defaults live in portal.config."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("setting")
        verbose_name_plural = _("settings")

    def __str__(self) -> str:
        return self.key
