from django.urls import path

from homevisits import urls_records
from homevisits.views import trips as views

app_name = "homevisits"
urlpatterns = [
    path("", views.index, name="index"),
    path("trips/", views.trip_list, name="trip_list"),
    path("trips/new/", views.trip_create, name="trip_create"),
    path("trips/<int:pk>/", views.trip_detail, name="trip_detail"),
    path("trips/<int:pk>/edit/", views.trip_edit, name="trip_edit"),
    path("trips/<int:pk>/status/", views.trip_transition, name="trip_transition"),
    path("trips/<int:pk>/stops/", views.stop_add, name="stop_add"),
    path("trips/<int:pk>/stops/<int:stop_pk>/remove/", views.stop_remove, name="stop_remove"),
    path("trips/<int:pk>/candidates/", views.trip_candidates, name="trip_candidates"),
    path("trips/<int:pk>/students/", views.trip_student_add, name="trip_student_add"),
    path("trips/<int:pk>/students/<int:planned_pk>/remove/", views.trip_student_remove, name="trip_student_remove"),
    path("trips/<int:pk>/expenses/", views.expense_add, name="expense_add"),
    path("trips/<int:pk>/expenses/<int:expense_pk>/receipt/", views.expense_receipt, name="expense_receipt"),
    path("trips/<int:pk>/itinerary/", views.itinerary, name="itinerary"),
    path("trips/<int:pk>/report/", views.trip_report, name="trip_report"),
    path("trips/<int:pk>/report.xlsx", views.trip_report_xlsx, name="trip_report_xlsx"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("students/<int:student_pk>/guardians/", views.guardian_contacts, name="guardian_contacts"),
    *urls_records.urlpatterns,
]
