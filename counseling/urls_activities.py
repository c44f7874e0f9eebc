"""URLs of the activities area, included by counseling/urls.py (namespace "counseling"), each with who may use
it (portal.access.page)."""

from counseling.access.roles import CASE_MANAGERS, CENTRE, STUDENT
from counseling.views import activities as views
from portal.access import GET_ONLY, POST_ONLY, SIGNED_IN, page, rule

urlpatterns: list = [
    # Events: the audience (students, or staff for staff events) is the event's, decided by the view.
    page("events/", views.event_list, "event_list", rule(SIGNED_IN, methods=GET_ONLY)),
    page("events/new/", views.event_new, "event_new", rule(*CASE_MANAGERS)),
    page(
        "events/<int:pk>/", views.event_detail, "event_detail", rule(SIGNED_IN, pk="counseling.Event", methods=GET_ONLY)
    ),
    page(
        "events/<int:pk>/edit/",
        views.event_edit,
        "event_edit",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", refused=404),
    ),
    page(
        "events/<int:pk>/cancel/",
        views.event_cancel,
        "event_cancel",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", methods=POST_ONLY, refused=404),
    ),
    page(
        "events/<int:pk>/signup/",
        views.event_signup,
        "event_signup",
        rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
    ),
    page(
        "events/<int:pk>/signup/cancel/",
        views.event_signup_cancel,
        "event_signup_cancel",
        rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
    ),
    page(
        "events/<int:pk>/code/",
        views.event_checkin_code,
        "event_checkin_code",
        rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
    ),
    page(
        "events/<int:pk>/checkin/",
        views.event_checkin,
        "event_checkin",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", methods=GET_ONLY, refused=404),
    ),
    page(
        "events/<int:pk>/checkin/<int:student_pk>/",
        views.event_checkin_mark,
        "event_checkin_mark",
        rule(
            STUDENT, *CASE_MANAGERS, pk="counseling.Event", student_pk="portal.Student", methods=POST_ONLY, refused=404
        ),
    ),
    page(
        "events/<int:pk>/checkin/<int:student_pk>/undo/",
        views.event_checkin_undo,
        "event_checkin_undo",
        rule(
            STUDENT, *CASE_MANAGERS, pk="counseling.Event", student_pk="portal.Student", methods=POST_ONLY, refused=404
        ),
    ),
    # Coverage
    page("coverage/", views.coverage, "coverage", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page(
        "coverage/colleges/<int:pk>/",
        views.coverage_college,
        "coverage_college",
        rule(*CASE_MANAGERS, pk="portal.College", methods=GET_ONLY),
    ),
    page("coverage/export/", views.coverage_export, "coverage_export", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    # E-journal 《心之专列》: published to everyone (who get 403 on the editing pages, 404 for drafts); edited by
    # the centre.
    page("journal/", views.journal_list, "journal_list", rule(SIGNED_IN, methods=GET_ONLY)),
    page("journal/new/", views.journal_issue_new, "journal_issue_new", rule(*CENTRE)),
    page(
        "journal/<int:pk>/",
        views.journal_issue,
        "journal_issue",
        rule(SIGNED_IN, pk="counseling.JournalIssue", methods=GET_ONLY),
    ),
    page(
        "journal/<int:pk>/edit/",
        views.journal_issue_edit,
        "journal_issue_edit",
        rule(SIGNED_IN, pk="counseling.JournalIssue"),
    ),
    page(
        "journal/<int:pk>/publish/",
        views.journal_issue_publish,
        "journal_issue_publish",
        rule(SIGNED_IN, pk="counseling.JournalIssue", methods=POST_ONLY),
    ),
    page(
        "journal/<int:pk>/articles/new/",
        views.journal_article_new,
        "journal_article_new",
        rule(SIGNED_IN, pk="counseling.JournalIssue"),
    ),
    page(
        "journal/<int:pk>/images/",
        views.journal_image_upload,
        "journal_image_upload",
        rule(SIGNED_IN, pk="counseling.JournalIssue", methods=POST_ONLY),
    ),
    page(
        "journal/articles/<int:pk>/",
        views.journal_article,
        "journal_article",
        rule(SIGNED_IN, pk="counseling.JournalArticle", methods=GET_ONLY),
    ),
    page(
        "journal/articles/<int:pk>/edit/",
        views.journal_article_edit,
        "journal_article_edit",
        rule(SIGNED_IN, pk="counseling.JournalArticle"),
    ),
    page(
        "journal/images/<int:pk>/",
        views.journal_image,
        "journal_image",
        rule(SIGNED_IN, pk="counseling.JournalImage", methods=GET_ONLY),
    ),
]
