"""Reads of visit records, drafts, photos and follow-ups, scoped to the user through portal.access."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from homevisits.models import FollowUp, TripStudent, VisitDraft, VisitRecord
from portal import access
from portal.models import User

__all__ = [
    "draft_data",
    "draft_for",
    "follow_ups_owned_by",
    "record_for_trip_student",
    "records_visible_to",
    "trip_student_for",
]


def trip_student_for(user: User, pk: int) -> TripStudent:
    """A planned student of a trip the user may see, or 404 (TripStudent's visibility rule, homevisits/access.py)."""
    try:
        return (
            access.visible(user, TripStudent)
            .select_related("trip", "trip__leader", "student", "student__college", "stop")
            .get(pk=pk)
        )
    except (TripStudent.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def records_visible_to(user: User) -> QuerySet[VisitRecord]:
    return access.visible(user, VisitRecord).select_related("trip", "student")


def record_for_trip_student(trip_student: TripStudent) -> VisitRecord | None:
    return VisitRecord.objects.filter(trip_id=trip_student.trip_id, student_id=trip_student.student_id).first()


def draft_for(user: User, trip_student: TripStudent) -> VisitDraft | None:
    """The user's own draft: nobody else's draft is ever read, admins included."""
    return VisitDraft.objects.filter(trip_student=trip_student, author=user).first()


def draft_data(draft: VisitDraft | None) -> dict[str, Any]:
    if draft is None:
        return {}
    try:
        data = json.loads(draft.data)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def follow_ups_owned_by(user: User, *, include_done: bool = False) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(owner=user).select_related("record__student", "record__trip", "created_by")
    if not include_done:
        qs = qs.filter(status=FollowUp.Status.OPEN)
    return qs.order_by("status", "due_on", "pk")
