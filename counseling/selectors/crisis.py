"""Reads of the crisis network, scoped through portal.access. List reads never touch narratives."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from counseling import access as counseling_access
from counseling.models import (
    Assessment,
    CareLevelOverride,
    Case,
    CaseEvent,
    HeldReport,
    InterventionAction,
    Report,
    ReporterQuestion,
    ReportHold,
    ZeroReport,
)
from counseling.receipts import receipt_hash
from portal import access
from portal.kernel.dates import month_start, shift_month
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
    first_subject = Report.objects.filter(case=OuterRef("pk")).order_by("created_at", "pk").values("subject_given")
    # Per-row subqueries, not a JOIN with GROUP BY: the paginator's COUNT(*) then drops them (Django strips
    # annotations nothing refers to) and counts the filtered cases alone, while the page's 20 rows each look up
    # their reports by the report's case index.
    reports = Report.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk")).values("n")
    return qs.annotate(
        report_count=Coalesce(Subquery(reports[:1]), 0), subject_given=Subquery(first_subject[:1])
    ).order_by("-level", "created_at", "pk")


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
    """Open cases the user owns or assesses, still within what the user may see."""
    mine = Case.objects.filter(Q(assessors=user) | Q(owner=user), status__in=Case.OPEN_STATUSES).values("pk")
    return (
        access.visible(user, Case)
        .filter(pk__in=mine)
        .select_related("student", "student__class_group", "college", "owner")
        .order_by("-level", "created_at", "pk")
    )


def my_open_actions(user: User) -> QuerySet[InterventionAction]:
    return (
        InterventionAction.objects.filter(
            owner=user, status=InterventionAction.Status.OPEN, case__in=access.visible(user, Case).values("pk")
        )
        .select_related("case", "case__student")
        .order_by("due_date", "pk")
    )


def assessor_candidates() -> QuerySet[User]:
    """Who may join a case's crisis assessment group: assessment group members and centre counsellors
    (the same people services.case_assign_assessors accepts)."""
    holders = RoleAssignment.objects.current().filter(role__in=[Role.ASSESSOR, Role.CENTRE_COUNSELLOR])
    return User.objects.filter(pk__in=holders.values("user_id"), is_active=True).order_by("full_name", "username")


def student_for_matching(user: User, student_no: str) -> Student | None:
    """The student an unmatched report is about, by exact 学号, among the students the user may see."""
    student_no = student_no.strip()
    if not student_no:
        return None
    return access.visible(user, Student).filter(student_no=student_no).select_related("college", "class_group").first()


# --- What reporters see: status only ----------------------------------------------------------------


@dataclass(frozen=True)
class ReporterView:
    """Everything a reporter may know about their report: never level, owner or clinical detail.

    The status is the report's own (Report.reporter_status), never the case's: what a reporter sees must
    not differ with anything about the student they reported (an open case, a closed one, no record)."""

    report: Report | HeldReport
    status: str  # received / seen / closed
    questions: list[ReporterQuestion]


def _reporter_view(report: Report) -> ReporterView:
    return ReporterView(report=report, status=report.reporter_status(), questions=list(report.questions.all()))


def reports_of(user: User) -> QuerySet[Report]:
    """The user's own named reports, newest first (anonymous ones are reachable only with their receipt code)."""
    return (
        Report.objects.filter(reporter=user, anonymous=False)
        .prefetch_related("questions")
        .order_by("-created_at", "-pk")
    )


def reporter_views(reports: Iterable[Report]) -> list[ReporterView]:
    """What the reporter may know of each report (a page of `reports_of`)."""
    return [_reporter_view(r) for r in reports]


def reports_by(user: User) -> list[ReporterView]:
    return reporter_views(reports_of(user))


def report_by_receipt(code: str) -> ReporterView | None:
    """The report a receipt code opens: a routed report, or one still held in a burst (status only)."""
    digest = receipt_hash(code)
    report = Report.objects.filter(receipt_hash=digest, anonymous=True).prefetch_related("questions").first()
    if report is not None:
        return _reporter_view(report)
    held = HeldReport.objects.filter(receipt_hash=digest).first()
    return ReporterView(report=held, status=held.reporter_status(), questions=[]) if held else None


# --- Care e-file ---------------------------------------------------------------------------------------


