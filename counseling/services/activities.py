"""Writes of activities (events: sign-up, waitlist, check-in) and the e-journal 《心之专列》.

Access (who may manage an event, whether a student is in its audience) is checked by the caller through
portal.access; the rules of state and time are checked here and raise DomainError.

Capacity holds under concurrent sign-ups because every change of an event's seats (sign-up, cancel,
capacity change) first locks the event row with SELECT … FOR UPDATE: sign-ups of one event are
serialised, and the seat count read after the lock is the truth.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from counseling.models import ArticleRead, Event, EventSignup, JournalArticle, JournalImage, JournalIssue
from counseling.sanitise import sanitise_article_html
from portal import config
from portal.access import colleges_for, has_role, is_admin
from portal.audit import audit_log
from portal.kernel import files
from portal.models import College, Reminder, Role, Student, User
from portal.services import DomainError, notify, reminder_schedule

__all__ = [
    "CHECKIN_CODE_ALPHABET",
    "CHECKIN_GRACE",
    "EVENT_CAPACITY_MAX",
    "EVENT_TITLE_MAX",
    "IMAGE_MAX_BYTES",
    "EventData",
    "article_mark_read",
    "event_cancel",
    "event_check_in",
    "event_check_in_by_code",
    "event_check_in_undo",
    "event_create",
    "event_signup",
    "event_signup_cancel",
    "event_update",
    "events_remind_upcoming",
    "journal_article_save",
    "journal_image_upload",
    "journal_issue_publish",
    "journal_issue_save",
    "journal_issue_unpublish",
    "new_checkin_code",
]

config.declare(
    "counseling.journal_new_days",
    30,
    "Days a newly published journal issue is shown as new on the counselling home page.",
)

EVENT_TITLE_MAX = 200
EVENT_TEXT_MAX = 5000
EVENT_CAPACITY_MAX = 5000
CHECKIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CHECKIN_CODE_LENGTH = 6
CHECKIN_GRACE = timedelta(hours=1)
IMAGE_MAX_BYTES = files.IMAGE.max_bytes
ARTICLE_BODY_MAX = 200_000

SEATED = (EventSignup.Status.SIGNED_UP, EventSignup.Status.ATTENDED)
ACTIVE = (*SEATED, EventSignup.Status.WAITLISTED)


# --- Events: creating and changing ---------------------------------------------------------------------


@dataclass
class EventData:
    title: str
    kind: str
    description: str
    audience: str
    colleges: list[College]
    enrolment_years: list[int]
    invited: list[Student]
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signup_opens_at: datetime
    signup_closes_at: datetime


def new_checkin_code() -> str:
    return "".join(secrets.choice(CHECKIN_CODE_ALPHABET) for _ in range(CHECKIN_CODE_LENGTH))


def _validate_event(*, actor: User, data: EventData) -> None:
    """The rules a form may also check; repeated here because services are the only writers."""
    for text, limit in ((data.title, EVENT_TITLE_MAX), (data.place, EVENT_TITLE_MAX)):
        if not text.strip() or len(text) > limit:
            raise DomainError(_("Give a title and a place of at most %(max)s characters.") % {"max": limit})
    if len(data.description) > EVENT_TEXT_MAX:
        raise DomainError(_("The description is limited to %(max)s characters.") % {"max": EVENT_TEXT_MAX})
    if any("\x00" in t for t in (data.title, data.place, data.description)):
        raise DomainError(_("The text contains control characters; remove them and try again."))
    if data.kind not in Event.Kind.values or data.audience not in Event.Audience.values:
        raise DomainError(_("Choose from the listed options."))
    if not 1 <= data.capacity <= EVENT_CAPACITY_MAX:
        raise DomainError(_("The capacity must be between 1 and %(max)s.") % {"max": EVENT_CAPACITY_MAX})
    if data.ends_at <= data.starts_at:
        raise DomainError(_("The event must end after it starts."))
    if data.signup_closes_at <= data.signup_opens_at:
        raise DomainError(_("Sign-up must close after it opens."))
    if data.signup_closes_at > data.ends_at:
        raise DomainError(_("Sign-up must close before the event ends."))
    if data.audience == Event.Audience.COLLEGES and not data.colleges:
        raise DomainError(_("Choose at least one college."))
    if data.audience == Event.Audience.YEARS and not data.enrolment_years:
        raise DomainError(_("Give at least one enrolment year."))
    if data.audience == Event.Audience.INVITED and not data.invited:
        raise DomainError(_("Invite at least one student."))
    if has_role(actor, Role.CENTRE_COUNSELLOR) or is_admin(actor):
        return
    own = colleges_for(actor, Role.STATION_COUNSELLOR)
    inside = (data.audience == Event.Audience.COLLEGES and {c.pk for c in data.colleges} <= own) or (
        data.audience == Event.Audience.INVITED and {s.college_id for s in data.invited} <= own
    )
    if not own or not inside:
        raise DomainError(_("A station's events are for the students of its own college only."))


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title.strip()
    event.kind = data.kind
    event.description = data.description.strip()
    event.audience = data.audience
    event.enrolment_years = sorted(set(data.enrolment_years)) if data.audience == Event.Audience.YEARS else []
    event.place = data.place.strip()
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.capacity = data.capacity
    event.signup_opens_at = data.signup_opens_at
    event.signup_closes_at = data.signup_closes_at


def _set_audience_lists(event: Event, data: EventData) -> None:
    event.colleges.set(data.colleges if data.audience == Event.Audience.COLLEGES else [])
    event.invited.set(data.invited if data.audience == Event.Audience.INVITED else [])


@transaction.atomic
def event_create(*, actor: User, data: EventData) -> Event:
    """Create an event with a fresh check-in code. Caller has checked `may_manage_events(actor)`;
    a station may only address students of its own college (checked here)."""
    _validate_event(actor=actor, data=data)
    event = Event(created_by=actor, checkin_code=new_checkin_code())
    _apply(event, data)
    event.save()
    _set_audience_lists(event, data)
    audit_log(actor=actor, action="event.created", obj=event, changes={"audience": event.audience})
    return event


@transaction.atomic
def event_update(*, actor: User, event: Event, data: EventData) -> Event:
    """Change an event. Caller has checked `can(actor, "manage", event)`. Locks the event; a capacity
    below the seats already taken is refused, a larger one moves the waitlist up at once."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.cancelled:
        raise DomainError(_("This event was cancelled."))
    _validate_event(actor=actor, data=data)
    seated = event.signups.filter(status__in=SEATED).count()
    if data.capacity < seated:
        raise DomainError(
            _("%(count)s students already have a place: the capacity cannot be lower.") % {"count": seated}
        )
    _apply(event, data)
    event.save()
    _set_audience_lists(event, data)
    audit_log(actor=actor, action="event.changed", obj=event)
    _fill_free_seats(event)
    return event


