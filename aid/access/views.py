"""Who may use each aid view: one declaration per URL name (see portal.access.declare_views).

The roles here are checked by portal.middleware.ViewAccessMiddleware before the view runs; the view still
decides object scope (404 outside it) and the finer rules (403). Roles are named when they may use the page
or see the objects it acts on (the view then answers 403 to an action they may not take); `refused=404` where
the roles not named can see no object of the kind. docs/access-matrix.md shows the outcome
for every persona; `python manage.py access_matrix` regenerates it.

Counselling staff never see family finances, so no aid page names them, except the hidden-aid candidate list
where college counsellors (辅导员) may add or remove names. Work-study supervisors are any staff member a
post names, not a role: those pages are SIGNED_IN and the view checks the post.
"""

from portal.access import GET_ONLY, POST_ONLY, SIGNED_IN, declare_views, rule
from portal.models import Role

STUDENT = Role.STUDENT
REVIEWERS = (Role.AID_REVIEWER, Role.AID_OFFICER, Role.ADMIN)  # college reviewers (their college) and the office
OFFICE = (Role.AID_OFFICER, Role.ADMIN)

declare_views(
    "aid",
    {
        "index": rule(SIGNED_IN),
        # Identification (家庭经济困难认定): the student applies; the college reviews; the office decides.
        "identification_mine": rule(STUDENT, methods=GET_ONLY),
        "identification_edit": rule(STUDENT),
        "identification_document_add": rule(STUDENT, methods=POST_ONLY),
        "identification_document": rule(
            STUDENT, *REVIEWERS, pk="aid.IdentificationDocument", methods=GET_ONLY, refused=404
        ),
        "identification_document_delete": rule(STUDENT, *REVIEWERS, pk="aid.IdentificationDocument", methods=POST_ONLY),
        "identification_list": rule(*REVIEWERS, methods=GET_ONLY),
        "identification_detail": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=GET_ONLY, refused=404),
        "identification_appeal": rule(STUDENT, Role.ADMIN, pk="aid.Identification", methods=POST_ONLY),
        "identification_class_close": rule(
            STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
        "identification_return": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        "identification_college_review": rule(
            STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
        "identification_objection_answer": rule(*REVIEWERS, pk="aid.Objection", methods=POST_ONLY, refused=404),
        "identification_school_review": rule(
            STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
        "identification_approve": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        "identification_reject": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        "identification_appeal_answer": rule(
            STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
        "identification_adjust": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        "identification_revoke": rule(STUDENT, *REVIEWERS, pk="aid.Identification", methods=POST_ONLY, refused=404),
        # The class evaluation group (评议小组) is made of students of the class.
        "evaluation_groups": rule(*REVIEWERS, methods=GET_ONLY),
        "evaluation_group_edit": rule(*REVIEWERS, pk="portal.ClassGroup"),
        "evaluation_mine": rule(STUDENT, methods=GET_ONLY),
        "evaluation_record": rule(STUDENT, pk="aid.Identification", methods=POST_ONLY),
        # Notices: only to that class or college while they run.
        "notice_list": rule(STUDENT, *REVIEWERS, methods=GET_ONLY),
        "notice_publish": rule(*REVIEWERS),
        "notice_detail": rule(STUDENT, *REVIEWERS, pk="aid.Notice", methods=GET_ONLY, refused=404),
        "notice_object": rule(
            STUDENT, *REVIEWERS, pk="aid.Notice", identification_pk="aid.Identification", methods=POST_ONLY, refused=404
        ),
        # Programmes, applications, funds, payments.
        "programme_list": rule(STUDENT, methods=GET_ONLY),
        "programme_apply": rule(STUDENT, pk="aid.Programme"),
        "payment_bank_account": rule(STUDENT),
        "application_list": rule(*OFFICE, methods=GET_ONLY),
        "application_queue": rule(*REVIEWERS, methods=GET_ONLY),
        "application_detail": rule(STUDENT, *REVIEWERS, pk="aid.Application", methods=GET_ONLY, refused=404),
        "application_action": rule(STUDENT, *REVIEWERS, pk="aid.Application", methods=POST_ONLY, refused=404),
        "fund_list": rule(*OFFICE),
        "fund_detail": rule(*OFFICE, pk="aid.Fund"),
        "programme_manage": rule(*OFFICE, methods=GET_ONLY),
        "programme_edit": rule(*OFFICE, pk="aid.Programme"),
        "programme_quota": rule(*OFFICE, pk="aid.Programme", methods=POST_ONLY),
        "batch_list": rule(*OFFICE),
        "batch_detail": rule(*OFFICE, pk="aid.PaymentBatch", methods=GET_ONLY),
        "batch_mark_paid": rule(*OFFICE, pk="aid.PaymentBatch", methods=POST_ONLY),
        "batch_export": rule(*OFFICE, pk="aid.PaymentBatch", methods=GET_ONLY),
        "payment_returned": rule(*OFFICE, pk="aid.Payment", methods=POST_ONLY),
        # Five-aid cases: the student sees a summary of their own ("mine"); aid staff the rest.
        "fiveaid_list": rule(*REVIEWERS, methods=GET_ONLY),
        "fiveaid_open_all": rule(*OFFICE, methods=POST_ONLY),
        "fiveaid_mine": rule(SIGNED_IN, methods=GET_ONLY),
        "fiveaid_detail": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=GET_ONLY, refused=404),
        "fiveaid_plan": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404),
        "fiveaid_entry_add": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404),
        "fiveaid_review": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404),
        "fiveaid_employment": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404),
        "fiveaid_refer": rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404),
        # Work-study: students apply; a post's supervisor (any staff member) places and signs off hours.
        "workstudy_posts": rule(SIGNED_IN, methods=GET_ONLY),
        "workstudy_post_new": rule(*OFFICE),
        "workstudy_post_detail": rule(SIGNED_IN, pk="aid.WorkStudyPost", methods=GET_ONLY),
        "workstudy_post_edit": rule(SIGNED_IN, pk="aid.WorkStudyPost"),
        "workstudy_apply": rule(STUDENT, *REVIEWERS, pk="aid.WorkStudyPost", methods=POST_ONLY, refused=404),
        "workstudy_decide": rule(SIGNED_IN, pk="aid.WorkStudyPlacement", methods=POST_ONLY),
        "workstudy_withdraw": rule(STUDENT, *REVIEWERS, pk="aid.WorkStudyPlacement", methods=POST_ONLY, refused=404),
        "workstudy_timesheet": rule(SIGNED_IN, pk="aid.WorkStudyPlacement"),
        "workstudy_timesheet_review": rule(SIGNED_IN, pk="aid.Timesheet", methods=POST_ONLY),
        "dashboard": rule(*REVIEWERS, methods=GET_ONLY),
        "dashboard_export": rule(*REVIEWERS, methods=GET_ONLY),
        # Hidden aid (隐形资助): never published; college counsellors may add or remove names with a reason.
        "hiddenaid_index": rule(Role.STATION_COUNSELLOR, *REVIEWERS, methods=GET_ONLY),
        "hiddenaid_import": rule(*OFFICE),
        "hiddenaid_evaluate": rule(*OFFICE, methods=POST_ONLY),
        "hiddenaid_batch": rule(
            Role.STATION_COUNSELLOR, *REVIEWERS, pk="aid.HiddenAidBatch", methods=GET_ONLY, refused=404
        ),
        "hiddenaid_candidate_add": rule(
            Role.STATION_COUNSELLOR, *REVIEWERS, pk="aid.HiddenAidBatch", methods=POST_ONLY, refused=404
        ),
        "hiddenaid_approve": rule(
            Role.STATION_COUNSELLOR, *REVIEWERS, pk="aid.HiddenAidBatch", methods=POST_ONLY, refused=404
        ),
        "hiddenaid_pay": rule(
            Role.STATION_COUNSELLOR, *REVIEWERS, pk="aid.HiddenAidBatch", methods=POST_ONLY, refused=404
        ),
        "hiddenaid_candidate_remove": rule(
            Role.STATION_COUNSELLOR, *REVIEWERS, pk="aid.HiddenAidCandidate", methods=POST_ONLY, refused=404
        ),
        # The student's private notice; SIGNED_IN so the page says "nothing for you" rather than refusing.
        "hiddenaid_mine": rule(SIGNED_IN, methods=GET_ONLY),
        "hiddenaid_decline": rule(STUDENT, pk="aid.HiddenAidCandidate", methods=POST_ONLY, refused=404),
        "hiddenaid_return": rule(STUDENT, pk="aid.HiddenAidCandidate", methods=POST_ONLY, refused=404),
    },
)