def care_file_students_for_list(user: User, *, query: str = "", on_care_list: bool = True) -> QuerySet[Student]:
    """Students of the user's care scope; by default only those with an open case or an override."""
    qs = counseling_access.care_file_students(user).select_related("college", "class_group")
    open_case = Case.objects.filter(student=OuterRef("pk"), status__in=Case.OPEN_STATUSES)
    override = CareLevelOverride.objects.filter(student=OuterRef("pk"), cleared_at__isnull=True, level__isnull=False)
    active = CareLevelOverride.objects.filter(student=OuterRef("pk"), cleared_at__isnull=True)
    qs = qs.annotate(
        has_open_case=Exists(open_case),
        has_override=Exists(override),
        # For the list's level column without a query per row: override (if any) wins over open cases.
        override_active=Exists(active),
        override_level=Subquery(active.values("level")[:1]),
        open_level=Subquery(open_case.order_by("-level").values("level")[:1]),
    ).annotate(care_level=SqlCase(When(override_active=True, then=F("override_level")), default=F("open_level")))
    if on_care_list:
        qs = qs.filter(Q(has_open_case=True) | Q(has_override=True))
    if query:
        query = query.strip()
        qs = qs.filter(Q(student_no__startswith=query) | Q(name__icontains=query))
    return qs.order_by(F("care_level").desc(nulls_last=True), "student_no")


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
    """Archived cases (counseling.retention) and what hangs on them are left out."""
    cases = list(
        Case.objects.filter(student=student, archived_at__isnull=True)
        .select_related("owner")
        .annotate(n_reports=Count("reports"))
        .order_by("-created_at")
    )
    overrides = list(CareLevelOverride.objects.filter(student=student).select_related("set_by").order_by("-set_at"))
    active = next((o for o in overrides if o.cleared_at is None), None)
    open_levels = [c.level for c in cases if c.is_open]
    level = active.level if active else max(open_levels, default=None)
    history = list(
        CaseEvent.objects.filter(
            case__student=student,
            case__archived_at__isnull=True,
            kind__in=[CaseEvent.Kind.LEVEL, CaseEvent.Kind.CREATED],
        )
        .select_related("actor")
        .order_by("-at")
    )
    live = {"case__student": student, "case__archived_at__isnull": True}
    assessments = list(Assessment.objects.filter(**live).select_related("assessor"))
    actions = list(InterventionAction.objects.filter(**live).select_related("owner"))
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


def oversight_colleges(user: User) -> QuerySet[College]:
    """Colleges the user oversees: every college for the centre (and admins), its own for a station."""
    qs = College.objects.order_by("code")
    if access.has_role(user, Role.CENTRE_COUNSELLOR) or access.is_admin(user):
        return qs
    return qs.filter(pk__in=access.colleges_for(user, Role.STATION_COUNSELLOR))


def _committee_class_ids(on: date) -> QuerySet:
    return (
        RoleAssignment.objects.current(on)
        .filter(role=Role.CLASS_COMMITTEE, class_group__isnull=False)
        .values("class_group_id")
    )


def committee_classes(user: User) -> QuerySet[ClassGroup]:
    ids = access.classes_for(user, Role.CLASS_COMMITTEE)
    return ClassGroup.objects.filter(pk__in=ids).select_related("college").order_by("name")


def zero_report_history(user: User, *, months: int = 6, today: date | None = None) -> list[dict]:
    """For a committee member: each of their classes with the last `months` months, newest first.

    Notes are not loaded (a list never decrypts): only whether a month was filed and how.
    """
    current = month_start(today or timezone.localdate())
    month_list = [shift_month(current, -i) for i in range(months)]
    classes = list(committee_classes(user))
    filed = {
        (z.class_group_id, z.month): z
        for z in ZeroReport.objects.filter(class_group__in=[c.pk for c in classes], month__gte=month_list[-1])
        .select_related("filed_by")
        .defer("note")
    }
    return [
        {"class_group": c, "months": [{"month": m, "report": filed.get((c.pk, m))} for m in month_list]}
        for c in classes
    ]


def zero_report_status(report: ZeroReport | None, *, has_committee: bool) -> str:
    """filed / concern / missing / no_member (no class committee member who could file)."""
    if report is not None:
        return "filed" if report.nothing_to_report else "concern"
    return "missing" if has_committee else "no_member"


