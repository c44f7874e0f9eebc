"""URLs of postvention (危机事件后干预), included by counseling/urls.py (namespace "counseling"), each with who may
use it (portal.access.page). The centre opens and fills plans; the station follows its college's plans; dorm
liaisons, class committee members and counsellors do the check-ins assigned to them."""

from counseling.access.roles import CENTRE, COUNSELLORS
from counseling.views import postvention
from portal.access import GET_ONLY, POST_ONLY, page, rule
from portal.models import Role

PROGRESS = (*COUNSELLORS, Role.ADMIN)  # the centre, and each station for its own college
CHECKERS = (Role.DORM_LIAISON, Role.CLASS_COMMITTEE, *COUNSELLORS, Role.ADMIN)

urlpatterns: list = [
    page("postvention/", postvention.postvention_list, "postvention_list", rule(*PROGRESS, methods=GET_ONLY)),
    page("postvention/incidents/new/", postvention.incident_new, "postvention_incident_new", rule(*CENTRE)),
    page("postvention/open/", postvention.postvention_open, "postvention_open", rule(*CENTRE, methods=POST_ONLY)),
    page(
        "postvention/<int:pk>/",
        postvention.postvention_plan,
        "postvention_plan",
        rule(*PROGRESS, pk="counseling.PostventionPlan", methods=GET_ONLY, refused=404),
    ),
    page(
        "postvention/<int:pk>/contacts/",
        postvention.plan_contact_add,
        "postvention_contact_add",
        rule(*PROGRESS, pk="counseling.PostventionPlan", methods=POST_ONLY, refused=404),
    ),
    page(
        "postvention/<int:pk>/suggested/",
        postvention.plan_contacts_suggested,
        "postvention_contacts_suggested",
        rule(*PROGRESS, pk="counseling.PostventionPlan", methods=POST_ONLY, refused=404),
    ),
    page(
        "postvention/<int:pk>/close/",
        postvention.plan_close,
        "postvention_close",
        rule(*PROGRESS, pk="counseling.PostventionPlan", methods=POST_ONLY, refused=404),
    ),
    page(
        "postvention/contacts/<int:pk>/check-in/",
        postvention.contact_checkin_assign,
        "postvention_checkin_assign",
        rule(*PROGRESS, pk="counseling.PostventionContact", methods=POST_ONLY, refused=404),
    ),
    # The assignee's side: the person to check and a generic script, never the index student.
    page("check-ins/", postvention.my_checkins, "my_checkins", rule(*CHECKERS, methods=GET_ONLY)),
    page(
        "check-ins/<int:pk>/outcome/",
        postvention.checkin_outcome,
        "checkin_outcome",
        rule(*CHECKERS, pk="counseling.CheckIn", methods=POST_ONLY, refused=404),
    ),
]
