"""Access rules of hidden aid (隐形资助), registered with portal.access when this module is imported.

No page lists recipients except to aid officers. Station counsellors and aid reviewers see the
*candidates under review* of their own college (to add or remove names with a reason): a list that is
not yet a decision and that they help make. Once the batch is approved it is a list of recipients and
disappears from their view (404). A student sees only their own subsidy, and only once approved.
Canteen data, and every figure drawn from it (meals, spend, thresholds, amounts: may_see_canteen_figures), is
seen by aid officers only. Every read of a candidate through get_for_user is audited.
"""

from __future__ import annotations

from django.db.models import Q

from aid.access.core import is_aid_officer
from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate
from portal.access import EVERYTHING, colleges_for, mark_sensitive, permission_rule, visibility_rule
from portal.models import Role, Student, User

__all__ = [
    "hiddenaid_colleges",
    "hiddenaid_may_change_student",
    "may_manage_hidden_aid",
    "may_review_hidden_aid",
    "may_see_canteen_figures",
]

HIDDEN_AID_COLLEGE_ROLES = (Role.STATION_COUNSELLOR, Role.AID_REVIEWER)

mark_sensitive(HiddenAidCandidate)


def hiddenaid_colleges(user: User) -> set[int] | None:
    """Colleges whose candidates under review the user works on; None: the whole school (officers, admins)."""
    if is_aid_officer(user):
        return None
    return colleges_for(user, *HIDDEN_AID_COLLEGE_ROLES)


def may_manage_hidden_aid(user: User) -> bool:
    """Import canteen data, evaluate, approve, pay, see recipients: aid officers and admins."""
    return is_aid_officer(user)


def may_see_canteen_figures(user: User) -> bool:
    """Meal counts, canteen spend, the rule's thresholds and the subsidy amounts: aid officers and admins only.

    Station counsellors and aid reviewers of a college see the candidates' names and may add or remove them
    with a reason, but a student's canteen figures are family finances, which counselling staff never see;
    and an amount or threshold gives the spend away (a top-up is the threshold minus the spend). Pages,
    partials and messages of hidden aid show a figure only when this is true.
    """
    return is_aid_officer(user)


def may_review_hidden_aid(user: User) -> bool:
    """The staff side at all: officers, and station counsellors and aid reviewers of some college."""
    colleges = hiddenaid_colleges(user)
    return user.is_authenticated and (colleges is None or bool(colleges))


def hiddenaid_may_change_student(user: User, student: Student) -> bool:
    """May the user add this student to (or remove them from) a batch under review?"""
    colleges = hiddenaid_colleges(user)
    return colleges is None or student.college_id in colleges


@visibility_rule(CanteenImport)
def _canteen_imports_visible(user: User, action: str) -> Q | None:
    return EVERYTHING if is_aid_officer(user) else None


@visibility_rule(CanteenRecord)
def _canteen_records_visible(user: User, action: str) -> Q | None:
    return EVERYTHING if is_aid_officer(user) else None


@visibility_rule(HiddenAidBatch)
def _hiddenaid_batches_visible(user: User, action: str) -> Q | None:
    colleges = hiddenaid_colleges(user)
    if colleges is None:
        return EVERYTHING
    return Q(status=HiddenAidBatch.Status.DRAFT) if colleges else None


@visibility_rule(HiddenAidCandidate)
def _hiddenaid_candidates_visible(user: User, action: str) -> Q | None:
    """action "own": the student's own approved or paid subsidies (the only view a student has)."""
    if action == "own":
        return Q(
            student__user_id=user.pk,
            included=True,
            batch__status__in=[HiddenAidBatch.Status.APPROVED, HiddenAidBatch.Status.PAID],
        )
    colleges = hiddenaid_colleges(user)
    if colleges is None:
        return EVERYTHING
    if colleges:
        return Q(batch__status=HiddenAidBatch.Status.DRAFT, student__college_id__in=colleges)
    return None


@permission_rule(HiddenAidBatch, "hiddenaid_change")
def _hiddenaid_batch_changers(user: User, batch: HiddenAidBatch) -> bool:
    return batch.status == HiddenAidBatch.Status.DRAFT and may_review_hidden_aid(user)


@permission_rule(HiddenAidCandidate, "hiddenaid_change")
def _hiddenaid_candidate_changers(user: User, candidate: HiddenAidCandidate) -> bool:
    return candidate.batch.status == HiddenAidBatch.Status.DRAFT and hiddenaid_may_change_student(
        user, candidate.student
    )


@permission_rule(HiddenAidBatch, "hiddenaid_approve", "hiddenaid_pay", "hiddenaid_evaluate")
def _hiddenaid_batch_deciders(user: User, batch: HiddenAidBatch) -> bool:
    return is_aid_officer(user)


@permission_rule(HiddenAidCandidate, "hiddenaid_respond")
def _hiddenaid_candidate_owner(user: User, candidate: HiddenAidCandidate) -> bool:
    return candidate.student.user_id == user.pk
