"""Reads of activities and the e-journal, scoped through portal.access; each costs a fixed number of
queries whatever the number of rows (annotations and subqueries, never a query per row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from counseling.academic_year import academic_year_bounds
from counseling.access.activities import event_audience_q, may_manage_journal
from counseling.models import ArticleRead, Event, EventSignup, JournalArticle, JournalIssue
from portal import access, config
from portal.access import colleges_for, has_role, is_admin
from portal.models import ClassGroup, College, Role, Student, User

__all__ = [
    "CoverageRow",
    "coverage_by_class",
    "coverage_by_college",
    "coverage_colleges",
    "event_audience_students",
    "event_checkin_rows",
    "event_my_signup",
    "events_for_staff",
    "events_for_student",
    "journal_articles_with_reads",
    "journal_issues_for",
    "journal_new_issue_for",
]

SEATED = (EventSignup.Status.SIGNED_UP, EventSignup.Status.ATTENDED)


def _with_counts(qs: QuerySet[Event]) -> QuerySet[Event]:
    return qs.annotate(
        seated_count=Count("signups", filter=Q(signups__status__in=SEATED)),
        waitlist_count=Count("signups", filter=Q(signups__status=EventSignup.Status.WAITLISTED)),
        attended_count=Count("signups", filter=Q(signups__status=EventSignup.Status.ATTENDED)),
    )


# --- Events ---------------------------------------------------------------------------------------------


def events_for_student(student: Student, *, past: bool = False) -> QuerySet[Event]:
    """Events open to the student (audience) or signed up for, upcoming (or past), with seat counts and the
    student's own status as `my_status`. Three queries at most, whatever the number of events."""
    now = timezone.now()
    mine = EventSignup.objects.filter(event_id=OuterRef("pk"), student_id=student.pk)
    qs = Event.objects.filter(event_audience_q(student) | Q(Exists(mine)))
    qs = qs.filter(ends_at__lt=now).order_by("-starts_at") if past else qs.filter(ends_at__gte=now)
    return _with_counts(qs).annotate(my_status=Subquery(mine.values("status")[:1]))


def events_for_staff(user: User, *, past: bool = False) -> QuerySet[Event]:
    now = timezone.now()
    qs = access.visible(user, Event)
    qs = qs.filter(ends_at__lt=now).order_by("-starts_at") if past else qs.filter(ends_at__gte=now)
    return _with_counts(qs).select_related("created_by")


def event_my_signup(event: Event, student: Student | None) -> EventSignup | None:
    if student is None:
        return None
    return EventSignup.objects.filter(event=event, student=student).first()


def event_audience_students(event: Event) -> QuerySet[Student]:
    """Every student the event is for (walk-ins at the staff desk are looked up here)."""
    qs = Student.objects.filter(status=Student.Status.ENROLLED)
    if event.audience == Event.Audience.COLLEGES:
        return qs.filter(college__in=event.colleges.values("pk"))
    if event.audience == Event.Audience.YEARS:
        return qs.filter(enrolment_year__in=event.enrolment_years or [0])
    if event.audience == Event.Audience.INVITED:
        return qs.filter(pk__in=event.invited.values("pk"))
    return qs


def _search_q(query: str, prefix: str = "") -> Q:
    return Q(**{f"{prefix}name__icontains": query}) | Q(**{f"{prefix}student_no__startswith": query})


def event_checkin_rows(event: Event, *, query: str = "", walk_in_limit: int = 20) -> tuple[list[EventSignup], list]:
    """(sign-ups, walk-ins) for the staff check-in list: everyone with a place, waiting or checked in,
    searchable by name or 学号; with a search of two characters or more, also up to `walk_in_limit`
    students of the audience who did not sign up. Two queries."""
    query = query.strip()[:50]
    signups = event.signups.exclude(status=EventSignup.Status.CANCELLED).select_related(
        "student", "student__class_group"
    )
    if query:
        signups = signups.filter(_search_q(query, "student__"))
    rows = sorted(signups, key=lambda s: (s.status == EventSignup.Status.WAITLISTED, s.student.name))
    walk_ins: list[Student] = []
    if len(query) >= 2:
        taken = EventSignup.objects.filter(event=event, student_id=OuterRef("pk")).exclude(
            status=EventSignup.Status.CANCELLED
        )
        walk_ins = list(
            event_audience_students(event)
            .filter(_search_q(query))
            .exclude(Exists(taken))
            .select_related("class_group")
            .order_by("name")[:walk_in_limit]
        )
    return rows, walk_ins


