"""URLs of the screening area, included by counseling/urls.py (namespace "counseling"), each with who may use
it (portal.access.page). Students take it; counsellors follow campaigns and invite positive screens."""

from counseling.access.roles import CASE_MANAGERS, CENTRE, STUDENT
from counseling.views import screening
from portal.access import GET_ONLY, POST_ONLY, page, rule

urlpatterns: list = [
    # The student's side
    page("screening/", screening.screening_mine, "screening_mine", rule(STUDENT, methods=GET_ONLY)),
    page("screening/take/<slug:instrument>/", screening.screening_take, "screening_take", rule(STUDENT)),
    page(
        "screening/results/<int:pk>/",
        screening.screening_result,
        "screening_result",
        rule(
            STUDENT, pk="counseling.ScreeningResult", methods=GET_ONLY, refused=404
        ),  # the student's own, nobody else's
    ),
    page(
        "screening/invitations/<int:pk>/",
        screening.invitation_detail,
        "invitation_detail",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=GET_ONLY, refused=404),
    ),
    page(
        "screening/invitations/<int:pk>/accept/",
        screening.invitation_accept,
        "invitation_accept",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=POST_ONLY, refused=404),
    ),
    page(
        "screening/invitations/<int:pk>/decline/",
        screening.invitation_decline,
        "invitation_decline",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=POST_ONLY, refused=404),
    ),
    # Counsellors: campaigns (心理普查), positive screens, invitations (邀约)
    page("screening/campaigns/", screening.campaign_list, "campaign_list", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page("screening/campaigns/new/", screening.campaign_new, "campaign_new", rule(*CENTRE)),
    page(
        "screening/campaigns/<int:pk>/",
        screening.campaign_detail,
        "campaign_detail",
        rule(*CASE_MANAGERS, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
    ),
    page(
        "screening/campaigns/<int:pk>/positives/",
        screening.campaign_positives,
        "campaign_positives",
        rule(*CASE_MANAGERS, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
    ),
    page(
        "screening/results/<int:pk>/invite/",
        screening.invitation_create,
        "invitation_create",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.ScreeningResult", methods=POST_ONLY, refused=404),
    ),
]