def zero_report_overview(user: User, *, month: date | None = None) -> list[dict]:
    """Per class in the user's oversight scope: filed / concern noted / missing for the month.

    Stations see their college, the centre every college. Notes are not loaded here; one is read
    through `zero_report_note` (audited).
    """
    month = month_start(month or timezone.localdate())
    classes = (
        ClassGroup.objects.filter(college__in=oversight_colleges(user))
        .select_related("college")
        .annotate(
            has_committee=Exists(_committee_class_ids(timezone.localdate()).filter(class_group_id=OuterRef("pk")))
        )
        .order_by("college__code", "name")
    )
    classes = list(classes)
    filed = {
        z.class_group_id: z
        for z in access.visible(user, ZeroReport)
        .filter(month=month, class_group__in=[c.pk for c in classes])
        .select_related("filed_by")
        .defer("note")
    }
    rows = []
    for c in classes:
        report = filed.get(c.pk)
        rows.append(
            {
                "class_group": c,
                "report": report,
                "has_committee": c.has_committee,
                "status": zero_report_status(report, has_committee=c.has_committee),
            }
        )
    return rows


def zero_report_note(user: User, pk: int) -> ZeroReport:
    """One zero report with its note, for a station or the centre: 404 outside the user's oversight."""
    from portal.audit import audit_log

    report = access.get_for_user(
        user,
        ZeroReport.objects.select_related("class_group", "class_group__college", "filed_by").filter(
            class_group__college__in=oversight_colleges(user)
        ),
        audit=False,
        pk=pk,
    )
    audit_log(actor=user, action="read", obj=report)
    return report


# --- Dashboards -----------------------------------------------------------------------------------------


