"""URLs of the identification area, included by aid/urls.py (namespace "aid"), each with who may use it
(portal.access.page).

Identification (家庭经济困难认定): the student applies; the college reviews; the office decides. The class
evaluation group (评议小组) is made of students of the class. Notices: only to that class or college while they
run.
"""

from aid.access.roles import REVIEWERS, STUDENT
from aid.views import identification as views
from portal.access import GET_ONLY, POST_ONLY, page, rule
from portal.models import Role

urlpatterns = [
    page("identification/", views.identification_mine, "identification_mine", rule(STUDENT, methods=GET_ONLY)),
    page("identification/apply/", views.identification_edit, "identification_edit", rule(STUDENT)),
    page(
        "identification/documents/add/",
        views.identification_document_add,
        "identification_document_add",
        rule(STUDENT, methods=POST_ONLY),
    ),
    page(
        "identification/documents/<int:pk>/",
        views.identification_document,
        "identification_document",
        rule(STUDENT, *REVIEWERS, pk="aid.IdentificationDocument", methods=GET_ONLY, refused=404),
    ),
    page(
        "identification/documents/<int:pk>/delete/",
        views.identification_document_delete,
        "identification_document_delete",
        rule(STUDENT, *REVIEWERS, pk="aid.IdentificationDocument", methods=POST_ONLY),
    ),
    page(
        "identification/review/",
        views.identification_list,
        "identification_list",
        rule(*REVIEWERS, methods=GET_ONLY),
    ),
    page(
        "identification/<int:pk>/",
        views.identification_detail,
        "identification_detail",
        rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=GET_ONLY, refused=404),
    ),
    # The review steps, one URL each (views.ACTIONS: class_close, return, college_review, school_review, approve,
    # reject, appeal_answer, adjust, revoke), all with the same rule.
    *[
        page(
            f"identification/<int:pk>/{name.replace('_', '-')}/",
            view,
            f"identification_{name}",
            rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        )
        for name, view in views.action_views.items()
    ],
    page(
        "identification/<int:pk>/appeal/",
        views.identification_appeal,
        "identification_appeal",
        rule(STUDENT, Role.ADMIN, pk="aid.Identification", methods=POST_ONLY),
    ),
    page(
        "identification/objections/<int:pk>/answer/",
        views.identification_objection_answer,
        "identification_objection_answer",
        rule(*REVIEWERS, pk="aid.Objection", methods=POST_ONLY, refused=404),
    ),
    page(
        "identification/evaluation/groups/",
        views.evaluation_groups,
        "evaluation_groups",
        rule(*REVIEWERS, methods=GET_ONLY),
    ),
    page(
        "identification/evaluation/groups/<int:pk>/",
        views.evaluation_group_edit,
        "evaluation_group_edit",
        rule(*REVIEWERS, pk="portal.ClassGroup"),
    ),
    page("identification/evaluation/", views.evaluation_mine, "evaluation_mine", rule(STUDENT, methods=GET_ONLY)),
    page(
        "identification/evaluation/<int:pk>/",
        views.evaluation_record,
        "evaluation_record",
        rule(STUDENT, pk="aid.Identification", methods=POST_ONLY),
    ),
    page("notices/", views.notice_list, "notice_list", rule(STUDENT, *REVIEWERS, methods=GET_ONLY)),
    page("notices/new/", views.notice_publish, "notice_publish", rule(*REVIEWERS)),
    page(
        "notices/<int:pk>/",
        views.notice_detail,
        "notice_detail",
        rule(STUDENT, *REVIEWERS, pk="aid.Notice", methods=GET_ONLY, refused=404),
    ),
    page(
        "notices/<int:pk>/object/<int:identification_pk>/",
        views.notice_object,
        "notice_object",
        rule(
            STUDENT, *REVIEWERS, pk="aid.Notice", identification_pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
    ),
]