@transaction.atomic
def event_cancel(*, actor: User, event: Event) -> Event:
    """Call the event off; everyone signed up or waiting is told. Caller has checked "manage"."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.cancelled:
        raise DomainError(_("This event was already cancelled."))
    if event.ends_at <= timezone.now():
        raise DomainError(_("The event is over; it cannot be cancelled."))
    event.cancelled = True
    event.save(update_fields=["cancelled"])
    signups = list(
        event.signups.filter(status__in=(EventSignup.Status.SIGNED_UP, EventSignup.Status.WAITLISTED)).select_related(
            "student__user"
        )
    )
    with override(settings.LANGUAGE_CODE):
        title = _("Event cancelled: %(title)s") % {"title": event.title}
    for signup in signups:
        notify(
            recipient=signup.student.user,
            title=title,
            url=_event_url(event),
            dedupe_key=f"activities:event:{event.pk}:cancelled:{signup.student_id}",
        )
    audit_log(actor=actor, action="event.cancelled", obj=event, changes={"told": len(signups)})
    return event


# --- Events: sign-up, cancel, waitlist ------------------------------------------------------------------


def _event_url(event: Event) -> str:
    return reverse("counseling:event_detail", args=[event.pk])


def _locked_event(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _check_signup_window(event: Event, now: datetime) -> None:
    if event.cancelled:
        raise DomainError(_("This event was cancelled."))
    if now < event.signup_opens_at:
        raise DomainError(_("Sign-up has not opened yet."))
    if now >= event.signup_closes_at:
        raise DomainError(_("Sign-up for this event is closed."))


@transaction.atomic
def event_signup(*, student: Student, event: Event) -> EventSignup:
    """Sign the student up, or put them on the waitlist when the event is full.

    Caller has checked that the event is visible to the student (audience). Locks the event row, so
    concurrent sign-ups are counted one after another and the capacity is never exceeded. Signing up
    again after cancelling puts the student at the end of the line.
    """
    event = _locked_event(event)
    now = timezone.now()
    _check_signup_window(event, now)
    signup = EventSignup.objects.filter(event=event, student=student).first()
    if signup is not None and signup.status != EventSignup.Status.CANCELLED:
        raise DomainError(_("You are already signed up for this event."))
    seated = event.signups.filter(status__in=SEATED).count()
    status = EventSignup.Status.SIGNED_UP if seated < event.capacity else EventSignup.Status.WAITLISTED
    if signup is None:
        signup = EventSignup.objects.create(event=event, student=student, status=status, created_at=now)
    else:
        signup.status, signup.created_at, signup.checked_in_at = status, now, None
        signup.save(update_fields=["status", "created_at", "checked_in_at"])
    audit_log(actor=student.user, action=f"event.{status}", obj=event, changes={"student": student.pk})
    return signup


@transaction.atomic
def event_signup_cancel(*, student: Student, event: Event) -> EventSignup:
    """Withdraw while the sign-up window is open. A freed seat goes to the first on the waitlist,
    who is told. Locks the event row."""
    event = _locked_event(event)
    _check_signup_window(event, timezone.now())
    signup = EventSignup.objects.filter(
        event=event, student=student, status__in=(EventSignup.Status.SIGNED_UP, EventSignup.Status.WAITLISTED)
    ).first()
    if signup is None:
        raise DomainError(_("You are not signed up for this event."))
    was_seated = signup.status == EventSignup.Status.SIGNED_UP
    signup.status = EventSignup.Status.CANCELLED
    signup.save(update_fields=["status"])
    audit_log(actor=student.user, action="event.signup_cancelled", obj=event, changes={"student": student.pk})
    if was_seated:
        _fill_free_seats(event)
    return signup


def _fill_free_seats(event: Event) -> list[EventSignup]:
    """Move the waitlist up into free seats, first come first served. The caller holds the event lock."""
    free = event.capacity - event.signups.filter(status__in=SEATED).count()
    if free <= 0:
        return []
    promoted = list(
        event.signups.filter(status=EventSignup.Status.WAITLISTED)
        .select_related("student__user")
        .order_by("created_at", "id")[:free]
    )
    with override(settings.LANGUAGE_CODE):
        title = _("You have a place: %(title)s") % {"title": event.title}
        body = _("A place became free and you moved up from the waitlist. Cancel in time if you cannot come.")
    for signup in promoted:
        signup.status = EventSignup.Status.SIGNED_UP
        signup.save(update_fields=["status"])
        notify(
            recipient=signup.student.user,
            title=title,
            body=body,
            url=_event_url(event),
            dedupe_key=f"activities:event:{event.pk}:promoted:{signup.pk}:{signup.created_at.timestamp():.0f}",
        )
        audit_log(actor=None, action="event.promoted", obj=event, changes={"student": signup.student_id})
    return promoted


# --- Events: check-in ----------------------------------------------------------------------------------


def _check_in_window_open(event: Event, now: datetime) -> bool:
    return event.starts_at - CHECKIN_GRACE <= now <= event.ends_at + CHECKIN_GRACE


@transaction.atomic
def event_check_in(*, actor: User, event: Event, student: Student) -> EventSignup:
    """Staff check a student in (from the list). Caller has checked `can(actor, "check_in", event)` and
    that the student is signed up, waiting, or (a walk-in) in the event's audience. Staff may record
    attendance from an hour before the start onwards, also afterwards from a paper list."""
    event = _locked_event(event)
    now = timezone.now()
    if event.cancelled:
        raise DomainError(_("This event was cancelled."))
    if now < event.starts_at - CHECKIN_GRACE:
        raise DomainError(_("Check-in opens an hour before the event starts."))
    signup, created = EventSignup.objects.get_or_create(
        event=event,
        student=student,
        defaults={"status": EventSignup.Status.ATTENDED, "checked_in_at": now, "created_at": now},
    )
    if not created:
        if signup.status == EventSignup.Status.ATTENDED:
            return signup
        signup.status, signup.checked_in_at = EventSignup.Status.ATTENDED, now
        signup.save(update_fields=["status", "checked_in_at"])
    audit_log(actor=actor, action="event.checked_in", obj=event, changes={"student": student.pk, "by": "staff"})
    return signup


@transaction.atomic
def event_check_in_undo(*, actor: User, event: Event, student: Student) -> EventSignup:
    """Take back a check-in made by mistake: the student keeps their place."""
    event = _locked_event(event)
    signup = EventSignup.objects.filter(event=event, student=student, status=EventSignup.Status.ATTENDED).first()
    if signup is None:
        raise DomainError(_("This student is not checked in."))
    signup.status, signup.checked_in_at = EventSignup.Status.SIGNED_UP, None
    signup.save(update_fields=["status", "checked_in_at"])
    audit_log(actor=actor, action="event.check_in_undone", obj=event, changes={"student": student.pk})
    return signup


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())[: CHECKIN_CODE_LENGTH * 2]


@transaction.atomic
def event_check_in_by_code(*, student: Student, event: Event, code: str) -> EventSignup:
    """The student checks in with the code shown at the event. Only students with a place
    (SIGNED_UP) may, and only from an hour before the start to an hour after the end. Walk-ins and
    waitlisted students check in at the staff desk, so the code cannot be passed round to fill
    attendance for people who were not there. Caller throttles failed attempts."""
    event = _locked_event(event)
    if event.cancelled:
        raise DomainError(_("This event was cancelled."))
    if not _check_in_window_open(event, timezone.now()):
        raise DomainError(_("Check-in by code is open from an hour before the event until an hour after it."))
    if not event.checkin_code or not hmac.compare_digest(normalise_code(code), event.checkin_code):
        raise DomainError(_("That code is not right. Check the code shown at the event and try again."))
    signup = EventSignup.objects.filter(event=event, student=student).first()
    if signup is not None and signup.status == EventSignup.Status.ATTENDED:
        return signup
    if signup is None or signup.status != EventSignup.Status.SIGNED_UP:
        raise DomainError(_("Only students with a place can check in by code. Please see the staff at the desk."))
    signup.status, signup.checked_in_at = EventSignup.Status.ATTENDED, timezone.now()
    signup.save(update_fields=["status", "checked_in_at"])
    audit_log(actor=student.user, action="event.checked_in", obj=event, changes={"student": student.pk, "by": "code"})
    return signup


# --- Events: reminders (beat) ---------------------------------------------------------------------------


def events_remind_upcoming(*, now: datetime | None = None) -> int:
    """Remind students with a place of events starting within the next 24 hours, once per sign-up.

    Run hourly by beat. The dedupe key is per sign-up (and its sign-up time), so a second run, or a
    student promoted from the waitlist later, never gets two reminders for the same place. Returns
    how many reminders were queued.
    """
    now = now or timezone.now()
    signups = list(
        EventSignup.objects.filter(
            status=EventSignup.Status.SIGNED_UP,
            event__cancelled=False,
            event__starts_at__gt=now,
            event__starts_at__lte=now + timedelta(hours=24),
        ).select_related("event", "student__user")
    )
    keys = {
        s.pk: f"activities:event:{s.event_id}:signup:{s.pk}:{s.created_at.timestamp():.0f}:reminder" for s in signups
    }
    sent = set(Reminder.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    count = 0
    for signup in signups:
        key = keys[signup.pk]
        if key in sent:
            continue
        event = signup.event
        with override(settings.LANGUAGE_CODE):
            subject = _("Reminder: %(title)s") % {"title": event.title}
            body = _("%(when)s at %(place)s. If you cannot come, cancel so the next student gets your place.") % {
                "when": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
                "place": event.place,
            }
        with transaction.atomic():
            reminder_schedule(
                recipient=signup.student.user,
                channel=Reminder.Channel.IN_APP,
                subject=subject,
                body=body,
                url=_event_url(event),
                due_at=now,
                dedupe_key=key,
            )
        count += 1
    return count


# --- Journal -------------------------------------------------------------------------------------------


@transaction.atomic
def journal_issue_save(*, actor: User, issue: JournalIssue | None, title: str, number: int) -> JournalIssue:
    """Create (issue=None) or rename/renumber an issue. Caller has checked `may_manage_journal`."""
    title = title.strip()
    if not title or len(title) > 200 or "\x00" in title:
        raise DomainError(_("Give a title of at most %(max)s characters.") % {"max": 200})
    if not 1 <= number <= 100_000:
        raise DomainError(_("The issue number must be between 1 and 100000."))
    clash = JournalIssue.objects.filter(number=number)
    if issue is not None:
        clash = clash.exclude(pk=issue.pk)
    if clash.exists():
        raise DomainError(_("Issue number %(number)s already exists.") % {"number": number})
    if issue is None:
        issue = JournalIssue.objects.create(title=title, number=number, created_by=actor)
        audit_log(actor=actor, action="journal.issue_created", obj=issue)
    else:
        issue = JournalIssue.objects.select_for_update().get(pk=issue.pk)
        issue.title, issue.number = title, number
        issue.save(update_fields=["title", "number"])
        audit_log(actor=actor, action="journal.issue_changed", obj=issue)
    return issue


@transaction.atomic
def journal_issue_publish(*, actor: User, issue: JournalIssue) -> JournalIssue:
    """Publish an issue with at least one article.

    No notification per student (20,000 rows for one issue): the counselling home shows the newest
    issue as new for `counseling.journal_new_days` days to every reader who has not opened it
    (selector `journal_new_issue_for`).
    """
    issue = JournalIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.published_at is not None:
        raise DomainError(_("This issue is already published."))
    if not issue.articles.exists():
        raise DomainError(_("Add at least one article before publishing."))
    issue.published_at = timezone.now()
    issue.save(update_fields=["published_at"])
    audit_log(actor=actor, action="journal.issue_published", obj=issue)
    return issue


@transaction.atomic
def journal_issue_unpublish(*, actor: User, issue: JournalIssue) -> JournalIssue:
    """Take an issue back to draft (a mistake found after publishing)."""
    issue = JournalIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.published_at is None:
        raise DomainError(_("This issue is not published."))
    issue.published_at = None
    issue.save(update_fields=["published_at"])
    audit_log(actor=actor, action="journal.issue_unpublished", obj=issue)
    return issue


@transaction.atomic
def journal_article_save(
    *,
    actor: User,
    issue: JournalIssue,
    article: JournalArticle | None,
    title: str,
    author: str,
    body: str,
    position: int = 0,
) -> JournalArticle:
    """Create (article=None) or change an article; the body is sanitised (counseling.sanitise) here, so
    nothing unsanitised is ever stored. Caller has checked `may_manage_journal`."""
    title, author = title.strip(), author.strip()
    if not title or len(title) > 200 or len(author) > 100:
        raise DomainError(_("Give a title of at most 200 characters and an author of at most 100."))
    if any("\x00" in t for t in (title, author, body)):
        raise DomainError(_("The text contains control characters; remove them and try again."))
    if len(body) > ARTICLE_BODY_MAX:
        raise DomainError(_("The text is limited to %(max)s characters.") % {"max": ARTICLE_BODY_MAX})
    clean = sanitise_article_html(body)
    if not clean:
        raise DomainError(_("The article has no text."))
    if not 0 <= position <= 1000:
        raise DomainError(_("The position must be between 0 and 1000."))
    if article is None:
        article = JournalArticle.objects.create(issue=issue, title=title, author=author, body=clean, position=position)
        audit_log(actor=actor, action="journal.article_created", obj=article)
    else:
        article = JournalArticle.objects.select_for_update().get(pk=article.pk)
        article.title, article.author, article.body, article.position = title, author, clean, position
        article.save(update_fields=["title", "author", "body", "position"])
        audit_log(actor=actor, action="journal.article_changed", obj=article)
    return article


@transaction.atomic
def journal_image_upload(*, actor: User, issue: JournalIssue, upload: UploadedFile) -> JournalImage:
    """Check and store an image in private media (served by the journal_image view). Caller has checked
    `may_manage_journal`. The stored name is random, never the uploader's file name."""
    try:  # JPEG or PNG by content, re-encoded: EXIF, GPS and anything after the image data are dropped
        checked = files.check_image(upload, rules=files.IMAGE)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from exc
    data = checked.data
    image = JournalImage(issue=issue, content_type=checked.content_type, uploaded_by=actor)
    image.image.save(f"{secrets.token_hex(16)}.{checked.extension}", ContentFile(data), save=False)
    image.save()
    audit_log(actor=actor, action="journal.image_uploaded", obj=image, changes={"bytes": len(data)})
    return image


def article_mark_read(*, reader: User, article: JournalArticle) -> bool:
    """Count one read per reader and article of a published issue; True the first time. No audit:
    a read is not a change, and who read what is never shown."""
    if article.issue.published_at is None:
        return False
    _read, created = ArticleRead.objects.get_or_create(article=article, reader=reader)
    return created
