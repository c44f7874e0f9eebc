"""Reads of hidden aid (隐形资助).

Every read is scoped through portal.access (aid/access/hiddenaid.py): officers see all; station
counsellors and aid reviewers the candidates under review of their college; a student their own.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from aid.models import CanteenImport, HiddenAidBatch, HiddenAidCandidate
from portal import access
from portal.models import User

__all__ = [
    "hiddenaid_batch_summary",
    "hiddenaid_batches_for",
    "hiddenaid_candidates_for",
    "hiddenaid_months_with_data",
    "hiddenaid_own_subsidies",
    "hiddenaid_recent_imports",
]


def hiddenaid_batches_for(user: User) -> QuerySet[HiddenAidBatch]:
    """The batches the user may open, with the count and total of the included candidates the user may see."""
    scope = access.visibility_q(user, HiddenAidCandidate)
    if scope is None:
        return HiddenAidBatch.objects.none()
    included = Q(candidates__included=True)
    if scope:  # not everything: count only the candidates in the user's scope
        included &= Q(candidates__in=access.visible(user, HiddenAidCandidate))
    return (
        access.visible(user, HiddenAidBatch)
        .annotate(
            candidate_count=Count("candidates", filter=included),
            candidate_total=Sum("candidates__amount", filter=included),
        )
        .select_related("fund")
        .order_by("-month")
    )


def hiddenaid_candidates_for(user: User, batch: HiddenAidBatch, *, query: str = "") -> QuerySet[HiddenAidCandidate]:
    """The batch's candidates the user may see (included first), with the student's class and college."""
    qs = access.visible(user, HiddenAidCandidate).filter(batch=batch)
    if query:
        qs = qs.filter(Q(student__student_no__startswith=query) | Q(student__name__contains=query))
    # The reasons are encrypted and never shown in a list: not even decrypted here.
    return (
        qs.defer("change_reason")
        .select_related("student__class_group", "student__college", "changed_by")
        .order_by("-included", "student__college__name", "student__student_no")
    )


def hiddenaid_batch_summary(batch: HiddenAidBatch) -> dict[str, object]:
    """Counts and totals per status for the officer's batch page (one query)."""
    status = HiddenAidCandidate.Status
    return HiddenAidCandidate.objects.filter(batch=batch).aggregate(
        included_count=Count("pk", filter=Q(included=True)),
        removed_count=Count("pk", filter=Q(included=False)),
        total_amount=Sum("amount", filter=Q(included=True, status__in=[status.PROPOSED, status.PAID])),
        paid_count=Count("pk", filter=Q(status=status.PAID)),
        declined_count=Count("pk", filter=Q(status=status.DECLINED)),
        returned_count=Count("pk", filter=Q(status=status.RETURNED)),
    )


def hiddenaid_own_subsidies(user: User) -> QuerySet[HiddenAidCandidate]:
    """The student's own approved or paid subsidies: the only hidden-aid rows a student ever sees."""
    return (
        access.visible(user, HiddenAidCandidate, "own")
        .filter(student__user_id=user.pk)
        .select_related("batch")
        .order_by("-batch__month")
    )


def hiddenaid_recent_imports(user: User, *, limit: int = 12) -> QuerySet[CanteenImport]:
    return access.visible(user, CanteenImport).select_related("imported_by").order_by("-imported_at")[:limit]


def hiddenaid_months_with_data(user: User) -> list:
    """Months that have canteen data, newest first (the choices for evaluating a batch)."""
    return list(access.visible(user, CanteenImport).order_by("-month").values_list("month", flat=True).distinct())
