"""Reads of the shared core, scoped to the user through portal.access."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal import access
from portal.kernel.pagecache import cached, forget
from portal.models import ClassGroup, College, Notification, RoleAssignment, Student, User


def students_for_list(
    user: User, *, query: str = "", college_id: int | None = None, class_group_id: int | None = None
) -> QuerySet[Student]:
    qs = access.visible(user, Student).select_related("college", "class_group", "room")
    if query:
        query = query.strip()
        qs = qs.filter(Q(student_no__startswith=query) | Q(name__icontains=query))
    if college_id:
        qs = qs.filter(college_id=college_id)
    if class_group_id:
        qs = qs.filter(class_group_id=class_group_id)
    return qs.order_by("student_no")


def colleges_for_filter(user: User) -> QuerySet[College]:
    ids = access.visible(user, Student).values("college_id")
    return College.objects.filter(pk__in=ids).order_by("code")


def classes_for_filter(user: User, *, college_id: int | None = None) -> QuerySet[ClassGroup]:
    ids = access.visible(user, Student).values("class_group_id")
    qs = ClassGroup.objects.filter(pk__in=ids)
    if college_id:
        qs = qs.filter(college_id=college_id)
    return qs.order_by("name")


def student_detail(user: User, pk: int) -> Student:
    """The student profile (a sensitive read: audited by access.get_for_user)."""
    qs = Student.objects.select_related("college", "class_group", "room", "user").prefetch_related("guardians")
    return access.get_for_user(user, qs, pk=pk)


# The bell's count is on every page: cached per user for UNREAD_CACHE_SECONDS. Marking notifications read
# (portal.services) and creating one with .create()/.save() (the Notification post_save signal) drop the entry,
# so the reader's own actions show at once; notifications made in bulk (bulk_create) show within the TTL.
UNREAD_CACHE_SECONDS = 60


def unread_cache_key(user_id: int) -> str:
    return f"unread:v1:{user_id}"


def unread_notification_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return cached(
        unread_cache_key(user.pk),
        lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        UNREAD_CACHE_SECONDS,
    )


def forget_unread_count(user_id: int) -> None:
    forget(unread_cache_key(user_id))


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def role_holders(*roles: str, college_id: int | None = None, lead: bool | None = None) -> list[User]:
    """Active users who hold one of `roles` today, optionally in one college and/or as its lead."""
    assignments = RoleAssignment.objects.current().filter(role__in=roles, user__is_active=True)
    if college_id is not None:
        assignments = assignments.filter(college_id=college_id)
    if lead is not None:
        assignments = assignments.filter(is_lead=lead)
    return list(User.objects.filter(pk__in=assignments.values("user_id")).order_by("pk"))
