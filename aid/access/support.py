"""Access rules of the support area, registered with portal.access.

Five-aid cases (五助帮扶档案):
- aid officers (whole school), the aid reviewer of the student's college, admins. Opening one is audited.
- the student sees their own case only through the "summary" action (the gentle "your support plan"
  page), never the staff page: `visible(user, FiveAidCase)` gives a student nothing.
- counselling staff and student roles (dorm liaisons, class committee members) see nothing.
- aid staff learn of the psychological aid only referred / engaged / declined (see the services).

Work-study (勤工助学):
- posts: open posts are visible to students (to apply); supervisors see their posts; aid staff all.
- placements and timesheets: the student their own; a post's supervisor that post's; the aid reviewer
  their college's; aid officers all.
- only the post's supervisor signs a timesheet off or returns it (not even an admin: the signature
  says "I saw this work done").
"""

from __future__ import annotations

from django.db.models import Q

from aid.access.core import aid_colleges, is_aid_officer
from aid.models import FiveAidCase, Timesheet, WorkStudyPlacement, WorkStudyPost
from portal.access import EVERYTHING, has_role, mark_sensitive, permission_rule, visibility_rule
from portal.models import Role, Student, User

__all__ = [
    "fiveaid_in_scope",
    "is_workstudy_supervisor",
    "may_manage_fiveaid",
    "may_manage_workstudy_posts",
    "may_open_fiveaid_cases",
    "may_see_aid_dashboard",
    "may_sign_off_timesheet",
    "may_use_workstudy",
    "workstudy_student_of",
]

mark_sensitive(FiveAidCase)

# --- Five-aid -----------------------------------------------------------------------------------------


def fiveaid_in_scope(user: User, college_id: int | None) -> bool:
    """Aid officers and admins: every college; aid reviewers: their colleges; everyone else: none."""
    colleges = aid_colleges(user)
    return colleges is None or (college_id is not None and college_id in colleges)


def may_manage_fiveaid(user: User) -> bool:
    """The staff side of five-aid cases: aid officers, aid reviewers (of some college), admins."""
    colleges = aid_colleges(user)
    return user.is_authenticated and (colleges is None or bool(colleges))


def may_open_fiveaid_cases(user: User) -> bool:
    """Opening the cases of all identified students of the year is a school-wide action: aid officers."""
    return is_aid_officer(user)


def may_see_aid_dashboard(user: User) -> bool:
    return may_manage_fiveaid(user)


@visibility_rule(FiveAidCase)
def _fiveaid_cases_visible(user: User, action: str) -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(student__college_id__in=colleges) if colleges else None
    if action == "summary":
        own = Q(student__user_id=user.pk)
        q = own if q is None else q | own
    return q


@permission_rule(FiveAidCase, "edit", "refer")
def _fiveaid_case_editors(user: User, case: FiveAidCase) -> bool:
    return fiveaid_in_scope(user, case.student.college_id)


# --- Work-study ---------------------------------------------------------------------------------------


def workstudy_student_of(user: User) -> Student | None:
    """The user's student record, or None (cached on the user for the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_workstudy_student"):
        user._workstudy_student = Student.objects.filter(user_id=user.pk).first()
    return user._workstudy_student


def is_workstudy_supervisor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_workstudy_supervisor"):
        user._workstudy_supervisor = WorkStudyPost.objects.filter(supervisor_id=user.pk).exists()
    return user._workstudy_supervisor


def may_manage_workstudy_posts(user: User) -> bool:
    return is_aid_officer(user)


def may_use_workstudy(user: User) -> bool:
    """Students (to apply), supervisors (to place and sign off) and aid staff."""
    return (
        may_manage_fiveaid(user)
        or is_workstudy_supervisor(user)
        or (has_role(user, Role.STUDENT) and workstudy_student_of(user) is not None)
    )


@visibility_rule(WorkStudyPost)
def _posts_visible(user: User, action: str) -> Q | None:
    if may_manage_fiveaid(user):
        return EVERYTHING
    q = Q(supervisor_id=user.pk)
    if has_role(user, Role.STUDENT):
        q |= Q(active=True)
    return q


@permission_rule(WorkStudyPost, "edit")
def _post_editors(user: User, post: WorkStudyPost) -> bool:
    return is_aid_officer(user)


@permission_rule(WorkStudyPost, "apply")
def _post_applicants(user: User, post: WorkStudyPost) -> bool:
    return post.active and has_role(user, Role.STUDENT) and workstudy_student_of(user) is not None


def _placement_q(user: User, prefix: str = "") -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(**{f"{prefix}student__user_id": user.pk}) | Q(**{f"{prefix}post__supervisor_id": user.pk})
    if colleges:
        q |= Q(**{f"{prefix}student__college_id__in": colleges})
    return q


@visibility_rule(WorkStudyPlacement)
def _placements_visible(user: User, action: str) -> Q | None:
    return _placement_q(user)


@visibility_rule(Timesheet)
def _timesheets_visible(user: User, action: str) -> Q | None:
    return _placement_q(user, "placement__")


@permission_rule(WorkStudyPlacement, "decide")
def _placement_deciders(user: User, placement: WorkStudyPlacement) -> bool:
    """Place, turn down or end a placement: aid officers and the post's supervisor."""
    return is_aid_officer(user) or placement.post.supervisor_id == user.pk


@permission_rule(WorkStudyPlacement, "withdraw", "enter_hours")
def _placement_owner(user: User, placement: WorkStudyPlacement) -> bool:
    return placement.student.user_id == user.pk


@permission_rule(Timesheet, "edit")
def _timesheet_owner(user: User, timesheet: Timesheet) -> bool:
    return timesheet.placement.student.user_id == user.pk


def may_sign_off_timesheet(user: User, timesheet: Timesheet) -> bool:
    """Only the post's supervisor: deliberately not a permission rule, which admins would pass."""
    return user.is_authenticated and timesheet.placement.post.supervisor_id == user.pk


# --- Hidden aid (隐形资助) -------------------------------------------------------------------------------
# No page lists recipients except to aid officers. Station counsellors and aid reviewers see the
# *candidates under review* of their own college (to add or remove names with a reason): a list that is
# not yet a decision and that they help make. Once the batch is approved it is a list of recipients and
# disappears from their view (404). A student sees only their own subsidy, and only once approved.
# Canteen data, and every figure drawn from it (meals, spend, thresholds, amounts: may_see_canteen_figures), is
# seen by aid officers only. Every read of a candidate through get_for_user is audited.

from aid.models import CanteenImport, CanteenRecord, HiddenAidBatch, HiddenAidCandidate  # noqa: E402
from portal.access import colleges_for as _colleges_for  # noqa: E402

__all__ += [
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
    return _colleges_for(user, *HIDDEN_AID_COLLEGE_ROLES)


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
