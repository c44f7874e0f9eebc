"""Access rules for counselling, registered with portal.access (the one place that decides).

- Cases, their reports and timelines: the centre sees all; a station sees its college's cases
  (and, for the centre only, unmatched reports that have no college yet); an assessment group member
  sees the cases assigned to them. Everything here is sensitive: every open is audited.
- Care files: centre counsellors and the student's own college station only — never the student,
  aid staff, assessors or student roles.
- Reporters never get case access: they see the status of their own reports through selectors that
  return status only.
"""

from __future__ import annotations

from django.db.models import Q

from counseling.models import (
    Assessment,
    Case,
    HeldReport,
    InterventionAction,
    Level,
    Report,
    ReportHold,
    ZeroReport,
)
from portal import access
from portal.access import (
    EVERYTHING,
    classes_for,
    colleges_for,
    has_role,
    is_admin,
    mark_sensitive,
    permission_rule,
    visibility_rule,
)
from portal.models import Role, Student, User

STAFF_ROLES = (Role.CENTRE_COUNSELLOR, Role.STATION_COUNSELLOR, Role.ASSESSOR)

for _model in (Case, Report, Assessment, InterventionAction, ReportHold, HeldReport):
    mark_sensitive(_model)


def may_use_counseling(user: User) -> bool:
    return user.is_authenticated


def is_counselling_staff(user: User) -> bool:
    return has_role(user, *STAFF_ROLES) or is_admin(user)


def may_triage(user: User) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR, Role.STATION_COUNSELLOR) or is_admin(user)


def is_assessor_only(user: User) -> bool:
    """Assessment group members who do not triage: their way in is "my cases"."""
    return has_role(user, Role.ASSESSOR) and not may_triage(user)


def may_see_centre_dashboard(user: User) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user)


def may_file_zero_report(user: User) -> bool:
    return has_role(user, Role.CLASS_COMMITTEE)


# --- Cases -----------------------------------------------------------------------------------------


@visibility_rule(Case)
def _cases_visible(user: User, action: str) -> Q | None:
    """Archived cases (counseling.retention) are seen by nobody but admins."""
    live = Q(archived_at__isnull=True)
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return live
    q = None
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    if colleges:
        q = Q(college_id__in=colleges)
    if has_role(user, Role.ASSESSOR):
        mine = Q(assessors=user)
        q = mine if q is None else q | mine
    return None if q is None else q & live


def _is_station_of(user: User, case: Case) -> bool:
    return case.college_id is not None and case.college_id in colleges_for(user, Role.STATION_COUNSELLOR)


def _is_assigned_assessor(user: User, case: Case) -> bool:
    return has_role(user, Role.ASSESSOR) and case.assessors.filter(pk=user.pk).exists()


@permission_rule(
    Case,
    "triage",
    "acknowledge",
    "set_level",
    "assign_owner",
    "touchpoint",
    "ask_reporter",
    "assign_assessors",
    "transition",
)
def _case_triagers(user: User, case: Case) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or _is_station_of(user, case)


@permission_rule(Case, "note", "assess", "add_action")
def _case_workers(user: User, case: Case) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or _is_station_of(user, case) or _is_assigned_assessor(user, case)


@permission_rule(Case, "match_student")
def _case_matchers(user: User, case: Case) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR)


@Case.flow.rule
def may_transition(user: User, case: Case, to_status: str) -> bool:
    """Who may move a case where (the rule of every move of Case.flow). Assigned assessors move assessed cases
    on; closing (or reopening) a level 3–4 case is for the centre; everything else for the station and the centre."""
    if is_admin(user):
        return True
    centre = has_role(user, Role.CENTRE_COUNSELLOR)
    station = _is_station_of(user, case)
    if to_status == Case.Status.CLOSED or case.status == Case.Status.CLOSED:
        return centre or (station and case.level < Level.HIGH)
    if centre or station:
        return True
    return (
        case.status in (Case.Status.ASSESSING, Case.Status.INTERVENING, Case.Status.MONITORING)
        and to_status in (Case.Status.INTERVENING, Case.Status.MONITORING)
        and _is_assigned_assessor(user, case)
    )


# --- Held bursts of anonymous reports (counseling.services.holds) --------------------------------------
# The centre alone: a held report is not yet routed to any station, and may be about anyone.


def may_review_holds(user: User) -> bool:
    return has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user)


@visibility_rule(ReportHold)
def _holds_visible(user: User, action: str) -> Q | None:
    return EVERYTHING if has_role(user, Role.CENTRE_COUNSELLOR) else None


@visibility_rule(HeldReport)
def _held_reports_visible(user: User, action: str) -> Q | None:
    return EVERYTHING if has_role(user, Role.CENTRE_COUNSELLOR) else None


# --- Reports (the narratives) follow their case ----------------------------------------------------


@visibility_rule(Report)
def _reports_visible(user: User, action: str) -> Q | None:
    case_q = access.visibility_q(user, Case)
    if case_q is None:
        return None
    if not case_q:
        return EVERYTHING
    return Q(case__in=access.visible(user, Case).values("pk"))


@visibility_rule(Assessment)
def _assessments_visible(user: User, action: str) -> Q | None:
    return _reports_visible(user, action)


@visibility_rule(InterventionAction)
def _actions_visible(user: User, action: str) -> Q | None:
    return _reports_visible(user, action)


@permission_rule(InterventionAction, "complete")
def _action_completers(user: User, action: InterventionAction) -> bool:
    return action.owner_id == user.pk or access.can(user, "add_action", action.case)


# --- Care files ------------------------------------------------------------------------------------


def care_file_students_q(user: User) -> Q | None:
    """Students whose care e-file the user may open: centre all, a station its college."""
    if has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user):
        return EVERYTHING
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    return Q(college_id__in=colleges) if colleges else None


def care_file_students(user: User):
    q = care_file_students_q(user)
    if q is None:
        return Student.objects.none()
    return Student.objects.filter(q) if q else Student.objects.all()


def may_override_care_level(user: User, student: Student) -> bool:
    q = care_file_students_q(user)
    return q is not None and (not q or student.college_id in colleges_for(user, Role.STATION_COUNSELLOR))


# --- Zero reports ------------------------------------------------------------------------------------


@visibility_rule(ZeroReport)
def _zero_reports_visible(user: User, action: str) -> Q | None:
    if has_role(user, Role.CENTRE_COUNSELLOR):
        return EVERYTHING
    q = None
    colleges = colleges_for(user, Role.STATION_COUNSELLOR)
    if colleges:
        q = Q(class_group__college_id__in=colleges)
    classes = classes_for(user, Role.CLASS_COMMITTEE)
    if classes:
        mine = Q(class_group_id__in=classes)
        q = mine if q is None else q | mine
    return q
