"""URLs of the appointments area, included by counseling/urls.py (namespace "counseling")."""

from django.urls import path

from counseling.views import appointments as views

urlpatterns: list = [
    # Students
    path("appointments/", views.slots, name="slots"),
    path("appointments/slots/<int:slot_id>/book/", views.booking_new, name="booking_new"),
    path("appointments/mine/", views.my_bookings, name="my_bookings"),
    path("appointments/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("appointments/bookings/<int:pk>/calendar.ics", views.booking_ics, name="booking_ics"),
    path("appointments/waitlist/join/", views.waitlist_join, name="waitlist_join"),
    path("appointments/waitlist/<int:pk>/leave/", views.waitlist_leave, name="waitlist_leave"),
    path("appointments/waitlist/<int:pk>/accept/", views.waitlist_accept, name="waitlist_accept"),
    # Counsellors: availability
    path("appointments/availability/", views.availability, name="availability"),
    path("appointments/availability/weekly/", views.template_add, name="availability_template_add"),
    path("appointments/availability/weekly/<int:pk>/stop/", views.template_stop, name="availability_template_stop"),
    path("appointments/availability/slots/", views.slot_add, name="slot_add"),
    path("appointments/availability/slots/<int:pk>/cancel/", views.slot_cancel, name="slot_cancel"),
    path("appointments/availability/blocked/", views.blocked_day_add, name="blocked_day_add"),
    path("appointments/availability/blocked/<int:pk>/remove/", views.blocked_day_remove, name="blocked_day_remove"),
    # Counsellors: agenda
    path("appointments/agenda/", views.agenda, name="agenda"),
    path("appointments/bookings/<int:pk>/approve/", views.booking_approve, name="booking_approve"),
    path("appointments/bookings/<int:pk>/decline/", views.booking_decline, name="booking_decline"),
    path("appointments/bookings/<int:pk>/outcome/", views.booking_outcome, name="booking_outcome"),
    path("appointments/bookings/<int:pk>/note/", views.session_note, name="session_note"),
    path("appointments/restrictions/<int:pk>/lift/", views.restriction_lift, name="restriction_lift"),
]
