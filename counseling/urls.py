"""The counselling URLs, each with who may use it (portal.access.page; docs/access-matrix.md shows the outcome).

The roles of a rule are checked by portal.middleware.ViewAccessMiddleware before the view runs; the view still
decides object scope (404 outside it) and the finer rules (403). Roles are named when they may use the page or
see the objects it acts on (the view then answers 403 to an action they may not take); `refused=404` where the
roles not named can see no object of the kind. `python manage.py access_matrix` regenerates the matrix.

SIGNED_IN is kept where who may act is a relationship rather than a role (the reporter of a report, an event's
audience) or the page is everyone's own list. The role groups are in counseling/access/roles.py.
"""

from counseling import (
    urls_activities,
    urls_appointments,
    urls_postvention,
    urls_screening,
    urls_screening_care,
    urls_session_notes,
)
from counseling.access.roles import CASE_MANAGERS, CASE_WORKERS, CENTRE
from counseling.views import casework, holds, oversight, reporting
from portal.access import GET_ONLY, POST_ONLY, PUBLIC, SIGNED_IN, page, rule
from portal.models import Role

app_name = "counseling"
urlpatterns = [
    page("", reporting.index, "index", rule(SIGNED_IN, methods=GET_ONLY)),
    # Reporting a worry: anyone, signed in or not; the reporter follows up with a receipt code (anonymous receipt
    # pages need no sign-in).
    page("report/", reporting.report_new, "report_new", rule(PUBLIC)),
    page("report/subject-search/", reporting.subject_search, "subject_search", rule(SIGNED_IN, methods=GET_ONLY)),
    page(
        "report/received/<uuid:key>/",
        reporting.report_received,
        "report_received",
        rule(PUBLIC, key="counseling.Report", methods=GET_ONLY),
    ),
    page("my-reports/", reporting.my_reports, "my_reports", rule(SIGNED_IN, methods=GET_ONLY)),
    page(
        "my-reports/questions/<int:pk>/answer/",
        reporting.my_question_answer,
        "my_question_answer",
        rule(SIGNED_IN, pk="counseling.ReporterQuestion", methods=POST_ONLY),
    ),
    page("receipt/", reporting.receipt_lookup, "receipt", rule(PUBLIC)),
    page(
        "receipt/questions/<int:pk>/answer/",
        reporting.receipt_answer,
        "receipt_answer",
        rule(PUBLIC, pk="counseling.ReporterQuestion", methods=POST_ONLY),
    ),
    # Cases and care files (station, centre, assessment group): counselling staff only (aid staff never see
    # clinical content).
    page("queue/", casework.queue, "queue", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page("cases/mine/", casework.my_cases, "my_cases", rule(*CASE_WORKERS, methods=GET_ONLY)),
    page(
        "cases/<int:pk>/",
        casework.case_detail,
        "case_detail",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=GET_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/acknowledge/",
        casework.case_acknowledge,
        "case_acknowledge",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/level/",
        casework.case_level,
        "case_level",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/owner/",
        casework.case_owner,
        "case_owner",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/touchpoint/",
        casework.case_touchpoint,
        "case_touchpoint",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/status/",
        casework.case_status,
        "case_status",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/note/",
        casework.case_note,
        "case_note",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/assessors/",
        casework.case_assessors,
        "case_assessors",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/assessment/",
        casework.case_assessment,
        "case_assessment",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/actions/",
        casework.case_action_add,
        "case_action_add",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "cases/<int:pk>/match/",
        casework.case_match,
        "case_match",
        rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
    ),
    page(
        "reports/<int:pk>/ask/",
        casework.report_ask,
        "report_ask",
        rule(*CASE_WORKERS, pk="counseling.Report", methods=POST_ONLY, refused=404),
    ),
    # Held bursts of anonymous reports: the centre confirms the real ones and dismisses the rest.
    page("held/", holds.holds, "holds", rule(*CENTRE, methods=GET_ONLY)),
    page(
        "held/<int:pk>/",
        holds.hold_detail,
        "hold_detail",
        rule(*CENTRE, pk="counseling.ReportHold", methods=GET_ONLY, refused=404),
    ),
    page(
        "held/<int:pk>/dismiss/",
        holds.hold_dismiss,
        "hold_dismiss",
        rule(*CENTRE, pk="counseling.ReportHold", methods=POST_ONLY, refused=404),
    ),
    page(
        "held/reports/<int:pk>/confirm/",
        holds.held_report_confirm,
        "held_report_confirm",
        rule(*CENTRE, pk="counseling.HeldReport", methods=POST_ONLY, refused=404),
    ),
    page(
        "actions/<int:pk>/done/",
        casework.action_done,
        "action_done",
        rule(*CASE_WORKERS, pk="counseling.InterventionAction", methods=POST_ONLY, refused=404),
    ),
    page("care/", casework.care_list, "care_list", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page(
        "care/<int:pk>/", casework.care_file, "care_file", rule(*CASE_MANAGERS, pk="portal.Student", methods=GET_ONLY)
    ),
    page(
        "care/<int:pk>/level/",
        casework.care_level_override,
        "care_level_override",
        rule(*CASE_MANAGERS, pk="portal.Student", methods=POST_ONLY),
    ),
    page(
        "care/<int:pk>/visit/",
        casework.visit_recommendation,
        "visit_recommendation",
        rule(*CASE_MANAGERS, pk="portal.Student", methods=POST_ONLY),
    ),
    # Oversight
    page("dashboard/", oversight.dashboard, "dashboard", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page("zero-report/", oversight.zero_report, "zero_report", rule(Role.CLASS_COMMITTEE)),
    page("zero-reports/", oversight.zero_reports, "zero_reports", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    *urls_appointments.urlpatterns,
    *urls_screening.urlpatterns,
    *urls_session_notes.urlpatterns,
    *urls_screening_care.urlpatterns,
    *urls_activities.urlpatterns,
    *urls_postvention.urlpatterns,
]
