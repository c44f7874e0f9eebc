"""Who may use each counseling view: one declaration per URL name (see portal.access.declare_views).

The roles here are checked by portal.middleware.ViewAccessMiddleware before the view runs; the view still
decides object scope (404 outside it) and the finer rules (403). Roles are named when they may use the page
or see the objects it acts on (the view then answers 403 to an action they may not take); `refused=404` where
the roles not named can see no object of the kind. docs/access-matrix.md shows the outcome
for every persona; `python manage.py access_matrix` regenerates it.

SIGNED_IN is kept where who may act is a relationship rather than a role (the reporter of a report, an
event's audience) or the page is everyone's own list.
"""

from portal.access import GET_ONLY, POST_ONLY, PUBLIC, SIGNED_IN, declare_views, rule
from portal.models import Role

STUDENT = Role.STUDENT  # dorm liaisons and class committee members are students too
COUNSELLORS = (Role.STATION_COUNSELLOR, Role.CENTRE_COUNSELLOR)
CASE_WORKERS = (*COUNSELLORS, Role.ASSESSOR, Role.ADMIN)  # cases they are assigned to, for assessors
CASE_MANAGERS = (*COUNSELLORS, Role.ADMIN)
CENTRE = (Role.CENTRE_COUNSELLOR, Role.ADMIN)

