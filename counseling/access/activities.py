"""Access rules for events, the coverage report and the e-journal, registered with portal.access.

- Events: the centre sees and manages all; a station sees events for everyone, for chosen years and for
  its own college, and manages those it created or whose audience lies inside its college. A student sees
  the events open to them (audience rules) and those they signed up for; nobody else sees any.
- Coverage: the centre for every college, a station for its own.
- Journal: published issues, their articles and images are for every signed-in user; drafts only for the
  centre (who writes the journal) and admins.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from counseling.models import Event, EventSignup, JournalArticle, JournalImage, JournalIssue
from portal.access import EVERYTHING, colleges_for, has_role, is_admin, permission_rule, visibility_rule
from portal.models import Role, Student, User

__all__ = [
    "event_audience_q",
    "may_manage_events",
    "may_manage_journal",
    "may_see_coverage",
    "student_of",
]

EVENT_MANAGERS = (Role.CENTRE_COUNSELLOR, Role.STATION_COUNSELLOR)


def student_of(user: User) -> Student | None:
    """The user's own student record (students, dorm liaisons, committee members), cached per request."""
    if not user.is_authenticated:
        return None
    if "_nuanxin_student" not in user.__dict__:
        user.__dict__["_nuanxin_student"] = Student.objects.filter(user=user).select_related("college").first()
    return user.__dict__["_nuanxin_student"]


def may_manage_events(user: User) -> bool:
    return has_role(user, *EVENT_MANAGERS) or is_admin(user)


def may_see_coverage(user: User) -> bool:
    return may_manage_events(user)


def may_manage_journal(user: User) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user)


# --- Events ---------------------------------------------------------------------------------------------


def _events_for_year(year: int) -> list[int]:
    """Ids of the events for an enrolment year. Read in Python rather than with a JSON `contains` lookup,
    which SQLite (the demo's database) lacks; there are a few dozen such events a year."""
    rows = Event.objects.filter(audience=Event.Audience.YEARS).values_list("pk", "enrolment_years")
    return [pk for pk, years in rows if year in (years or [])]


def event_audience_q(student: Student) -> Q:
    """Events whose audience includes this student. Exists() rather than joins: no duplicate rows."""
    through_colleges = Event.colleges.through.objects.filter(event_id=OuterRef("pk"), college_id=student.college_id)
    through_invited = Event.invited.through.objects.filter(event_id=OuterRef("pk"), student_id=student.pk)
    return (
        Q(audience=Event.Audience.ALL)
        | (Q(audience=Event.Audience.COLLEGES) & Q(Exists(through_colleges)))
        | Q(pk__in=_events_for_year(student.enrolment_year))
        | (Q(audience=Event.Audience.INVITED) & Q(Exists(through_invited)))
    )


@visibility_rule(Event)
def _events_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    q: Q | None = None
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    if colleges:
        in_college = Event.colleges.through.objects.filter(event_id=OuterRef("pk"), college_id__in=colleges)
        q = (
            Q(created_by=user)
            | Q(audience__in=(Event.Audience.ALL, Event.Audience.YEARS))
            | (Q(audience=Event.Audience.COLLEGES) & Q(Exists(in_college)))
        )
    student = student_of(user)
    if student is not None:
        mine = EventSignup.objects.filter(event_id=OuterRef("pk"), student_id=student.pk)
        sq = event_audience_q(student) | Q(Exists(mine))
        q = sq if q is None else q | sq
    return q


@permission_rule(Event, "manage", "check_in")
def _event_managers(user: User, event: Event) -> bool:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return True
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    if not colleges:
        return False
    if event.created_by_id == user.pk:
        return True
    if event.audience == Event.Audience.COLLEGES:
        event_colleges = {c.pk for c in event.colleges.all()}
        return bool(event_colleges) and event_colleges <= colleges
    return False


@permission_rule(Event, "sign_up", "check_in_by_code")
def _event_participants(user: User, event: Event) -> bool:
    """Students only; the audience itself is checked by `visible` (404 outside it)."""
    return student_of(user) is not None


# --- Journal --------------------------------------------------------------------------------------------


@visibility_rule(JournalIssue)
def _issues_visible(user: User, action: str) -> Q | None:
    if may_manage_journal(user):
        return EVERYTHING
    return Q(published_at__isnull=False)


@visibility_rule(JournalArticle)
def _articles_visible(user: User, action: str) -> Q | None:
    if may_manage_journal(user):
        return EVERYTHING
    return Q(issue__published_at__isnull=False)


@visibility_rule(JournalImage)
def _images_visible(user: User, action: str) -> Q | None:
    return _articles_visible(user, action)


@permission_rule(JournalIssue, "edit")
def _issue_editors(user: User, issue: JournalIssue) -> bool:
    return may_manage_journal(user)


@permission_rule(JournalArticle, "edit")
def _article_editors(user: User, article: JournalArticle) -> bool:
    return may_manage_journal(user)
