"""URLs of five-aid cases, included by aid/urls.py (namespace "aid"), each with who may use it
(portal.access.page). The paths say "support/" (support plans). The student sees a summary of their own
("mine"); aid staff the rest."""

from aid.access.roles import OFFICE, REVIEWERS
from aid.views import fiveaid
from portal.access import GET_ONLY, POST_ONLY, SIGNED_IN, page, rule

CASE_ACTION = rule(*REVIEWERS, pk="aid.FiveAidCase", methods=POST_ONLY, refused=404)

urlpatterns = [
    page("support/", fiveaid.fiveaid_list, "fiveaid_list", rule(*REVIEWERS, methods=GET_ONLY)),
    page("support/open-all/", fiveaid.fiveaid_open_all, "fiveaid_open_all", rule(*OFFICE, methods=POST_ONLY)),
    page("support/mine/", fiveaid.fiveaid_mine, "fiveaid_mine", rule(SIGNED_IN, methods=GET_ONLY)),
    page(
        "support/<int:pk>/",
        fiveaid.fiveaid_detail,
        "fiveaid_detail",
        rule(*REVIEWERS, pk="aid.FiveAidCase", methods=GET_ONLY, refused=404),
    ),
    page("support/<int:pk>/plan/", fiveaid.fiveaid_plan, "fiveaid_plan", CASE_ACTION),
    page("support/<int:pk>/entry/", fiveaid.fiveaid_entry_add, "fiveaid_entry_add", CASE_ACTION),
    page("support/<int:pk>/review/", fiveaid.fiveaid_review, "fiveaid_review", CASE_ACTION),
    page("support/<int:pk>/employment/", fiveaid.fiveaid_employment, "fiveaid_employment", CASE_ACTION),
    page("support/<int:pk>/refer/", fiveaid.fiveaid_refer, "fiveaid_refer", CASE_ACTION),
]
