"""Reads of postvention, scoped through portal.access.

Two kinds of reader, kept apart on purpose: the centre and the station read plans (`plans_for_progress`,
`plan_detail`, `plan_contacts`), which name the index student; a check-in's assignee reads `my_checkins`, which
selects the contact and the check-in only — never the plan's student, case or incident — so no page or partial
built from it can name the index student.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from counseling.models import CheckIn, PostventionContact, PostventionPlan
from portal import access
from portal.models import Role, RoleAssignment, Student, User

__all__ = [
    "checkin_candidates",
    "contact_suggestions",
    "my_checkins",
    "plan_contacts",
    "plan_detail",
    "plans_for_progress",
]


def plans_for_progress(user: User, *, status: str = "open") -> QuerySet[PostventionPlan]:
    """The plans the user may follow, with their progress counted in SQL (a fixed number of queries)."""
    today = timezone.localdate()
    qs = access.visible(user, PostventionPlan).select_related("student", "incident", "case", "college")
    if status in PostventionPlan.Status.values:
        qs = qs.filter(status=status)
    return qs.annotate(
        n_contacts=Count("contacts", distinct=True),
        n_checkins=Count("contacts__checkins", distinct=True),
        n_done=Count("contacts__checkins", filter=Q(contacts__checkins__status=CheckIn.Status.DONE), distinct=True),
        n_worried=Count(
            "contacts__checkins", filter=Q(contacts__checkins__outcome=CheckIn.Outcome.WORRIED), distinct=True
        ),
        n_overdue=Count(
            "contacts__checkins",
            filter=Q(contacts__checkins__status=CheckIn.Status.PENDING, contacts__checkins__due_on__lt=today),
            distinct=True,
        ),
    ).order_by("-opened_at", "-pk")


def plan_detail(user: User, pk: int) -> PostventionPlan:
    """The plan, opened through the access layer: 404 outside the user's scope; the read is audited."""
    qs = PostventionPlan.objects.select_related(
        "student", "student__class_group", "student__room", "case", "incident", "college", "opened_by"
    )
    return access.get_for_user(user, qs, pk=pk)


def plan_contacts(plan: PostventionPlan) -> QuerySet[PostventionContact]:
    checkins = CheckIn.objects.select_related("assignee", "report").order_by("due_on", "pk")
    return (
        plan.contacts.select_related("student", "student__class_group", "student__room")
        .prefetch_related(Prefetch("checkins", queryset=checkins))
        .order_by("relation", "pk")
    )


def my_checkins(user: User, *, done: bool = False) -> QuerySet[CheckIn]:
    """The user's own check-ins on open plans. Selects the contact (the person to check) and nothing of the plan:
    a template given these rows cannot reach the index student, the case or the incident without a query the
    page's budget test would see, and `only()` keeps the plan's columns out of the rows."""
    status = CheckIn.Status.DONE if done else CheckIn.Status.PENDING
    return (
        CheckIn.objects.filter(assignee=user, status=status, contact__plan__status=PostventionPlan.Status.OPEN)
        .select_related("contact", "contact__student", "contact__student__class_group", "contact__student__room")
        .only(
            "due_on",
            "status",
            "outcome",
            "note",
            "done_at",
            "assignee_id",
            "contact",
            "contact__name_given",
            "contact__student",
            "contact__student__name",
            "contact__student__class_group",
            "contact__student__class_group__name",
            "contact__student__room",
            "contact__student__room__building",
            "contact__student__room__room",
        )
        .order_by("due_on", "pk")
    )


def checkin_candidates(plan: PostventionPlan) -> QuerySet[User]:
    """Who may be asked to do a check-in of this plan: centre counsellors, the station of the plan's college,
    the class committee members of the classes and the dorm liaisons of the rooms of the index student and the
    students on the plan. Never the index student."""
    student_ids = [*plan.contacts.filter(student__isnull=False).values_list("student_id", flat=True)]
    if plan.student_id:
        student_ids.append(plan.student_id)
    people = Student.objects.filter(pk__in=student_ids)
    classes = people.values("class_group_id")
    rooms = people.filter(room__isnull=False).values("room_id")
    q = Q(role=Role.CENTRE_COUNSELLOR) | Q(role=Role.CLASS_COMMITTEE, class_group_id__in=classes)
    q |= Q(role=Role.DORM_LIAISON, rooms__in=rooms)
    if plan.college_id:
        q |= Q(role=Role.STATION_COUNSELLOR, college_id=plan.college_id)
    holders = RoleAssignment.objects.current().filter(q).values("user_id")
    users = User.objects.filter(pk__in=holders, is_active=True)
    if plan.student_id:
        users = users.exclude(student__pk=plan.student_id)
    return users.order_by("full_name", "username")


@dataclass(frozen=True)
class Suggestion:
    student: Student
    relation: str


def contact_suggestions(plan: PostventionPlan) -> list[Suggestion]:
    """The people around the index student not yet on the plan: the dorm liaisons of the room, the class
    committee members, roommates, then classmates (enrolled students only)."""
    index = plan.student
    if index is None:
        return []
    taken = set(plan.contacts.filter(student__isnull=False).values_list("student_id", flat=True)) | {index.pk}
    enrolled = Student.objects.filter(status=Student.Status.ENROLLED).exclude(pk__in=taken)
    today = timezone.localdate()
    found: dict[int, Suggestion] = {}

    def add(students: QuerySet[Student], relation: str) -> None:
        for student in students.select_related("class_group").order_by("student_no"):
            found.setdefault(student.pk, Suggestion(student, relation))

    if index.room_id:
        liaisons = RoleAssignment.objects.current(today).filter(role=Role.DORM_LIAISON, rooms=index.room_id)
        add(enrolled.filter(user_id__in=liaisons.values("user_id")), PostventionContact.Relation.LIAISON)
    committee = RoleAssignment.objects.current(today).filter(
        role=Role.CLASS_COMMITTEE, class_group_id=index.class_group_id
    )
    add(enrolled.filter(user_id__in=committee.values("user_id")), PostventionContact.Relation.COMMITTEE)
    if index.room_id:
        add(enrolled.filter(room_id=index.room_id), PostventionContact.Relation.ROOMMATE)
    add(enrolled.filter(class_group_id=index.class_group_id), PostventionContact.Relation.CLASSMATE)
    return list(found.values())
