"""URLs of supervised session notes, included by counseling/urls.py (namespace "counseling"), each with who may
use it (portal.access.page). A note is read by its author and centre counsellors only (404 for the rest, admins
included: they read nothing clinical in the app); the supervisor's queue is a centre counsellor's page."""

from counseling.access.roles import COUNSELLORS
from counseling.views import session_notes as views
from portal.access import GET_ONLY, POST_ONLY, page, rule
from portal.models import Role

urlpatterns: list = [
    page(
        "appointments/bookings/<int:pk>/note/",
        views.session_note,
        "session_note",
        rule(*COUNSELLORS, pk="counseling.Booking", refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/note/sign/",
        views.session_note_sign,
        "session_note_sign",
        rule(*COUNSELLORS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/note/amend/",
        views.session_note_amend,
        "session_note_amend",
        rule(*COUNSELLORS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/note/cosign/",
        views.session_note_cosign,
        "session_note_cosign",
        rule(Role.CENTRE_COUNSELLOR, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/notes/awaiting-cosign/",
        views.cosign_queue,
        "cosign_queue",
        rule(Role.CENTRE_COUNSELLOR, methods=GET_ONLY),
    ),
]
