"""Activities (events with sign-up, waitlist and check-in) and the e-journal 《心之专列》."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import College, Student, User


class Event(models.Model):
    class Kind(models.TextChoices):
        MONTH_525 = "525", _("5.25 mental-health month")
        FRESHMAN = "freshman", _("freshman month")
        THEME_DAY = "theme_day", _("theme day")
        GROUP = "group", _("group counselling")
        TRAINING = "training", _("training")
        TALK = "talk", _("talk")

    class Audience(models.TextChoices):
        ALL = "all", _("all students")
        COLLEGES = "colleges", _("chosen colleges")
        YEARS = "years", _("chosen enrolment years")
        INVITED = "invited", _("invited students only")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL)
    colleges = models.ManyToManyField(College, blank=True, related_name="+", verbose_name=_("colleges"))
    enrolment_years = models.JSONField(_("enrolment years"), default=list, blank=True)
    invited = models.ManyToManyField(
        Student, blank=True, related_name="event_invitations", verbose_name=_("invited students")
    )
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"))
    signup_opens_at = models.DateTimeField(_("sign-up opens"))
    signup_closes_at = models.DateTimeField(_("sign-up closes"))
    checkin_code = models.CharField(_("check-in code"), max_length=12, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="event_starts"),
            # Upcoming and past event lists split on ends_at.
            models.Index(fields=["ends_at"], name="event_ends"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(signup_closes_at__gte=models.F("signup_opens_at")), name="event_signup_window"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title


class EventSignup(models.Model):
    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        WAITLISTED = "waitlisted", _("on the waitlist")
        CANCELLED = "cancelled", _("cancelled")
        ATTENDED = "attended", _("attended")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="event_signups")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "status", "created_at"], name="signup_event_status")]
        constraints = [models.UniqueConstraint(fields=["event", "student"], name="signup_one_per_student")]
        verbose_name = _("event sign-up")
        verbose_name_plural = _("event sign-ups")

    def __str__(self) -> str:
        return f"{self.student} @ {self.event}"


class JournalIssue(models.Model):
    """An issue of the e-journal 《心之专列》."""

    title = models.CharField(_("title"), max_length=200)
    number = models.PositiveIntegerField(_("issue number"), unique=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-number"]
        verbose_name = _("journal issue")
        verbose_name_plural = _("journal issues")

    def __str__(self) -> str:
        return f"《心之专列》{self.number}: {self.title}"


class JournalArticle(models.Model):
    issue = models.ForeignKey(JournalIssue, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=100, blank=True)
    body = models.TextField(_("text"), help_text=_("Rich text; sanitised when saved."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issue_id", "position", "id"]
        verbose_name = _("journal article")
        verbose_name_plural = _("journal articles")

    def __str__(self) -> str:
        return self.title


class JournalImage(models.Model):
    """An image for articles: checked by content (JPEG/PNG), stored privately, served through a view."""

    issue = models.ForeignKey(JournalIssue, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(_("image"), upload_to="journal/%Y/%m/")
    content_type = models.CharField(max_length=20)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("journal image")
        verbose_name_plural = _("journal images")

    def __str__(self) -> str:
        return self.image.name


class ArticleRead(models.Model):
    """One row per reader and article, for read counts (not who read what: never shown per person)."""

    article = models.ForeignKey(JournalArticle, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "reader"], name="articleread_unique")]
        verbose_name = _("article read")
        verbose_name_plural = _("article reads")

    def __str__(self) -> str:
        return f"{self.article_id}:{self.reader_id}"