# --- Coverage -------------------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    pk: int
    name: str
    students: int
    covered: int
    extra: dict = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.covered / self.students if self.students else 0.0

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f}%"


def coverage_colleges(user: User) -> QuerySet[College]:
    """The colleges whose coverage the user may see: the centre all, a station its own."""
    if has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user):
        return College.objects.all()
    return College.objects.filter(pk__in=colleges_for(user, Role.STATION_COUNSELLOR))


def _students_with_attendance(start: datetime, end: datetime) -> QuerySet[Student]:
    attended = EventSignup.objects.filter(
        student_id=OuterRef("pk"),
        status=EventSignup.Status.ATTENDED,
        event__starts_at__gte=start,
        event__starts_at__lt=end,
    )
    return Student.objects.filter(status=Student.Status.ENROLLED).annotate(has_attended=Exists(attended))


def coverage_by_college(user: User, *, year: int) -> list[CoverageRow]:
    """Per college in the user's scope: enrolled students and how many attended at least one event in the
    academic year starting in `year`. One query."""
    start, end = academic_year_bounds(year)
    colleges = {c.pk: c.name for c in coverage_colleges(user)}
    if not colleges:
        return []
    counts = (
        _students_with_attendance(start, end)
        .filter(college_id__in=colleges)
        .values("college_id")
        .annotate(students=Count("pk"), covered=Count("pk", filter=Q(has_attended=True)))
    )
    by_college = {row["college_id"]: row for row in counts}
    return [
        CoverageRow(pk, name, by_college.get(pk, {}).get("students", 0), by_college.get(pk, {}).get("covered", 0))
        for pk, name in sorted(colleges.items(), key=lambda item: item[1])
    ]


def coverage_by_class(user: User, *, year: int, college: College | None = None) -> list[CoverageRow]:
    """Per class, in the user's scope (or of one college in it): enrolled students and how many attended.
    Two queries (the classes, the counts), whatever the number of classes. `extra` holds the college."""
    start, end = academic_year_bounds(year)
    colleges = coverage_colleges(user)
    if college is not None:
        colleges = colleges.filter(pk=college.pk)
    college_ids = list(colleges.values_list("pk", flat=True))
    counts = {
        row["class_group_id"]: row
        for row in _students_with_attendance(start, end)
        .filter(college_id__in=college_ids)
        .values("class_group_id")
        .annotate(students=Count("pk"), covered=Count("pk", filter=Q(has_attended=True)))
    }
    classes = (
        ClassGroup.objects.filter(Q(college_id__in=college_ids) | Q(pk__in=list(counts)))
        .select_related("college")
        .order_by("college__name", "name")
    )
    return [
        CoverageRow(
            c.pk,
            c.name,
            counts.get(c.pk, {}).get("students", 0),
            counts.get(c.pk, {}).get("covered", 0),
            {"college": c.college.name, "major": c.major, "enrolment_year": c.enrolment_year},
        )
        for c in classes
    ]


# --- Journal --------------------------------------------------------------------------------------------


def journal_issues_for(user: User) -> QuerySet[JournalIssue]:
    """Published issues (drafts too for the journal's editors), newest first, with article counts."""
    return access.visible(user, JournalIssue).annotate(article_count=Count("articles")).order_by("-number")


def journal_articles_with_reads(issue: JournalIssue, user: User) -> QuerySet[JournalArticle]:
    """The issue's articles; for editors annotated with `read_count` (a number only, never who)."""
    qs = access.visible(user, JournalArticle).filter(issue=issue)
    if may_manage_journal(user):
        reads = (
            ArticleRead.objects.filter(article_id=OuterRef("pk"))
            .values("article_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = qs.annotate(read_count=Coalesce(Subquery(reads, output_field=IntegerField()), Value(0)))
    return qs.order_by("position", "id")


def journal_new_issue_for(user: User) -> JournalIssue | None:
    """The newest published issue if it came out within `counseling.journal_new_days` and the user has
    opened none of its articles: shown as "new" on the counselling home instead of 20,000 notifications.
    One query."""
    if not user.is_authenticated:
        return None
    since = timezone.now() - timedelta(days=int(config.get("counseling.journal_new_days")))
    read = ArticleRead.objects.filter(article__issue_id=OuterRef("pk"), reader_id=user.pk)
    return (
        JournalIssue.objects.filter(published_at__gte=since)
        .annotate(opened=Exists(read))
        .filter(opened=False)
        .order_by("-published_at")
        .first()
    )
