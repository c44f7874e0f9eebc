"""URLs of visit records and follow-ups, each with who may use it
(portal.access.page). A follow-up's owner may be any staff member, so closing one is SIGNED_IN and the view
checks the owner."""

from homevisits.roles import TEAMS
from homevisits.views import offline
from homevisits.views import records as views
from portal.access import GET_ONLY, POST_ONLY, PUBLIC, SIGNED_IN, page, rule

urlpatterns = [
    page("sw.js", offline.service_worker, "service_worker", rule(PUBLIC, methods=GET_ONLY)),
    page(
        "planned/<int:pk>/record/",
        views.record_new,
        "record_new",
        rule(*TEAMS, pk="homevisits.TripStudent", refused=404),
    ),
    page(
        "planned/<int:pk>/draft/",
        views.draft_save,
        "draft_save",
        rule(*TEAMS, pk="homevisits.TripStudent", methods=POST_ONLY, refused=404),
    ),
    page(
        "records/<int:pk>/",
        views.record_detail,
        "record_detail",
        rule(*TEAMS, pk="homevisits.VisitRecord", methods=GET_ONLY, refused=404),
    ),
    page(
        "records/<int:pk>/photos/",
        views.photo_add,
        "photo_add",
        rule(*TEAMS, pk="homevisits.VisitRecord", methods=POST_ONLY, refused=404),
    ),
    page(
        "photos/<int:pk>/",
        views.photo,
        "photo",
        rule(*TEAMS, pk="homevisits.VisitPhoto", methods=GET_ONLY, refused=404),
    ),
    page(
        "records/<int:pk>/follow-ups/",
        views.follow_up_add_view,
        "follow_up_add",
        rule(*TEAMS, pk="homevisits.VisitRecord", methods=POST_ONLY, refused=404),
    ),
    page(
        "follow-ups/<int:pk>/done/",
        views.follow_up_done,
        "follow_up_done",
        rule(SIGNED_IN, pk="homevisits.FollowUp", methods=POST_ONLY),
    ),
    page("follow-ups/", views.my_follow_ups, "my_follow_ups", rule(SIGNED_IN, methods=GET_ONLY)),
]
