"""Counselling's sections of a student's data copy (portal.personal_data).

Only what the student sees in the portal: their own named reports with the reporter's status and the
questions they were asked, their bookings, waitlist, screening results and invitations, and event sign-ups.
Never a report filed by someone else about them, nor cases, timelines, assessments, session notes or the
care file: those are the counsellors' records.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from counseling.instruments import band_label
from counseling.models import Booking, EventSignup, Invitation, Report, ScreeningResult, WaitlistEntry
from portal.models import Student
from portal.personal_data import Row, register_section

REPORTER_STATUS = {"received": _("received"), "seen": _("seen by a counsellor"), "closed": _("closed")}


def _reports(student: Student) -> list[Row]:
    reports = (
        Report.objects.filter(reporter_id=student.user_id, anonymous=False)
        .prefetch_related("questions")
        .order_by("-created_at")
    )
    return [
        {
            _("reported"): r.created_at,
            _("observed signs"): r.sign_labels(),
            _("status"): REPORTER_STATUS[r.reporter_status()],
            _("questions to the reporter"): [
                {
                    _("asked"): q.asked_at,
                    _("question"): q.question,
                    _("answer"): q.answer,
                    _("answered"): q.answered_at,
                }
                for q in r.questions.all()
            ],
        }
        for r in reports
    ]


def _bookings(student: Student) -> list[Row]:
    bookings = Booking.objects.filter(student=student).select_related("slot__counsellor").order_by("-slot__starts_at")
    return [
        {
            _("starts"): b.slot.starts_at,
            _("ends"): b.slot.ends_at,
            _("counsellor"): b.slot.counsellor.display_name,
            _("mode"): b.slot.get_mode_display(),
            _("room or meeting link"): b.slot.location,
            _("status"): b.get_status_display(),
            _("what would you like to talk about?"): b.reason,
            _("first visit"): b.first_visit,
            _("consent given"): b.consent_at,
            _("cancelled"): b.cancelled_at,
        }
        for b in bookings
    ]


def _waitlist(student: Student) -> list[Row]:
    entries = WaitlistEntry.objects.filter(student=student).select_related("counsellor").order_by("-created_at")
    return [
        {
            _("created"): e.created_at,
            _("counsellor"): e.counsellor.display_name if e.counsellor else _("any counsellor"),
            _("status"): e.get_status_display(),
        }
        for e in entries
    ]


def _screening(student: Student) -> list[Row]:
    results = (
        ScreeningResult.objects.filter(student=student)
        .select_related("campaign", "definition")
        .order_by("-completed_at")
    )
    return [
        {
            _("completed"): r.completed_at,
            _("instrument"): r.get_instrument_display(),
            _("answers"): r.answers,
            _("score"): r.total,
            _("band"): band_label(r),  # a loaded instrument's band in the words of the version it was scored with
            _("campaign"): r.campaign.title if r.campaign else "",
        }
        for r in results
    ]


def _invitations(student: Student) -> list[Row]:
    invitations = Invitation.objects.filter(student=student).order_by("-invited_at")
    return [
        {
            _("invited"): i.invited_at,
            _("message"): i.message,
            _("status"): i.get_status_display(),
            _("answered"): i.responded_at,
        }
        for i in invitations
    ]


def _events(student: Student) -> list[Row]:
    signups = EventSignup.objects.filter(student=student).select_related("event").order_by("-event__starts_at")
    return [
        {
            _("event"): s.event.title,
            _("starts"): s.event.starts_at,
            _("place"): s.event.place,
            _("status"): s.get_status_display(),
            _("signed up"): s.created_at,
            _("checked in"): s.checked_in_at,
        }
        for s in signups
    ]


register_section("counseling_reports", _("Reports I filed"), _reports, order=20)
register_section("counseling_bookings", _("Counselling appointments"), _bookings, order=21)
register_section("counseling_waitlist", _("Appointment waitlist"), _waitlist, order=22)
register_section("counseling_screening", _("Self-screening results"), _screening, order=23)
register_section("counseling_invitations", _("Interview invitations"), _invitations, order=24)
register_section("counseling_events", _("Event sign-ups"), _events, order=25)
