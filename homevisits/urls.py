"""The home-visit URLs, each with who may use it (portal.access.page; docs/access-matrix.md shows the outcome).

Trips and visit records: the home-visit teams (their own trips: the views answer 404 for the others) and the
office (which reads records; the views answer 403 to its writes); guardian contact logs also the counselling and
aid staff of the student's college. The role groups are in homevisits/roles.py.
"""

from homevisits import urls_records
from homevisits.roles import GUARDIAN_LOG, TEAMS
from homevisits.views import trips as views
from portal.access import GET_ONLY, POST_ONLY, page, rule
from portal.models import Role

app_name = "homevisits"
urlpatterns = [
    page("", views.index, "index", rule(*GUARDIAN_LOG, methods=GET_ONLY)),
    page("trips/", views.trip_list, "trip_list", rule(*TEAMS, methods=GET_ONLY)),
    page("trips/new/", views.trip_create, "trip_create", rule(*TEAMS)),
    page(
        "trips/<int:pk>/",
        views.trip_detail,
        "trip_detail",
        rule(*TEAMS, pk="homevisits.Trip", methods=GET_ONLY, refused=404),
    ),
    page("trips/<int:pk>/edit/", views.trip_edit, "trip_edit", rule(*TEAMS, pk="homevisits.Trip", refused=404)),
    page(
        "trips/<int:pk>/status/",
        views.trip_transition,
        "trip_transition",
        rule(*TEAMS, pk="homevisits.Trip", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/stops/",
        views.stop_add,
        "stop_add",
        rule(*TEAMS, pk="homevisits.Trip", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/stops/<int:stop_pk>/remove/",
        views.stop_remove,
        "stop_remove",
        rule(*TEAMS, pk="homevisits.Trip", stop_pk="homevisits.TripStop", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/candidates/",
        views.trip_candidates,
        "trip_candidates",
        rule(*TEAMS, pk="homevisits.Trip", methods=GET_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/students/",
        views.trip_student_add,
        "trip_student_add",
        rule(*TEAMS, pk="homevisits.Trip", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/students/<int:planned_pk>/remove/",
        views.trip_student_remove,
        "trip_student_remove",
        rule(*TEAMS, pk="homevisits.Trip", planned_pk="homevisits.TripStudent", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/expenses/",
        views.expense_add,
        "expense_add",
        rule(*TEAMS, pk="homevisits.Trip", methods=POST_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/expenses/<int:expense_pk>/receipt/",
        views.expense_receipt,
        "expense_receipt",
        rule(*TEAMS, pk="homevisits.Trip", expense_pk="homevisits.Expense", methods=GET_ONLY, refused=404),
    ),
    page(
        "trips/<int:pk>/itinerary/",
        views.itinerary,
        "itinerary",
        rule(*TEAMS, pk="homevisits.Trip", methods=GET_ONLY, refused=404),
    ),
    page("trips/<int:pk>/report/", views.trip_report, "trip_report", rule(*TEAMS, pk="homevisits.Trip", refused=404)),
    page(
        "trips/<int:pk>/report.xlsx",
        views.trip_report_xlsx,
        "trip_report_xlsx",
        rule(*TEAMS, pk="homevisits.Trip", methods=GET_ONLY, refused=404),
    ),
    page("dashboard/", views.dashboard, "dashboard", rule(Role.AID_OFFICER, Role.ADMIN, methods=GET_ONLY)),
    page(
        "students/<int:student_pk>/guardians/",
        views.guardian_contacts,
        "guardian_contacts",
        rule(*GUARDIAN_LOG, student_pk="portal.Student"),
    ),
    *urls_records.urlpatterns,
]
