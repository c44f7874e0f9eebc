"""Reads of the crisis network, scoped through portal.access. List reads never touch narratives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from counseling import access as counseling_access
from counseling.models import (
    Assessment,
    CareLevelOverride,
    Case,
    CaseEvent,
    InterventionAction,
    Report,
    ReporterQuestion,
    ZeroReport,
)
from counseling.services import month_start, receipt_hash
from portal import access
from portal.models import ClassGroup, College, Role, RoleAssignment, Student, User

# --- Triage queue ---------------------------------------------------------------------------------


def triage_queue(
    user: User,
    *,
    level: int | None = None,
    status: str | None = None,
    overdue: bool = False,
    query: str = "",
) -> QuerySet[Case]:
    """Open cases by default (status="all" for every case), most serious and oldest first.

    Search is on the student's name or 学号 only, never on the narrative.
    """
    now = timezone.now()
    qs = access.visible(user, Case).select_related("student", "student__class_group", "college", "owner")
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=Case.OPEN_STATUSES)
    if level:
        qs = qs.filter(level=level)
    if overdue:
        qs = qs.filter(
            Q(status=Case.Status.NEW, ack_due_at__lt=now)
            | Q(status__in=Case.OPEN_STATUSES, next_touchpoint__lt=timezone.localdate())
        )
    if query:
        query = query.strip()
        qs = qs.filter(Q(student__student_no__startswith=query) | Q(student__name__icontains=query))
    return qs.annotate(report_count=Count("reports", distinct=True)).order_by("-level", "created_at", "pk")


def case_detail(user: User, pk: int) -> Case:
    """The case with everything its page shows, opened through the access layer (audited)."""
    qs = Case.objects.select_related("student", "student__class_group", "student__room", "college", "owner")
    return access.get_for_user(user, qs, pk=pk)


def case_reports(case: Case) -> QuerySet[Report]:
    return (
        case.reports.select_related("reporter")
        .prefetch_related(Prefetch("questions", queryset=ReporterQuestion.objects.select_related("asked_by")))
        .order_by("created_at")
    )


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")


def case_assessments(case: Case) -> QuerySet[Assessment]:
    return case.assessments.select_related("assessor").order_by("-created_at")


def case_actions(case: Case) -> QuerySet[InterventionAction]:
    return case.actions.select_related("owner").order_by("status", "due_date", "id")


def my_assigned_cases(user: User) -> QuerySet[Case]:
    return (
        Case.objects.filter(Q(assessors=user) | Q(owner=user), status__in=Case.OPEN_STATUSES)
        .select_related("student", "college")
        .distinct()
        .order_by("-level", "created_at")
    )


def my_open_actions(user: User) -> QuerySet[InterventionAction]:
    return (
        InterventionAction.objects.filter(owner=user, status=InterventionAction.Status.OPEN)
        .select_related("case", "case__student")
        .order_by("due_date")
    )


# --- What reporters see: status only ----------------------------------------------------------------


@dataclass(frozen=True)
class ReporterView:
    """Everything a reporter may know about their report: never level, owner or clinical detail."""

    report: Report
    status: str  # received / handling / closed
    questions: list[ReporterQuestion]


def _reporter_view(report: Report) -> ReporterView:
    return ReporterView(report=report, status=report.case.reporter_status(), questions=list(report.questions.all()))


def reports_by(user: User) -> list[ReporterView]:
    """The user's own named reports (anonymous ones are reachable only with their receipt code)."""
    reports = (
        Report.objects.filter(reporter=user, anonymous=False)
        .select_related("case")
        .prefetch_related("questions")
        .order_by("-created_at")
    )
    return [_reporter_view(r) for r in reports]


def report_by_receipt(code: str) -> ReporterView | None:
    report = (
        Report.objects.filter(receipt_hash=receipt_hash(code), anonymous=True)
        .select_related("case")
        .prefetch_related("questions")
        .first()
    )
    return _reporter_view(report) if report else None


# --- Care e-file ---------------------------------------------------------------------------------------


def care_file_students_for_list(user: User, *, query: str = "", on_care_list: bool = True) -> QuerySet[Student]:
    """Students of the user's care scope; by default only those with an open case or an override."""
    qs = counseling_access.care_file_students(user).select_related("college", "class_group")
    open_case = Case.objects.filter(student=OuterRef("pk"), status__in=Case.OPEN_STATUSES)
    override = CareLevelOverride.objects.filter(student=OuterRef("pk"), cleared_at__isnull=True, level__isnull=False)
    qs = qs.annotate(has_open_case=Exists(open_case), has_override=Exists(override))
    if on_care_list:
        qs = qs.filter(Q(has_open_case=True) | Q(has_override=True))
    if query:
        query = query.strip()
        qs = qs.filter(Q(student_no__startswith=query) | Q(name__icontains=query))
    return qs.order_by("student_no")


def care_file_student(user: User, pk: int) -> Student:
    """Open a care file: 404 outside the care scope, audited as a care-file read."""
    from django.http import Http404

    from portal.audit import audit_log

    student = (
        counseling_access.care_file_students(user)
        .select_related("college", "class_group", "room")
        .filter(pk=pk)
        .first()
    )
    if student is None:
        raise Http404
    audit_log(actor=user, action="read", object_type="counseling.carefile", object_id=student.pk)
    return student


