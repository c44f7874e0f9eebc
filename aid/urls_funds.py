"""URLs of the funds area, included by aid/urls.py (namespace "aid"), each with who may use it
(portal.access.page): programmes, applications, funds, payments."""

from aid.access.roles import OFFICE, REVIEWERS, STUDENT
from aid.views import funds
from portal.access import GET_ONLY, POST_ONLY, page, rule

urlpatterns = [
    # Students
    page("programmes/", funds.programme_list, "programme_list", rule(STUDENT, methods=GET_ONLY)),
    page("programmes/<int:pk>/apply/", funds.programme_apply, "programme_apply", rule(STUDENT, pk="aid.Programme")),
    page("bank-account/", funds.payment_bank_account, "payment_bank_account", rule(STUDENT)),
    # Applications: the page, its actions, the college queue, the officers' list
    page("applications/", funds.application_list, "application_list", rule(*OFFICE, methods=GET_ONLY)),
    page("applications/review/", funds.application_queue, "application_queue", rule(*REVIEWERS, methods=GET_ONLY)),
    page(
        "applications/<int:pk>/",
        funds.application_detail,
        "application_detail",
        rule(STUDENT, *REVIEWERS, pk="aid.Application", methods=GET_ONLY, refused=404),
    ),
    page(
        "applications/<int:pk>/<slug:action>/",
        funds.application_action,
        "application_action",
        rule(STUDENT, *REVIEWERS, pk="aid.Application", methods=POST_ONLY, refused=404),
    ),
    # Officers: funds, programmes and quotas, batches and payments
    page("funds/", funds.fund_list, "fund_list", rule(*OFFICE)),
    page("funds/<int:pk>/", funds.fund_detail, "fund_detail", rule(*OFFICE, pk="aid.Fund")),
    page("programmes/manage/", funds.programme_manage, "programme_manage", rule(*OFFICE, methods=GET_ONLY)),
    page("programmes/<int:pk>/edit/", funds.programme_edit, "programme_edit", rule(*OFFICE, pk="aid.Programme")),
    page(
        "programmes/<int:pk>/quota/",
        funds.programme_quota,
        "programme_quota",
        rule(*OFFICE, pk="aid.Programme", methods=POST_ONLY),
    ),
    page("batches/", funds.batch_list, "batch_list", rule(*OFFICE)),
    page(
        "batches/<int:pk>/",
        funds.batch_detail,
        "batch_detail",
        rule(*OFFICE, pk="aid.PaymentBatch", methods=GET_ONLY),
    ),
    page(
        "batches/<int:pk>/paid/",
        funds.batch_mark_paid,
        "batch_mark_paid",
        rule(*OFFICE, pk="aid.PaymentBatch", methods=POST_ONLY),
    ),
    page(
        "batches/<int:pk>/export.xlsx",
        funds.batch_export,
        "batch_export",
        rule(*OFFICE, pk="aid.PaymentBatch", methods=GET_ONLY),
    ),
    page(
        "payments/<int:pk>/returned/",
        funds.payment_returned,
        "payment_returned",
        rule(*OFFICE, pk="aid.Payment", methods=POST_ONLY),
    ),
]
