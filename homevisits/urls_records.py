"""URLs of visit records and follow-ups (the records engineer owns this file)."""

from django.urls import path

from homevisits.views import records as views

urlpatterns = [
    path("planned/<int:pk>/record/", views.record_new, name="record_new"),
    path("planned/<int:pk>/draft/", views.draft_save, name="draft_save"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("records/<int:pk>/follow-ups/", views.follow_up_add_view, name="follow_up_add"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("follow-ups/", views.my_follow_ups, name="my_follow_ups"),
]
