"""URLs of the identification area, included by aid/urls.py (namespace "aid")."""

from django.urls import path

from aid.views import identification as views

urlpatterns = [
    path("identification/", views.identification_mine, name="identification_mine"),
    path("identification/apply/", views.identification_edit, name="identification_edit"),
    path("identification/documents/add/", views.identification_document_add, name="identification_document_add"),
    path("identification/documents/<int:pk>/", views.identification_document, name="identification_document"),
    path(
        "identification/documents/<int:pk>/delete/",
        views.identification_document_delete,
        name="identification_document_delete",
    ),
    path("identification/review/", views.identification_list, name="identification_list"),
    path("identification/<int:pk>/", views.identification_detail, name="identification_detail"),
    *[
        path(f"identification/<int:pk>/{name.replace('_', '-')}/", view, name=f"identification_{name}")
        for name, view in views.action_views.items()
    ],
    path("identification/<int:pk>/appeal/", views.identification_appeal, name="identification_appeal"),
    path(
        "identification/objections/<int:pk>/answer/",
        views.identification_objection_answer,
        name="identification_objection_answer",
    ),
    path("identification/evaluation/groups/", views.evaluation_groups, name="evaluation_groups"),
    path("identification/evaluation/groups/<int:pk>/", views.evaluation_group_edit, name="evaluation_group_edit"),
    path("identification/evaluation/", views.evaluation_mine, name="evaluation_mine"),
    path("identification/evaluation/<int:pk>/", views.evaluation_record, name="evaluation_record"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_publish, name="notice_publish"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/object/<int:identification_pk>/", views.notice_object, name="notice_object"),
]