@dataclass
class CareFile:
    student: Student
    level: int | None
    override: CareLevelOverride | None
    cases: list[Case]
    level_history: list[CaseEvent]
    assessments: list[Assessment]
    actions: list[InterventionAction]
    referrals: list[InterventionAction]
    overrides: list[CareLevelOverride]
    extra_sections: list[dict]


# Later apps (screening, appointments) add sections to the care file through this registry:
# each callable (student) -> {"title": str, "template": str, "context": dict} or None.
care_file_sections: list = []


def care_file(student: Student) -> CareFile:
    cases = list(
        Case.objects.filter(student=student)
        .select_related("owner")
        .annotate(n_reports=Count("reports"))
        .order_by("-created_at")
    )
    overrides = list(CareLevelOverride.objects.filter(student=student).select_related("set_by").order_by("-set_at"))
    active = next((o for o in overrides if o.cleared_at is None), None)
    open_levels = [c.level for c in cases if c.is_open]
    level = active.level if active else max(open_levels, default=None)
    history = list(
        CaseEvent.objects.filter(case__student=student, kind__in=[CaseEvent.Kind.LEVEL, CaseEvent.Kind.CREATED])
        .select_related("actor")
        .order_by("-at")
    )
    assessments = list(Assessment.objects.filter(case__student=student).select_related("assessor"))
    actions = list(InterventionAction.objects.filter(case__student=student).select_related("owner"))
    sections = [s for s in (fn(student) for fn in care_file_sections) if s]
    return CareFile(
        student=student,
        level=level,
        override=active,
        cases=cases,
        level_history=history,
        assessments=assessments,
        actions=actions,
        referrals=[a for a in actions if a.kind == InterventionAction.Kind.HOSPITAL],
        overrides=overrides,
        extra_sections=sections,
    )


# --- Zero reports ---------------------------------------------------------------------------------------


def committee_classes(user: User) -> QuerySet[ClassGroup]:
    ids = access.classes_for(user, Role.CLASS_COMMITTEE)
    return ClassGroup.objects.filter(pk__in=ids).select_related("college").order_by("name")


def zero_report_overview(user: User, *, month: date | None = None) -> list[dict]:
    """Per class in the user's scope: filed or not this month (for stations and the centre)."""
    month = month_start(month or timezone.localdate())
    classes = ClassGroup.objects.select_related("college").order_by("college__code", "name")
    if not access.has_role(user, Role.CENTRE_COUNSELLOR) and not access.is_admin(user):
        classes = classes.filter(college_id__in=access.colleges_for(user, Role.STATION_COUNSELLOR))
    filed = {
        z.class_group_id: z
        for z in access.visible(user, ZeroReport)
        .filter(month=month, class_group__in=classes)
        .select_related("filed_by")
    }
    return [{"class_group": c, "report": filed.get(c.pk)} for c in classes]


# --- Dashboards -----------------------------------------------------------------------------------------


def dashboard(user: User, *, weeks: int = 12) -> dict:
    """Open cases by level and college, overdue counts, weekly new reports, zero-report completion."""
    cases = access.visible(user, Case)
    now = timezone.now()
    today = timezone.localdate()
    open_cases = cases.filter(status__in=Case.OPEN_STATUSES)
    by_level_college = list(
        open_cases.values("college__name", "level").annotate(n=Count("pk")).order_by("college__name", "level")
    )
    colleges: dict[str, dict[int, int]] = {}
    for row in by_level_college:
        colleges.setdefault(row["college__name"] or "—", {1: 0, 2: 0, 3: 0, 4: 0})[row["level"]] = row["n"]
    overdue_ack = open_cases.filter(status=Case.Status.NEW, ack_due_at__lt=now).count()
    overdue_touch = open_cases.filter(next_touchpoint__lt=today).count()
    start = today - timedelta(weeks=weeks)
    weekly = (
        Report.objects.filter(case__in=cases.values("pk"), created_at__date__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    counts = {row["week"].date() if hasattr(row["week"], "date") else row["week"]: row["n"] for row in weekly}
    monday = today - timedelta(days=today.weekday())
    week_labels = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    month = month_start(today)
    committee_classes_q = RoleAssignment.objects.current().filter(role=Role.CLASS_COMMITTEE).values("class_group_id")
    college_qs = College.objects.order_by("code")
    if not access.has_role(user, Role.CENTRE_COUNSELLOR) and not access.is_admin(user):
        college_qs = college_qs.filter(pk__in=access.colleges_for(user, Role.STATION_COUNSELLOR))
    zero = list(
        college_qs.annotate(
            classes_n=Count("classes", filter=Q(classes__pk__in=committee_classes_q), distinct=True),
            filed_n=Count(
                "classes",
                filter=Q(classes__pk__in=committee_classes_q, classes__zero_reports__month=month),
                distinct=True,
            ),
        ).values("name", "classes_n", "filed_n")
    )
    return {
        "by_college": [{"college": name, "levels": [lv[i] for i in (1, 2, 3, 4)]} for name, lv in colleges.items()],
        "open_total": open_cases.count(),
        "overdue_ack": overdue_ack,
        "overdue_touchpoints": overdue_touch,
        "weekly": {"labels": [d.isoformat() for d in week_labels], "counts": [counts.get(d, 0) for d in week_labels]},
        "zero_reports": zero,
        "month": month,
    }