def dashboard(user: User, *, weeks: int = 12) -> dict:
    """Open cases by level and college, overdue counts, weekly new reports, zero-report completion.

    Scoped by the access layer: the centre sees the whole school, a station its college. A fixed number
    of queries whatever the number of cases (counts are grouped in the database).
    """
    cases = access.visible(user, Case)
    now = timezone.now()
    today = timezone.localdate()
    open_cases = cases.filter(status__in=Case.OPEN_STATUSES)
    # distinct: an assessor's visibility joins the assessors table, which may repeat a case.
    by_level_college = open_cases.values("college_id", "college__code", "college__name", "level").annotate(
        n=Count("pk", distinct=True)
    )
    colleges: dict[int | None, dict] = {}
    for row in by_level_college.order_by():
        entry = colleges.setdefault(
            row["college_id"],
            {"college": row["college__name"], "code": row["college__code"] or "", "levels": [0, 0, 0, 0]},
        )
        entry["levels"][row["level"] - 1] += row["n"]
    by_college = sorted(colleges.values(), key=lambda e: (e["college"] is None, e["code"]))
    for entry in by_college:
        entry["total"] = sum(entry["levels"])
    overdue = open_cases.aggregate(
        ack=Count("pk", filter=Q(status=Case.Status.NEW, ack_due_at__lt=now), distinct=True),
        touch=Count("pk", filter=Q(next_touchpoint__lt=today), distinct=True),
    )
    monday = today - timedelta(days=today.weekday())
    week_labels = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    weekly = (
        Report.objects.filter(case__in=cases.values("pk"), created_at__date__gte=week_labels[0])
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    counts = {row["week"].date() if hasattr(row["week"], "date") else row["week"]: row["n"] for row in weekly}
    month = month_start(today)
    committee = _committee_class_ids(today)
    zero = []
    for row in (
        oversight_colleges(user)
        .annotate(
            classes_total=Count("classes", distinct=True),
            classes_n=Count("classes", filter=Q(classes__pk__in=committee), distinct=True),
            filed_n=Count(
                "classes",
                filter=Q(classes__pk__in=committee, classes__zero_reports__month=month),
                distinct=True,
            ),
            concern_n=Count(
                "classes",
                filter=Q(
                    classes__pk__in=committee,
                    classes__zero_reports__month=month,
                    classes__zero_reports__nothing_to_report=False,
                ),
                distinct=True,
            ),
        )
        .values("pk", "name", "classes_total", "classes_n", "filed_n", "concern_n")
    ):
        row["percent"] = round(100 * row["filed_n"] / row["classes_n"]) if row["classes_n"] else None
        row["no_member_n"] = row["classes_total"] - row["classes_n"]
        zero.append(row)
    return {
        "by_college": by_college,
        "level_totals": [sum(e["levels"][i] for e in by_college) for i in range(4)],
        "open_total": sum(e["total"] for e in by_college),
        "overdue_ack": overdue["ack"],
        "overdue_touchpoints": overdue["touch"],
        "weekly": {"labels": [d.isoformat() for d in week_labels], "counts": [counts.get(d, 0) for d in week_labels]},
        "zero_reports": zero,
        "month": month,
    }


# --- Reporter side: whom a reporter may pick, and their own questions ------------------------------------

# Roles whose members may pick a student from a list (or a search) when reporting; anyone else types
# a 学号 or a name and is never told whether it matched.
PICK_ROLES = (Role.DORM_LIAISON, Role.CLASS_COMMITTEE, Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)
SUBJECT_SEARCH_LIMIT = 10
QUICK_PICK_LIMIT = 60


def has_pick_scope(user: User) -> bool:
    return user.is_authenticated and (access.has_role(user, *PICK_ROLES) or access.is_admin(user))


def pickable_students(user: User) -> QuerySet[Student]:
    """The students this reporter may choose by list or search (never themself); none without pick scope."""
    if not has_pick_scope(user):
        return Student.objects.none()
    return (
        access.visible(user, Student, action="pick")
        .exclude(user_id=user.pk)
        .select_related("class_group")
        .order_by("name", "student_no")
    )


def quick_picks(user: User) -> list[Student]:
    """Dorm liaisons: their rooms' residents; committee members: their class. Staff search instead."""
    rooms = access.rooms_for(user, Role.DORM_LIAISON)
    classes = access.classes_for(user, Role.CLASS_COMMITTEE)
    if not rooms and not classes:
        return []
    return list(pickable_students(user).filter(Q(room_id__in=rooms) | Q(class_group_id__in=classes))[:QUICK_PICK_LIMIT])


def subject_search(user: User, query: str) -> list[Student]:
    """Matches by 学号 prefix or name within the pick scope (name, 学号, class only are shown)."""
    query = query.strip()
    if len(query) < 2:
        return []
    return list(
        pickable_students(user).filter(Q(student_no__startswith=query) | Q(name__icontains=query))[
            :SUBJECT_SEARCH_LIMIT
        ]
    )


def report_by_key(key: uuid.UUID) -> Report | HeldReport | None:
    """The report (or held report) a submitted form's token names."""
    return Report.objects.filter(idempotency_key=key).first() or HeldReport.objects.filter(idempotency_key=key).first()


def reporter_question_for(user: User, pk: int) -> ReporterQuestion:
    """A question on one of the user's own named reports; 404 for anything else."""
    from django.http import Http404

    question = (
        ReporterQuestion.objects.filter(pk=pk, report__reporter=user, report__anonymous=False)
        .select_related("report")
        .first()
    )
    if question is None:
        raise Http404
    return question


def receipt_question(view: ReporterView, pk: int) -> ReporterQuestion:
    """A question on the report the receipt code opened; 404 for a question of any other report."""
    from django.http import Http404

    for question in view.questions:
        if question.pk == pk:
            return question
    raise Http404


# --- For home visits ----------------------------------------------------------------------------------


def students_on_care_list(student_ids: list[int] | set[int]) -> set[int]:
    """Of these students, those on the care list now (yes/no only; same rule as services.care_level):
    a manual override decides when there is one, else any open case. Two queries, whatever the count."""
    overrides = dict(
        CareLevelOverride.objects.filter(student_id__in=student_ids, cleared_at__isnull=True).values_list(
            "student_id", "level"
        )
    )
    with_open_case = set(
        Case.objects.filter(student_id__in=student_ids, status__in=Case.OPEN_STATUSES).values_list(
            "student_id", flat=True
        )
    )
    on_list = {sid for sid, level in overrides.items() if level is not None}
    return on_list | (with_open_case - set(overrides))


# --- Held bursts of anonymous reports (counseling.services.holds) ---------------------------------------


def holds_waiting() -> int:
    """How many held bursts wait for the centre (the triage queue's banner)."""
    return ReportHold.objects.filter(status=ReportHold.Status.OPEN).count()


def holds_for_review(*, days: int = 30) -> QuerySet[ReportHold]:
    """Open holds, and those resolved in the last `days`, with their counts (one query)."""
    since = timezone.now() - timedelta(days=days)
    return (
        ReportHold.objects.filter(Q(status=ReportHold.Status.OPEN) | Q(resolved_at__gte=since))
        .annotate(
            n_reports=Count("reports"),
            n_waiting=Count("reports", filter=Q(reports__decision=HeldReport.Decision.HELD)),
            n_in_danger=Count("reports", filter=Q(reports__decision=HeldReport.Decision.HELD, reports__in_danger=True)),
        )
        .order_by("status", "-last_at")
    )


def hold_reports(hold: ReportHold) -> QuerySet[HeldReport]:
    """The reports of one hold, waiting ones first, in the order they came."""
    return hold.reports.select_related("student__college", "decided_by").order_by(
        SqlCase(When(decision=HeldReport.Decision.HELD, then=0), default=1), "created_at", "pk"
    )
