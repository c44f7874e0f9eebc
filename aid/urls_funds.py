"""URLs of the funds area, included by aid/urls.py (namespace "aid")."""

from django.urls import path

from aid.views import funds

urlpatterns = [
    # Students
    path("programmes/", funds.programme_list, name="programme_list"),
    path("programmes/<int:pk>/apply/", funds.programme_apply, name="programme_apply"),
    path("bank-account/", funds.payment_bank_account, name="payment_bank_account"),
    # Applications: the page, its actions, the college queue, the officers' list
    path("applications/", funds.application_list, name="application_list"),
    path("applications/review/", funds.application_queue, name="application_queue"),
    path("applications/<int:pk>/", funds.application_detail, name="application_detail"),
    path("applications/<int:pk>/<slug:action>/", funds.application_action, name="application_action"),
    # Officers: funds, programmes and quotas, batches and payments
    path("funds/", funds.fund_list, name="fund_list"),
    path("funds/<int:pk>/", funds.fund_detail, name="fund_detail"),
    path("programmes/manage/", funds.programme_manage, name="programme_manage"),
    path("programmes/<int:pk>/edit/", funds.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/quota/", funds.programme_quota, name="programme_quota"),
    path("batches/", funds.batch_list, name="batch_list"),
    path("batches/<int:pk>/", funds.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/paid/", funds.batch_mark_paid, name="batch_mark_paid"),
    path("batches/<int:pk>/export.xlsx", funds.batch_export, name="batch_export"),
    path("payments/<int:pk>/returned/", funds.payment_returned, name="payment_returned"),
]
