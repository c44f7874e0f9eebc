"""URLs of the appointments area, included by counseling/urls.py (namespace "counseling"), each with who may
use it (portal.access.page). Students book; counsellors publish availability and see their agenda."""

from counseling.access.roles import CASE_MANAGERS, COUNSELLORS, STUDENT
from counseling.views import appointments as views
from portal.access import GET_ONLY, POST_ONLY, page, rule

urlpatterns: list = [
    # Students
    page("appointments/", views.slots, "slots", rule(STUDENT, methods=GET_ONLY)),
    page(
        "appointments/slots/<int:slot_id>/book/",
        views.booking_new,
        "booking_new",
        rule(STUDENT, slot_id="counseling.Slot"),
    ),
    page("appointments/mine/", views.my_bookings, "my_bookings", rule(STUDENT, methods=GET_ONLY)),
    page(
        "appointments/bookings/<int:pk>/cancel/",
        views.booking_cancel,
        "booking_cancel",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/calendar.ics",
        views.booking_ics,
        "booking_ics",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=GET_ONLY, refused=404),
    ),
    page("appointments/waitlist/join/", views.waitlist_join, "waitlist_join", rule(STUDENT, methods=POST_ONLY)),
    page(
        "appointments/waitlist/<int:pk>/leave/",
        views.waitlist_leave,
        "waitlist_leave",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.WaitlistEntry", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/waitlist/<int:pk>/accept/",
        views.waitlist_accept,
        "waitlist_accept",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.WaitlistEntry", refused=404),
    ),
    # Counsellors: availability
    page("appointments/availability/", views.availability, "availability", rule(*COUNSELLORS, methods=GET_ONLY)),
    page(
        "appointments/availability/weekly/",
        views.template_add,
        "availability_template_add",
        rule(*COUNSELLORS, methods=POST_ONLY),
    ),
    page(
        "appointments/availability/weekly/<int:pk>/stop/",
        views.template_stop,
        "availability_template_stop",
        rule(*COUNSELLORS, pk="counseling.AvailabilityTemplate", methods=POST_ONLY),
    ),
    page("appointments/availability/slots/", views.slot_add, "slot_add", rule(*COUNSELLORS, methods=POST_ONLY)),
    page(
        "appointments/availability/slots/<int:pk>/cancel/",
        views.slot_cancel,
        "slot_cancel",
        rule(*COUNSELLORS, pk="counseling.Slot", methods=POST_ONLY),
    ),
    page(
        "appointments/availability/blocked/",
        views.blocked_day_add,
        "blocked_day_add",
        rule(*COUNSELLORS, methods=POST_ONLY),
    ),
    page(
        "appointments/availability/blocked/<int:pk>/remove/",
        views.blocked_day_remove,
        "blocked_day_remove",
        rule(*COUNSELLORS, pk="counseling.BlockedDay", methods=POST_ONLY),
    ),
    # Counsellors: agenda
    page("appointments/agenda/", views.agenda, "agenda", rule(*CASE_MANAGERS, methods=GET_ONLY)),
    page(
        "appointments/bookings/<int:pk>/approve/",
        views.booking_approve,
        "booking_approve",
        rule(*CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/decline/",
        views.booking_decline,
        "booking_decline",
        rule(*CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    page(
        "appointments/bookings/<int:pk>/outcome/",
        views.booking_outcome,
        "booking_outcome",
        rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
    ),
    # Session notes: counseling/urls_session_notes.py.
    page(
        "appointments/restrictions/<int:pk>/lift/",
        views.restriction_lift,
        "restriction_lift",
        rule(*CASE_MANAGERS, pk="counseling.BookingRestriction", methods=POST_ONLY),
    ),
]
