from django.urls import path

from counseling import urls_activities, urls_appointments, urls_screening
from counseling.views import casework, holds, oversight, reporting

app_name = "counseling"
urlpatterns = [
    path("", reporting.index, name="index"),
    # Reporting (anyone signed in; anonymous receipt pages need no sign-in)
    path("report/", reporting.report_new, name="report_new"),
    path("report/subject-search/", reporting.subject_search, name="subject_search"),
    path("report/received/<uuid:key>/", reporting.report_received, name="report_received"),
    path("my-reports/", reporting.my_reports, name="my_reports"),
    path("my-reports/questions/<int:pk>/answer/", reporting.my_question_answer, name="my_question_answer"),
    path("receipt/", reporting.receipt_lookup, name="receipt"),
    path("receipt/questions/<int:pk>/answer/", reporting.receipt_answer, name="receipt_answer"),
    # Case work (station, centre, assessment group)
    path("queue/", casework.queue, name="queue"),
    path("cases/mine/", casework.my_cases, name="my_cases"),
    path("cases/<int:pk>/", casework.case_detail, name="case_detail"),
    path("cases/<int:pk>/acknowledge/", casework.case_acknowledge, name="case_acknowledge"),
    path("cases/<int:pk>/level/", casework.case_level, name="case_level"),
    path("cases/<int:pk>/owner/", casework.case_owner, name="case_owner"),
    path("cases/<int:pk>/touchpoint/", casework.case_touchpoint, name="case_touchpoint"),
    path("cases/<int:pk>/status/", casework.case_status, name="case_status"),
    path("cases/<int:pk>/note/", casework.case_note, name="case_note"),
    path("cases/<int:pk>/assessors/", casework.case_assessors, name="case_assessors"),
    path("cases/<int:pk>/assessment/", casework.case_assessment, name="case_assessment"),
    path("cases/<int:pk>/actions/", casework.case_action_add, name="case_action_add"),
    path("cases/<int:pk>/match/", casework.case_match, name="case_match"),
    path("reports/<int:pk>/ask/", casework.report_ask, name="report_ask"),
    path("held/", holds.holds, name="holds"),
    path("held/<int:pk>/", holds.hold_detail, name="hold_detail"),
    path("held/<int:pk>/dismiss/", holds.hold_dismiss, name="hold_dismiss"),
    path("held/reports/<int:pk>/confirm/", holds.held_report_confirm, name="held_report_confirm"),
    path("actions/<int:pk>/done/", casework.action_done, name="action_done"),
    path("care/", casework.care_list, name="care_list"),
    path("care/<int:pk>/", casework.care_file, name="care_file"),
    path("care/<int:pk>/level/", casework.care_level_override, name="care_level_override"),
    path("care/<int:pk>/visit/", casework.visit_recommendation, name="visit_recommendation"),
    # Oversight
    path("dashboard/", oversight.dashboard, name="dashboard"),
    path("zero-report/", oversight.zero_report, name="zero_report"),
    path("zero-reports/", oversight.zero_reports, name="zero_reports"),
    *urls_appointments.urlpatterns,
    *urls_screening.urlpatterns,
    *urls_activities.urlpatterns,
]
