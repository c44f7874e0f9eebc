"""URLs of hidden aid (隐形资助), included by aid/urls.py (namespace "aid"), each with who may use it
(portal.access.page). Never published: college counsellors (the station counsellor) and aid reviewers may add
or remove names of the batch under review with a reason; everything else is the aid office's, and a student
sees only their own notice."""

from aid.access.roles import OFFICE, REVIEWERS, STUDENT
from aid.views import hiddenaid
from portal.access import GET_ONLY, POST_ONLY, SIGNED_IN, page, rule
from portal.models import Role

COLLEGE = (Role.STATION_COUNSELLOR, *REVIEWERS)
BATCH_ACTION = rule(*COLLEGE, pk="aid.HiddenAidBatch", methods=POST_ONLY, refused=404)
OWN_SUBSIDY = rule(STUDENT, pk="aid.HiddenAidCandidate", methods=POST_ONLY, refused=404)

urlpatterns = [
    page("hidden/", hiddenaid.index, "hiddenaid_index", rule(*COLLEGE, methods=GET_ONLY)),
    page("hidden/import/", hiddenaid.canteen_import, "hiddenaid_import", rule(*OFFICE)),
    page("hidden/evaluate/", hiddenaid.evaluate, "hiddenaid_evaluate", rule(*OFFICE, methods=POST_ONLY)),
    page(
        "hidden/<int:pk>/",
        hiddenaid.batch_detail,
        "hiddenaid_batch",
        rule(*COLLEGE, pk="aid.HiddenAidBatch", methods=GET_ONLY, refused=404),
    ),
    page("hidden/<int:pk>/add/", hiddenaid.candidate_add, "hiddenaid_candidate_add", BATCH_ACTION),
    page("hidden/<int:pk>/approve/", hiddenaid.approve, "hiddenaid_approve", BATCH_ACTION),
    page("hidden/<int:pk>/pay/", hiddenaid.pay, "hiddenaid_pay", BATCH_ACTION),
    page(
        "hidden/candidate/<int:pk>/remove/",
        hiddenaid.candidate_remove,
        "hiddenaid_candidate_remove",
        rule(*COLLEGE, pk="aid.HiddenAidCandidate", methods=POST_ONLY, refused=404),
    ),
    # The student's private notice; SIGNED_IN so the page says "nothing for you" rather than refusing.
    page("hidden/mine/", hiddenaid.mine, "hiddenaid_mine", rule(SIGNED_IN, methods=GET_ONLY)),
    page("hidden/mine/<int:pk>/decline/", hiddenaid.decline, "hiddenaid_decline", OWN_SUBSIDY),
    page("hidden/mine/<int:pk>/return/", hiddenaid.return_subsidy, "hiddenaid_return", OWN_SUBSIDY),
]
