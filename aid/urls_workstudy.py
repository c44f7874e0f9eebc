"""URLs of work-study, included by aid/urls.py (namespace "aid"), each with who may use it (portal.access.page).

Students apply; a post's supervisor places and signs off hours. Supervisors are any staff member a post names,
not a role: those pages are SIGNED_IN and the view checks the post."""

from aid.access.roles import OFFICE, REVIEWERS, STUDENT
from aid.views import workstudy
from portal.access import GET_ONLY, POST_ONLY, SIGNED_IN, page, rule

urlpatterns = [
    page("work-study/", workstudy.workstudy_posts, "workstudy_posts", rule(SIGNED_IN, methods=GET_ONLY)),
    page("work-study/new/", workstudy.workstudy_post_new, "workstudy_post_new", rule(*OFFICE)),
    page(
        "work-study/<int:pk>/",
        workstudy.workstudy_post_detail,
        "workstudy_post_detail",
        rule(SIGNED_IN, pk="aid.WorkStudyPost", methods=GET_ONLY),
    ),
    page(
        "work-study/<int:pk>/edit/",
        workstudy.workstudy_post_edit,
        "workstudy_post_edit",
        rule(SIGNED_IN, pk="aid.WorkStudyPost"),
    ),
    page(
        "work-study/<int:pk>/apply/",
        workstudy.workstudy_apply,
        "workstudy_apply",
        rule(STUDENT, *REVIEWERS, pk="aid.WorkStudyPost", methods=POST_ONLY, refused=404),
    ),
    page(
        "work-study/placements/<int:pk>/decide/",
        workstudy.workstudy_decide,
        "workstudy_decide",
        rule(SIGNED_IN, pk="aid.WorkStudyPlacement", methods=POST_ONLY),
    ),
    page(
        "work-study/placements/<int:pk>/withdraw/",
        workstudy.workstudy_withdraw,
        "workstudy_withdraw",
        rule(STUDENT, *REVIEWERS, pk="aid.WorkStudyPlacement", methods=POST_ONLY, refused=404),
    ),
    page(
        "work-study/placements/<int:pk>/hours/",
        workstudy.workstudy_timesheet,
        "workstudy_timesheet",
        rule(SIGNED_IN, pk="aid.WorkStudyPlacement"),
    ),
    page(
        "work-study/timesheets/<int:pk>/review/",
        workstudy.workstudy_timesheet_review,
        "workstudy_timesheet_review",
        rule(SIGNED_IN, pk="aid.Timesheet", methods=POST_ONLY),
    ),
]
