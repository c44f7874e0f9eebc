"""URLs of the activities area, included by counseling/urls.py (namespace "counseling")."""

from django.urls import path

from counseling.views import activities as views

urlpatterns: list = [
    # Events
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/cancel/", views.event_cancel, name="event_cancel"),
    path("events/<int:pk>/signup/", views.event_signup, name="event_signup"),
    path("events/<int:pk>/signup/cancel/", views.event_signup_cancel, name="event_signup_cancel"),
    path("events/<int:pk>/code/", views.event_checkin_code, name="event_checkin_code"),
    path("events/<int:pk>/checkin/", views.event_checkin, name="event_checkin"),
    path("events/<int:pk>/checkin/<int:student_pk>/", views.event_checkin_mark, name="event_checkin_mark"),
    path("events/<int:pk>/checkin/<int:student_pk>/undo/", views.event_checkin_undo, name="event_checkin_undo"),
    # Coverage
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/colleges/<int:pk>/", views.coverage_college, name="coverage_college"),
    path("coverage/export/", views.coverage_export, name="coverage_export"),
    # E-journal 《心之专列》
    path("journal/", views.journal_list, name="journal_list"),
    path("journal/new/", views.journal_issue_new, name="journal_issue_new"),
    path("journal/<int:pk>/", views.journal_issue, name="journal_issue"),
    path("journal/<int:pk>/edit/", views.journal_issue_edit, name="journal_issue_edit"),
    path("journal/<int:pk>/publish/", views.journal_issue_publish, name="journal_issue_publish"),
    path("journal/<int:pk>/articles/new/", views.journal_article_new, name="journal_article_new"),
    path("journal/<int:pk>/images/", views.journal_image_upload, name="journal_image_upload"),
    path("journal/articles/<int:pk>/", views.journal_article, name="journal_article"),
    path("journal/articles/<int:pk>/edit/", views.journal_article_edit, name="journal_article_edit"),
    path("journal/images/<int:pk>/", views.journal_image, name="journal_image"),
]
