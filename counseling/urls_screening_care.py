"""URLs from screening to care, included by counseling/urls.py (namespace "counseling"), each with who may use
it (portal.access.page). The centre runs a campaign's lifecycle and takes the positive list away; stations
export their college's completion; counsellors in scope record interview outcomes; students read their history."""

from counseling.access.roles import CASE_MANAGERS, CENTRE, STUDENT
from counseling.views import screening_care
from portal.access import GET_ONLY, POST_ONLY, page, rule

urlpatterns: list = [
    page("screening/history/", screening_care.my_history, "screening_history", rule(STUDENT, methods=GET_ONLY)),
    page(
        "screening/campaigns/<int:pk>/end/",
        screening_care.campaign_end,
        "campaign_end",
        rule(*CENTRE, pk="counseling.ScreeningCampaign", methods=POST_ONLY),
    ),
    page(
        "screening/campaigns/<int:pk>/reopen/",
        screening_care.campaign_reopen,
        "campaign_reopen",
        rule(*CENTRE, pk="counseling.ScreeningCampaign", methods=POST_ONLY),
    ),
    page(
        "screening/campaigns/<int:pk>/summary/",
        screening_care.campaign_summary,
        "campaign_summary",
        rule(*CENTRE, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
    ),
    page(
        "screening/campaigns/<int:pk>/export/completion.xlsx",
        screening_care.export_completion,
        "campaign_export_completion",
        rule(*CASE_MANAGERS, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
    ),
    page(
        "screening/campaigns/<int:pk>/export/positives.xlsx",
        screening_care.export_positives,
        "campaign_export_positives",
        rule(*CENTRE, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
    ),
    page(
        "screening/results/<int:pk>/outcome/",
        screening_care.outcome_record,
        "outcome_record",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.ScreeningResult", methods=POST_ONLY, refused=404),
    ),
]
