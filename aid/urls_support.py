"""URLs of the support area, included by aid/urls.py (namespace "aid").

Five-aid cases and work-study first; the hidden-aid URLs follow at the end.
"""

from django.urls import path

from aid.views import dashboard, fiveaid, workstudy

urlpatterns: list = [
    # --- Five-aid
    path("support/", fiveaid.fiveaid_list, name="fiveaid_list"),
    path("support/open-all/", fiveaid.fiveaid_open_all, name="fiveaid_open_all"),
    path("support/mine/", fiveaid.fiveaid_mine, name="fiveaid_mine"),
    path("support/<int:pk>/", fiveaid.fiveaid_detail, name="fiveaid_detail"),
    path("support/<int:pk>/plan/", fiveaid.fiveaid_plan, name="fiveaid_plan"),
    path("support/<int:pk>/entry/", fiveaid.fiveaid_entry_add, name="fiveaid_entry_add"),
    path("support/<int:pk>/review/", fiveaid.fiveaid_review, name="fiveaid_review"),
    path("support/<int:pk>/employment/", fiveaid.fiveaid_employment, name="fiveaid_employment"),
    path("support/<int:pk>/refer/", fiveaid.fiveaid_refer, name="fiveaid_refer"),
    # --- Work-study
    path("work-study/", workstudy.workstudy_posts, name="workstudy_posts"),
    path("work-study/new/", workstudy.workstudy_post_new, name="workstudy_post_new"),
    path("work-study/<int:pk>/", workstudy.workstudy_post_detail, name="workstudy_post_detail"),
    path("work-study/<int:pk>/edit/", workstudy.workstudy_post_edit, name="workstudy_post_edit"),
    path("work-study/<int:pk>/apply/", workstudy.workstudy_apply, name="workstudy_apply"),
    path("work-study/placements/<int:pk>/decide/", workstudy.workstudy_decide, name="workstudy_decide"),
    path("work-study/placements/<int:pk>/withdraw/", workstudy.workstudy_withdraw, name="workstudy_withdraw"),
    path("work-study/placements/<int:pk>/hours/", workstudy.workstudy_timesheet, name="workstudy_timesheet"),
    path(
        "work-study/timesheets/<int:pk>/review/",
        workstudy.workstudy_timesheet_review,
        name="workstudy_timesheet_review",
    ),
    # --- Dashboard
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.xlsx", dashboard.dashboard_export, name="dashboard_export"),
]


# --- Hidden aid (隐形资助) -------------------------------------------------------------------------------
from django.urls import path as _path  # noqa: E402

from aid.views import hiddenaid as _hiddenaid  # noqa: E402

urlpatterns += [
    _path("hidden/", _hiddenaid.index, name="hiddenaid_index"),
    _path("hidden/import/", _hiddenaid.canteen_import, name="hiddenaid_import"),
    _path("hidden/evaluate/", _hiddenaid.evaluate, name="hiddenaid_evaluate"),
    _path("hidden/<int:pk>/", _hiddenaid.batch_detail, name="hiddenaid_batch"),
    _path("hidden/<int:pk>/add/", _hiddenaid.candidate_add, name="hiddenaid_candidate_add"),
    _path("hidden/<int:pk>/approve/", _hiddenaid.approve, name="hiddenaid_approve"),
    _path("hidden/<int:pk>/pay/", _hiddenaid.pay, name="hiddenaid_pay"),
    _path("hidden/candidate/<int:pk>/remove/", _hiddenaid.candidate_remove, name="hiddenaid_candidate_remove"),
    _path("hidden/mine/", _hiddenaid.mine, name="hiddenaid_mine"),
    _path("hidden/mine/<int:pk>/decline/", _hiddenaid.decline, name="hiddenaid_decline"),
    _path("hidden/mine/<int:pk>/return/", _hiddenaid.return_subsidy, name="hiddenaid_return"),
]
