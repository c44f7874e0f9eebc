"""URLs of the screening area, included by counseling/urls.py (namespace "counseling")."""

from django.urls import path

from counseling.views import screening

urlpatterns: list = [
    # The student's side
    path("screening/", screening.screening_mine, name="screening_mine"),
    path("screening/take/<slug:instrument>/", screening.screening_take, name="screening_take"),
    path("screening/results/<int:pk>/", screening.screening_result, name="screening_result"),
    path("screening/invitations/<int:pk>/", screening.invitation_detail, name="invitation_detail"),
    path("screening/invitations/<int:pk>/accept/", screening.invitation_accept, name="invitation_accept"),
    path("screening/invitations/<int:pk>/decline/", screening.invitation_decline, name="invitation_decline"),
    # Counsellors: campaigns (心理普查), positive screens, invitations (邀约)
    path("screening/campaigns/", screening.campaign_list, name="campaign_list"),
    path("screening/campaigns/new/", screening.campaign_new, name="campaign_new"),
    path("screening/campaigns/<int:pk>/", screening.campaign_detail, name="campaign_detail"),
    path("screening/campaigns/<int:pk>/positives/", screening.campaign_positives, name="campaign_positives"),
    path("screening/results/<int:pk>/invite/", screening.invitation_create, name="invitation_create"),
]