declare_views(
    "counseling",
    {
        "index": rule(SIGNED_IN, methods=GET_ONLY),
        # Reporting a worry: anyone, signed in or not; the reporter follows up with a receipt code.
        "report_new": rule(PUBLIC),
        "subject_search": rule(SIGNED_IN, methods=GET_ONLY),
        "report_received": rule(PUBLIC, key="counseling.Report", methods=GET_ONLY),
        "my_reports": rule(SIGNED_IN, methods=GET_ONLY),
        "my_question_answer": rule(SIGNED_IN, pk="counseling.ReporterQuestion", methods=POST_ONLY),
        "receipt": rule(PUBLIC),
        "receipt_answer": rule(PUBLIC, pk="counseling.ReporterQuestion", methods=POST_ONLY),
        # Cases and care files: counselling staff only (aid staff never see clinical content).
        "queue": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "my_cases": rule(*CASE_WORKERS, methods=GET_ONLY),
        "case_detail": rule(*CASE_WORKERS, pk="counseling.Case", methods=GET_ONLY, refused=404),
        "case_acknowledge": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_level": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_owner": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_touchpoint": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_status": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_note": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_assessors": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_assessment": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_action_add": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "case_match": rule(*CASE_WORKERS, pk="counseling.Case", methods=POST_ONLY, refused=404),
        "report_ask": rule(*CASE_WORKERS, pk="counseling.Report", methods=POST_ONLY, refused=404),
        # Held bursts of anonymous reports: the centre confirms the real ones and dismisses the rest.
        "holds": rule(*CENTRE, methods=GET_ONLY),
        "hold_detail": rule(*CENTRE, pk="counseling.ReportHold", methods=GET_ONLY, refused=404),
        "hold_dismiss": rule(*CENTRE, pk="counseling.ReportHold", methods=POST_ONLY, refused=404),
        "held_report_confirm": rule(*CENTRE, pk="counseling.HeldReport", methods=POST_ONLY, refused=404),
        "action_done": rule(*CASE_WORKERS, pk="counseling.InterventionAction", methods=POST_ONLY, refused=404),
        "care_list": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "care_file": rule(*CASE_MANAGERS, pk="portal.Student", methods=GET_ONLY),
        "care_level_override": rule(*CASE_MANAGERS, pk="portal.Student", methods=POST_ONLY),
        "visit_recommendation": rule(*CASE_MANAGERS, pk="portal.Student", methods=POST_ONLY),
        "dashboard": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "zero_report": rule(Role.CLASS_COMMITTEE),
        "zero_reports": rule(*CASE_MANAGERS, methods=GET_ONLY),
        # Appointments: students book; counsellors publish availability and see their agenda.
        "slots": rule(STUDENT, methods=GET_ONLY),
        "booking_new": rule(STUDENT, slot_id="counseling.Slot"),
        "my_bookings": rule(STUDENT, methods=GET_ONLY),
        "booking_cancel": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
        "booking_ics": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=GET_ONLY, refused=404),
        "booking_approve": rule(*CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
        "booking_decline": rule(*CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
        "booking_outcome": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Booking", methods=POST_ONLY, refused=404),
        # Session notes: their author and centre supervisors; admins only through the audited admin.
        "session_note": rule(*COUNSELLORS, pk="counseling.Booking", refused=404),
        "waitlist_join": rule(STUDENT, methods=POST_ONLY),
        "waitlist_leave": rule(STUDENT, *CASE_MANAGERS, pk="counseling.WaitlistEntry", methods=POST_ONLY, refused=404),
        "waitlist_accept": rule(STUDENT, *CASE_MANAGERS, pk="counseling.WaitlistEntry", refused=404),
        "availability": rule(*COUNSELLORS, methods=GET_ONLY),
        "availability_template_add": rule(*COUNSELLORS, methods=POST_ONLY),
        "availability_template_stop": rule(*COUNSELLORS, pk="counseling.AvailabilityTemplate", methods=POST_ONLY),
        "slot_add": rule(*COUNSELLORS, methods=POST_ONLY),
        "slot_cancel": rule(*COUNSELLORS, pk="counseling.Slot", methods=POST_ONLY),
        "blocked_day_add": rule(*COUNSELLORS, methods=POST_ONLY),
        "blocked_day_remove": rule(*COUNSELLORS, pk="counseling.BlockedDay", methods=POST_ONLY),
        "agenda": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "restriction_lift": rule(*CASE_MANAGERS, pk="counseling.BookingRestriction", methods=POST_ONLY),
        # Screening: students take it; counsellors follow campaigns and invite positive screens.
        "screening_mine": rule(STUDENT, methods=GET_ONLY),
        "screening_take": rule(STUDENT),
        "screening_result": rule(
            STUDENT, pk="counseling.ScreeningResult", methods=GET_ONLY, refused=404
        ),  # the student's own, nobody else's
        "invitation_detail": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=GET_ONLY, refused=404),
        "invitation_accept": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=POST_ONLY, refused=404),
        "invitation_decline": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Invitation", methods=POST_ONLY, refused=404),
        "campaign_list": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "campaign_new": rule(*CENTRE),
        "campaign_detail": rule(*CASE_MANAGERS, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
        "campaign_positives": rule(*CASE_MANAGERS, pk="counseling.ScreeningCampaign", methods=GET_ONLY),
        "invitation_create": rule(
            STUDENT, *CASE_MANAGERS, pk="counseling.ScreeningResult", methods=POST_ONLY, refused=404
        ),
        # Events: the audience (students, or staff for staff events) is the event's, decided by the view.
        "event_list": rule(SIGNED_IN, methods=GET_ONLY),
        "event_new": rule(*CASE_MANAGERS),
        "event_detail": rule(SIGNED_IN, pk="counseling.Event", methods=GET_ONLY),
        "event_edit": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", refused=404),
        "event_cancel": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", methods=POST_ONLY, refused=404),
        "event_signup": rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
        "event_signup_cancel": rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
        "event_checkin_code": rule(SIGNED_IN, pk="counseling.Event", methods=POST_ONLY),
        "event_checkin": rule(STUDENT, *CASE_MANAGERS, pk="counseling.Event", methods=GET_ONLY, refused=404),
        "event_checkin_mark": rule(
            STUDENT, *CASE_MANAGERS, pk="counseling.Event", student_pk="portal.Student", methods=POST_ONLY, refused=404
        ),
        "event_checkin_undo": rule(
            STUDENT, *CASE_MANAGERS, pk="counseling.Event", student_pk="portal.Student", methods=POST_ONLY, refused=404
        ),
        "coverage": rule(*CASE_MANAGERS, methods=GET_ONLY),
        "coverage_college": rule(*CASE_MANAGERS, pk="portal.College", methods=GET_ONLY),
        "coverage_export": rule(*CASE_MANAGERS, methods=GET_ONLY),
        # The e-journal: published to everyone (who get 403 on the editing pages, 404 for drafts); edited by the centre.
        "journal_list": rule(SIGNED_IN, methods=GET_ONLY),
        "journal_issue_new": rule(*CENTRE),
        "journal_issue": rule(SIGNED_IN, pk="counseling.JournalIssue", methods=GET_ONLY),
        "journal_issue_edit": rule(SIGNED_IN, pk="counseling.JournalIssue"),
        "journal_issue_publish": rule(SIGNED_IN, pk="counseling.JournalIssue", methods=POST_ONLY),
        "journal_article_new": rule(SIGNED_IN, pk="counseling.JournalIssue"),
        "journal_image_upload": rule(SIGNED_IN, pk="counseling.JournalIssue", methods=POST_ONLY),
        "journal_article": rule(SIGNED_IN, pk="counseling.JournalArticle", methods=GET_ONLY),
        "journal_article_edit": rule(SIGNED_IN, pk="counseling.JournalArticle"),
        "journal_image": rule(SIGNED_IN, pk="counseling.JournalImage", methods=GET_ONLY),
    },
)
