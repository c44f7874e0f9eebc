"""Hostile input on every form, through its view: never a 500, errors shown, payloads escaped.

The demo school is seeded once for the module (inside a transaction rolled back at the end), so every
form has the objects it acts on in the state it needs: a case to rate, a trip to record a visit in, an
identification at each review step. Each entry of `ENTRIES` names a form class, the demo account that
may use it, the URL it is sent to and the page that renders it. The test fetches that page, takes the
form instance the view put in the template context (so choice fields hold the querysets the view scoped
to the user), lets Hypothesis draw payloads from its fields (`portal/tests/hostile.py`) and sends each
one in a savepoint that is rolled back afterwards.

`test_every_form_class_is_exercised` fails when a form class in the project is in no entry: add one.

Examples per entry: 10 by default (repeatable: derandomized); `HYPOTHESIS_PROFILE=thorough` runs 200
(or `HYPOTHESIS_EXAMPLES`). Accepted answers: see `ALLOWED_STATUSES`; a 200 to a POST that carried
fields must show an error or a message; `<script>alert(1)</script>` never comes back unescaped, neither
in the answer nor on the page a redirect leads to. The round-trip tests at the end check that Chinese,
Uyghur and emoji text is stored and shown exactly as typed.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings

from portal import access
from portal.models import User
from portal.tests.hostile import CHINESE, EMOJI, HTML_PAYLOADS, SCRIPT_PAYLOAD, UYGHUR, form_payloads

settings.register_profile(
    "ci",
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", parent=settings.get_profile("ci"), max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# 400: a body Django refuses (broken multipart, too large); 403/404: the view refuses the object's state or
# scope for this input; 409: a conflicting state; 413: too large; 429: a throttle.
ALLOWED_STATUSES = {200, 302, 303, 400, 403, 404, 409, 413, 429}
# A 200 answer to a POST shows the form with its errors or says what happened.
FEEDBACK_MARKERS = ("invalid-feedback", "errorlist", 'class="alert', "is-invalid", "text-danger")
PROJECT_APPS = ("portal", "counseling", "aid", "homevisits")


# --- The seeded school --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_school(django_db_setup, django_db_blocker):
    """The demo school, seeded once per module inside a transaction that is rolled back at the end."""
    from portal.demo import seed_demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seed_demo()
            yield Demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class Demo:
    """Look-ups in the demo school, always through the user's scope."""

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def first(self, username: str, label: str, **filters: Any) -> models.Model:
        model = apps.get_model(label)
        obj = access.visible(self.user(username), model).filter(**filters).order_by("pk").first()
        assert obj is not None, f"the demo has no {label} {filters} visible to {username}"
        return obj

    def any(self, label: str, **filters: Any) -> models.Model:
        obj = apps.get_model(label).objects.filter(**filters).order_by("pk").first()
        assert obj is not None, f"the demo has no {label} {filters}"
        return obj

    def pk(self, username: str, label: str, **filters: Any) -> int:
        return self.first(username, label, **filters).pk


@pytest.fixture
def demo(demo_school, db) -> Demo:
    return demo_school


@pytest.fixture(autouse=True)
def _quiet_bad_requests():
    """Hundreds of expected 400/404 warnings (with tracebacks) would bury a real error; 500s log at ERROR."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


# --- The table ----------------------------------------------------------------------------------------------

UrlBuilder = Callable[[Demo], str]


@dataclass(frozen=True)
class Entry:
    form: str  # "app.forms.module.ClassName"
    # a demo account, the username of the demo user who may act, or ANONYMOUS (signed-out pages: activation)
    persona: str | Callable[[Demo], str]
    url: UrlBuilder
    page: UrlBuilder | None = None  # the page that renders the form, when it is not `url` itself
    method: str = "post"
    note: str = ""
    setup: Callable[[Demo], object] | None = None  # objects the demo lacks, made before the page is opened
    page_data: Callable[[Demo], dict] | None = None  # the page is the answer to POSTing this (a receipt lookup)

    def username(self, demo: Demo) -> str:
        return self.persona(demo) if callable(self.persona) else self.persona

    @property
    def form_class(self) -> type[forms.BaseForm]:
        module, name = self.form.rsplit(".", 1)
        return getattr(import_module(module), name)

    @property
    def id(self) -> str:
        who = self.note or (self.persona if isinstance(self.persona, str) else "owner")
        return f"{self.form.rsplit('.', 1)[1]}-{self.form.split('.')[0]}-{who}"


ANONYMOUS = "anonymous"  # no demo account has this name


def url(name: str, *args: Any, **query: str) -> str:
    path = reverse(name, args=args)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def case_pk(demo: Demo, status: str = "new") -> int:
    return demo.pk("counselor", "counseling.Case", status=status)


def ident(demo: Demo, status: str) -> int:
    return demo.pk("aidofficer", "aid.Identification", status=status)


def ask_question(demo: Demo) -> object:
    """The demo has no open question to a reporter: the centre asks one on a named, signed-in report."""
    from counseling.services.crisis import reporter_question_ask

    report = demo.any("counseling.Report", reporter__isnull=False, anonymous=False)
    return reporter_question_ask(actor=demo.user("counselor"), report=report, question="Is the student safe tonight?")


def load_test_instruments(demo: Demo) -> object:
    """A made-up yes/no (UPI-shaped) instrument, loaded as a college would load one."""
    from counseling.services.instruments import instrument_definition_load

    path = Path(django_settings.BASE_DIR) / "counseling" / "tests" / "instrument_files" / "upi_like.toml"
    return instrument_definition_load(actor=None, data=path.read_bytes(), filename=path.name)


def question_owner(demo: Demo) -> str:
    return demo.any("counseling.ReporterQuestion").report.reporter.username


def anonymous_question(demo: Demo) -> object:
    from counseling.services.crisis import reporter_question_ask

    report = demo.any("counseling.Report", anonymous=True, receipt_hash__isnull=False)
    return reporter_question_ask(actor=demo.user("counselor"), report=report, question="Where did this happen?")


def receipt_code(demo: Demo) -> dict:
    from counseling.receipts import receipt_code_for

    return {"code": receipt_code_for(demo.any("counseling.ReporterQuestion").report.idempotency_key)}


def approve_planning_trip(demo: Demo) -> object:
    """The demo's trip under way has a record for everyone; the one in planning is approved to record in."""
    from homevisits.services.trips import trip_approve

    return trip_approve(actor=demo.user("aidofficer"), trip=demo.first("visitor", "homevisits.Trip", status="planning"))


APPROVED_TRIP_TITLE = "hostile-forms approved trip"


def approved_trip(demo: Demo) -> int:
    """A trip the visitor leads, approved by the office (students are chosen only then); made once."""
    from homevisits.demo import PLANNED_TRIP_TITLE
    from homevisits.models import Trip
    from homevisits.services.trips import TripDetails, stop_add, trip_approve, trip_create

    trip = Trip.objects.filter(title=APPROVED_TRIP_TITLE).first()
    if trip is None:
        planned = demo.first("visitor", "homevisits.Trip", title=PLANNED_TRIP_TITLE)
        office = demo.user("aidofficer")
        details = TripDetails(
            year=planned.year,
            title=APPROVED_TRIP_TITLE,
            regions=planned.regions,
            leader=demo.user("visitor"),
            members=[],
            starts_on=planned.starts_on,
            ends_on=planned.ends_on,
            budget=planned.budget,
        )
        trip = trip_create(actor=office, details=details)
        for stop in planned.stops.order_by("position"):
            stop_add(
                actor=office,
                trip=trip,
                province=stop.province,
                prefecture=stop.prefecture,
                county=stop.county,
                planned_on=stop.planned_on,
            )
        trip = trip_approve(actor=office, trip=trip)
    return trip.pk


def unrecorded_trip_student(demo: Demo) -> int:
    """A planned student on a trip under way that has no visit record yet."""
    from homevisits.access import may_write_records

    visitor = demo.user("visitor")
    for planned in access.visible(visitor, apps.get_model("homevisits.TripStudent")).order_by("pk"):
        if (
            may_write_records(visitor, planned.trip)
            and not planned.trip.records.filter(student=planned.student).exists()
        ):
            return planned.pk
    raise AssertionError("the demo has no planned student left to visit")


def future_open_slot(demo: Demo) -> int:
    return demo.any("counseling.Slot", status="open", starts_at__gt=timezone.now() + dt.timedelta(days=1)).pk


def editable_identification_owner(demo: Demo) -> str:
    return demo.any("aid.Identification", status__in=["draft", "returned"]).student.user.username


def running_notice_row(demo: Demo) -> tuple[int, int, str]:
    """(notice, identification, username of a student who sees that row) on a notice that runs today."""
    from aid.models import Notice
    from aid.selectors.identification import notice_is_running, notice_rows
    from portal.models import Student

    for notice in Notice.objects.order_by("pk"):
        if not notice_is_running(notice):
            continue
        for student in Student.objects.filter(user__isnull=False, class_group__college=notice.college).order_by("pk")[
            :40
        ]:
            rows = notice_rows(notice, student.user)
            if rows:
                return notice.pk, rows[0].identification_id, student.user.username
    raise AssertionError("the demo has no running notice with rows")


def first_postvention_contact(demo: Demo) -> int:
    """The first contact on the demo's plan page (the assign form the page holds first is that contact's)."""
    from counseling.selectors.postvention import plan_contacts

    plan = demo.first("counselor", "counseling.PostventionPlan")
    return plan_contacts(plan).first().pk


def first_liaison_checkin(demo: Demo) -> int:
    """The liaison's first check-in still to do (the first card of their page)."""
    from counseling.selectors.postvention import my_checkins

    return my_checkins(demo.user("liaison")).first().pk


C, A, H = "counseling.forms.", "aid.forms.", "homevisits.forms."

ENTRIES: list[Entry] = [
    # --- portal
    Entry("portal.forms.StudentSearchForm", "station", lambda d: url("portal:student_list"), method="get"),
    Entry(
        "portal.forms.StudentContactForm",
        "station",
        lambda d: url("portal:student_contact", d.pk("station", "portal.Student")),
    ),
    # --- portal: self-service activation and reset (signed out)
    Entry("portal.forms_account.ActivationRequestForm", ANONYMOUS, lambda d: url("account_activate")),
    Entry("portal.forms_account.CodeRequestForm", ANONYMOUS, lambda d: url("account_reset")),
    Entry("portal.forms_account.SetPasswordByCodeForm", ANONYMOUS, lambda d: url("account_activate_confirm")),
    Entry(
        "portal.forms_account.SetPasswordByCodeForm",
        ANONYMOUS,
        lambda d: url("account_reset_confirm"),
        note="reset",
    ),
    Entry("portal.forms_messaging.MessagePreferencesForm", "student", lambda d: url("message_preferences")),
    Entry("portal.forms_messaging.MessagePreferencesForm", "station", lambda d: url("message_preferences")),
    # --- counselling: reports
    Entry(C + "reporting.ReportForm", "student", lambda d: url("counseling:report_new")),
    Entry(C + "reporting.ReportForm", "liaison", lambda d: url("counseling:report_new"), note="quick-pick"),
    Entry(
        C + "reporting.AnswerForm",
        question_owner,
        lambda d: url("counseling:my_question_answer", d.any("counseling.ReporterQuestion").pk),
        page=lambda d: url("counseling:my_reports"),
        setup=ask_question,
    ),
    Entry(C + "reporting.ReceiptLookupForm", "student", lambda d: url("counseling:receipt")),
    Entry(
        C + "reporting.ReceiptAnswerForm",
        "student",
        lambda d: url("counseling:receipt_answer", d.any("counseling.ReporterQuestion").pk),
        page=lambda d: url("counseling:receipt"),
        setup=anonymous_question,
        page_data=receipt_code,
    ),
    # --- counselling: casework
    Entry(C + "casework.QueueFilterForm", "station", lambda d: url("counseling:queue"), method="get"),
    Entry(C + "casework.CareListFilterForm", "counselor", lambda d: url("counseling:care_list"), method="get"),
    *[
        Entry(
            C + f"casework.{form}",
            "counselor",
            (lambda view, status: lambda d: url(f"counseling:{view}", case_pk(d, status)))(view, status),
            page=(lambda status: lambda d: url("counseling:case_detail", case_pk(d, status)))(status),
        )
        for form, view, status in [
            ("AcknowledgeForm", "case_acknowledge", "new"),
            ("LevelForm", "case_level", "acknowledged"),
            ("OwnerForm", "case_owner", "acknowledged"),
            ("TouchpointForm", "case_touchpoint", "acknowledged"),
            ("StatusForm", "case_status", "acknowledged"),
            ("NoteForm", "case_note", "acknowledged"),
            ("AssessorsForm", "case_assessors", "assessing"),
            ("AssessmentForm", "case_assessment", "assessing"),
            ("ActionForm", "case_action_add", "intervening"),
        ]
    ],
    Entry(
        C + "casework.MatchForm",
        "counselor",
        lambda d: url("counseling:case_match", d.pk("counselor", "counseling.Case", student__isnull=True)),
        page=lambda d: url("counseling:case_detail", d.pk("counselor", "counseling.Case", student__isnull=True)),
    ),
    Entry(
        C + "casework.QuestionForm",
        "counselor",
        lambda d: url("counseling:report_ask", d.pk("counselor", "counseling.Report", case__status="new")),
        page=lambda d: url("counseling:case_detail", case_pk(d, "new")),
    ),
    Entry(
        C + "casework.ActionDoneForm",
        "counselor",
        lambda d: url("counseling:action_done", d.pk("counselor", "counseling.InterventionAction", status="open")),
        page=lambda d: url(
            "counseling:case_detail", d.first("counselor", "counseling.InterventionAction", status="open").case_id
        ),
    ),
    Entry(
        C + "casework.CareLevelOverrideForm",
        "counselor",
        lambda d: url("counseling:care_level_override", d.first("counselor", "counseling.Case").student_id),
        page=lambda d: url("counseling:care_file", d.first("counselor", "counseling.Case").student_id),
    ),
    Entry(
        C + "holds.HoldDismissForm",
        "counselor",
        lambda d: url("counseling:hold_dismiss", d.pk("counselor", "counseling.ReportHold", status="open")),
        page=lambda d: url("counseling:hold_detail", d.pk("counselor", "counseling.ReportHold", status="open")),
    ),
    Entry(
        C + "visits.VisitRecommendationForm",
        "counselor",
        lambda d: url("counseling:visit_recommendation", d.first("counselor", "counseling.Case").student_id),
        page=lambda d: url("counseling:care_file", d.first("counselor", "counseling.Case").student_id),
    ),
    # --- counselling: postvention (the demo's plan for its level-4 case; the liaison's check-ins)
    Entry(C + "postvention.IncidentForm", "counselor", lambda d: url("counseling:postvention_incident_new")),
    Entry(
        C + "postvention.PlanOpenForm",
        "counselor",
        lambda d: url("counseling:postvention_open"),
        page=lambda d: url("counseling:postvention_list"),
    ),
    Entry(
        C + "postvention.ContactForm",
        "counselor",
        lambda d: url("counseling:postvention_contact_add", d.pk("counselor", "counseling.PostventionPlan")),
        page=lambda d: url("counseling:postvention_plan", d.pk("counselor", "counseling.PostventionPlan")),
    ),
    Entry(
        C + "postvention.SuggestedContactsForm",
        "counselor",
        lambda d: url("counseling:postvention_contacts_suggested", d.pk("counselor", "counseling.PostventionPlan")),
        page=lambda d: url("counseling:postvention_plan", d.pk("counselor", "counseling.PostventionPlan")),
    ),
    Entry(
        C + "postvention.CheckInAssignForm",
        "counselor",
        lambda d: url("counseling:postvention_checkin_assign", first_postvention_contact(d)),
        page=lambda d: url("counseling:postvention_plan", d.pk("counselor", "counseling.PostventionPlan")),
    ),
    Entry(
        C + "postvention.CheckInOutcomeForm",
        "liaison",
        lambda d: url("counseling:checkin_outcome", first_liaison_checkin(d)),
        page=lambda d: url("counseling:my_checkins"),
    ),
    # --- counselling: oversight
    Entry(C + "oversight.ZeroReportForm", "committee", lambda d: url("counseling:zero_report")),
    Entry(C + "oversight.MonthForm", "station", lambda d: url("counseling:zero_reports"), method="get"),
    # --- counselling: appointments
    Entry(C + "appointments.SlotFilterForm", "student", lambda d: url("counseling:slots"), method="get"),
    Entry(
        C + "appointments.BookingForm",
        "student",
        lambda d: url("counseling:booking_new", future_open_slot(d)),
    ),
    Entry(
        C + "appointments.WaitlistJoinForm",
        "student",
        lambda d: url("counseling:waitlist_join"),
        page=lambda d: url("counseling:slots"),
    ),
    *[
        Entry(
            C + f"appointments.{form}",
            "counselor",
            lambda d, v=view: url(v),
            page=lambda d: url("counseling:availability"),
        )
        for form, view in [
            ("TemplateForm", "counseling:availability_template_add"),
            ("SlotForm", "counseling:slot_add"),
            ("BlockedDayForm", "counseling:blocked_day_add"),
        ]
    ],
    Entry(
        C + "appointments.ReasonForm",
        lambda d: d.any("counseling.Slot", status="open", starts_at__gt=timezone.now()).counsellor.username,
        lambda d: url(
            "counseling:slot_cancel", d.any("counseling.Slot", status="open", starts_at__gt=timezone.now()).pk
        ),
        page=lambda d: url("counseling:availability"),
    ),
    Entry(
        C + "appointments.OutcomeForm",
        "counselor",
        lambda d: url("counseling:booking_outcome", d.pk("counselor", "counseling.Booking")),
        page=lambda d: url("counseling:agenda"),
    ),
    Entry(
        C + "session_notes.SessionNoteForm",
        "station",
        lambda d: url("counseling:session_note", d.any("counseling.SessionNote", status="draft").booking_id),
    ),
    Entry(
        C + "session_notes.AmendmentForm",
        "counselor",
        lambda d: url("counseling:session_note_amend", d.any("counseling.SessionNote", status="signed").booking_id),
        page=lambda d: url("counseling:session_note", d.any("counseling.SessionNote", status="signed").booking_id),
    ),
    # --- counselling: screening
    Entry(C + "screening.ScreeningForm", "student", lambda d: url("counseling:screening_take", "phq9")),
    Entry(
        C + "screening.ScreeningForm",
        "student",
        lambda d: url("counseling:screening_take", "upi_like"),
        note="loaded-instrument",
        setup=load_test_instruments,
    ),
    Entry(C + "screening.CampaignForm", "counselor", lambda d: url("counseling:campaign_new")),
    Entry(
        C + "screening.InvitationForm",
        "counselor",
        lambda d: url("counseling:invitation_create", d.any("counseling.ScreeningResult", campaign__isnull=False).pk),
        page=lambda d: url("counseling:campaign_positives", d.any("counseling.ScreeningCampaign").pk),
    ),
    Entry(
        C + "screening.InvitationAcceptForm",
        lambda d: d.any("counseling.Invitation").result.student.user.username,
        lambda d: url("counseling:invitation_accept", d.any("counseling.Invitation").pk),
        page=lambda d: url("counseling:invitation_detail", d.any("counseling.Invitation").pk),
    ),
    # --- counselling: from screening to care
    Entry(
        C + "screening_care.OutcomeForm",
        "counselor",
        lambda d: url(
            "counseling:outcome_record",
            d.any("counseling.ScreeningResult", campaign__isnull=False, total__gte=10).pk,
        ),
        page=lambda d: url("counseling:campaign_positives", d.any("counseling.ScreeningCampaign").pk),
    ),
    Entry(
        C + "screening_care.ReopenForm",
        "counselor",
        lambda d: url("counseling:campaign_reopen", d.any("counseling.ScreeningCampaign").pk),
        page=lambda d: url("counseling:campaign_detail", d.any("counseling.ScreeningCampaign").pk),
    ),
    # --- counselling: activities and the e-journal
    Entry(C + "activities.EventForm", "counselor", lambda d: url("counseling:event_new")),
    Entry(
        C + "activities.CheckinCodeForm",
        "student",
        lambda d: url("counseling:event_checkin_code", d.pk("student", "counseling.Event")),
        page=lambda d: url("counseling:event_detail", d.pk("student", "counseling.Event")),
    ),
    Entry(
        C + "activities.CheckinSearchForm",
        "counselor",
        lambda d: url("counseling:event_checkin", d.pk("counselor", "counseling.Event")),
        method="get",
    ),
    Entry(C + "activities.CoverageYearForm", "counselor", lambda d: url("counseling:coverage"), method="get"),
    Entry(C + "activities.JournalIssueForm", "counselor", lambda d: url("counseling:journal_issue_new")),
    Entry(
        C + "activities.JournalArticleForm",
        "counselor",
        lambda d: url("counseling:journal_article_new", d.pk("counselor", "counseling.JournalIssue")),
    ),
    Entry(
        C + "activities.JournalImageForm",
        "counselor",
        lambda d: url("counseling:journal_image_upload", d.pk("counselor", "counseling.JournalIssue")),
        page=lambda d: url("counseling:journal_issue", d.pk("counselor", "counseling.JournalIssue")),
    ),
    # --- aid: identification
    Entry(
        A + "identification.ApplicationForm", editable_identification_owner, lambda d: url("aid:identification_edit")
    ),
    Entry(
        A + "identification.FamilyMemberForm",
        editable_identification_owner,
        lambda d: url("aid:identification_edit"),
        note="formset",
    ),
    Entry(
        A + "identification.DocumentForm",
        editable_identification_owner,
        lambda d: url("aid:identification_document_add"),
        page=lambda d: url("aid:identification_edit"),
    ),
    *[
        Entry(
            A + f"identification.{form}",
            persona,
            (lambda action, status: lambda d: url(f"aid:identification_{action}", ident(d, status)))(action, status),
            page=(lambda status: lambda d: url("aid:identification_detail", ident(d, status)))(status),
            note=action,
        )
        for form, action, status, persona in [
            ("ConfirmForm", "class_close", "submitted", "aidreviewer"),
            ("ReasonForm", "return", "submitted", "aidreviewer"),
            ("TierForm", "college_review", "class_reviewed", "aidreviewer"),
            ("SchoolTierForm", "school_review", "college_notice", "aidofficer"),
            ("ApproveForm", "approve", "school_notice", "aidofficer"),
            ("AppealAnswerForm", "appeal_answer", "appeal", "aidofficer"),
            ("AdjustForm", "adjust", "approved", "aidofficer"),
        ]
    ],
    Entry(
        A + "identification.AppealForm",
        "student",
        lambda d: url("aid:identification_appeal", d.pk("student", "aid.Identification")),
        page=lambda d: url("aid:identification_mine"),
    ),
    Entry(
        A + "identification.ObjectionAnswerForm",
        "aidreviewer",
        lambda d: url("aid:identification_objection_answer", d.any("aid.Objection").pk),
        page=lambda d: url("aid:identification_detail", d.any("aid.Objection").identification_id),
    ),
    Entry(
        A + "identification.EvaluationForm",
        "committee",
        lambda d: url("aid:evaluation_record", d.pk("aidofficer", "aid.Identification", status="submitted")),
        page=lambda d: url("aid:evaluation_mine"),
    ),
    Entry(
        A + "identification.ObjectionForm",
        lambda d: running_notice_row(d)[2],
        lambda d: url("aid:notice_object", *running_notice_row(d)[:2]),
        page=lambda d: url("aid:notice_detail", running_notice_row(d)[0]),
    ),
    Entry(
        A + "identification.EvaluationGroupForm",
        "aidreviewer",
        lambda d: url("aid:evaluation_group_edit", d.any("portal.ClassGroup", name="软件2401班").pk),
    ),
    Entry(A + "identification.NoticeForm", "aidreviewer", lambda d: url("aid:notice_publish")),
    Entry(A + "identification.ReviewFilterForm", "aidreviewer", lambda d: url("aid:identification_list"), method="get"),
    # --- aid: funds, programmes, applications
    Entry(
        A + "funds.ApplyForm",
        "student",
        lambda d: url("aid:programme_apply", d.pk("student", "aid.Programme")),
    ),
    Entry(
        A + "funds.ReasonForm",
        "aidreviewer",
        lambda d: url("aid:application_action", d.pk("aidreviewer", "aid.Application", status="submitted"), "return"),
        page=lambda d: url("aid:application_detail", d.pk("aidreviewer", "aid.Application", status="submitted")),
    ),
    Entry(A + "funds.BankAccountForm", "student", lambda d: url("aid:payment_bank_account")),
    Entry(
        A + "funds.CommitForm",
        "aidofficer",
        lambda d: url("aid:application_action", d.pk("aidofficer", "aid.Application", status="approved"), "commit"),
        page=lambda d: url("aid:application_detail", d.pk("aidofficer", "aid.Application", status="approved")),
    ),
    Entry(
        A + "funds.ScheduleForm",
        "aidofficer",
        lambda d: url("aid:application_action", d.pk("aidofficer", "aid.Application", status="committed"), "schedule"),
        page=lambda d: url("aid:application_detail", d.pk("aidofficer", "aid.Application", status="committed")),
    ),
    Entry(A + "funds.FundForm", "aidofficer", lambda d: url("aid:fund_list")),
    Entry(A + "funds.FundEditForm", "aidofficer", lambda d: url("aid:fund_detail", d.pk("aidofficer", "aid.Fund"))),
    Entry(
        A + "funds.ProgrammeForm",
        "aidofficer",
        lambda d: url("aid:programme_edit", d.pk("aidofficer", "aid.Programme")),
    ),
    Entry(
        A + "funds.QuotaForm",
        "aidofficer",
        lambda d: url("aid:programme_quota", d.pk("aidofficer", "aid.Programme")),
        page=lambda d: url("aid:programme_edit", d.pk("aidofficer", "aid.Programme")),
    ),
    Entry(A + "funds.BatchForm", "aidofficer", lambda d: url("aid:batch_list")),
    Entry(A + "funds.ApplicationFilterForm", "aidofficer", lambda d: url("aid:application_list"), method="get"),
    # --- aid: five-aid cases
    Entry(A + "fiveaid.CaseFilterForm", "aidofficer", lambda d: url("aid:fiveaid_list"), method="get"),
    *[
        Entry(
            A + f"fiveaid.{form}",
            "aidofficer",
            (lambda view: lambda d: url(f"aid:{view}", d.pk("aidofficer", "aid.FiveAidCase")))(view),
            page=lambda d: url("aid:fiveaid_detail", d.pk("aidofficer", "aid.FiveAidCase")),
        )
        for form, view in [
            ("PlanForm", "fiveaid_plan"),
            ("EntryForm", "fiveaid_entry_add"),
            ("ReviewForm", "fiveaid_review"),
            ("EmploymentForm", "fiveaid_employment"),
            ("ReferralForm", "fiveaid_refer"),
        ]
    ],
    # --- aid: work-study
    Entry(A + "workstudy.PostForm", "aidofficer", lambda d: url("aid:workstudy_post_new")),
    Entry(
        A + "workstudy.DecisionForm",
        "aidofficer",
        lambda d: url("aid:workstudy_decide", d.pk("aidofficer", "aid.WorkStudyPlacement", status="applied")),
        page=lambda d: url(
            "aid:workstudy_post_detail", d.first("aidofficer", "aid.WorkStudyPlacement", status="applied").post_id
        ),
    ),
    Entry(
        A + "workstudy.ReturnForm",
        "aidofficer",
        lambda d: url("aid:workstudy_timesheet_review", d.pk("aidofficer", "aid.Timesheet", status="submitted")),
        page=lambda d: url(
            "aid:workstudy_timesheet", d.first("aidofficer", "aid.Timesheet", status="submitted").placement_id
        ),
    ),
    Entry(
        A + "workstudy.MonthForm",
        "student",
        lambda d: url("aid:workstudy_timesheet", d.pk("student", "aid.WorkStudyPlacement", status="placed")),
        method="get",
    ),
    Entry(
        A + "workstudy.TimesheetForm",
        "student",
        lambda d: url("aid:workstudy_timesheet", d.pk("student", "aid.WorkStudyPlacement", status="placed")),
    ),
    # --- aid: hidden aid
    Entry(A + "hiddenaid.CanteenUploadForm", "aidofficer", lambda d: url("aid:hiddenaid_import")),
    Entry(
        A + "hiddenaid.EvaluateForm",
        "aidofficer",
        lambda d: url("aid:hiddenaid_evaluate"),
        page=lambda d: url("aid:hiddenaid_index"),
    ),
    *[
        Entry(
            A + f"hiddenaid.{form}",
            "aidofficer",
            (lambda view: lambda d: url(f"aid:{view}", d.pk("aidofficer", "aid.HiddenAidBatch")))(view),
            page=lambda d: url("aid:hiddenaid_batch", d.pk("aidofficer", "aid.HiddenAidBatch")),
        )
        for form, view in [("CandidateAddForm", "hiddenaid_candidate_add"), ("ApproveForm", "hiddenaid_approve")]
    ],
    Entry(
        A + "hiddenaid.CandidateRemoveForm",
        "aidofficer",
        lambda d: url("aid:hiddenaid_candidate_remove", d.pk("aidofficer", "aid.HiddenAidCandidate")),
        page=lambda d: url("aid:hiddenaid_batch", d.pk("aidofficer", "aid.HiddenAidBatch")),
    ),
    Entry(
        A + "hiddenaid.SearchForm",
        "aidofficer",
        lambda d: url("aid:hiddenaid_batch", d.pk("aidofficer", "aid.HiddenAidBatch")),
        method="get",
    ),
    # --- home visits
    Entry(H + "trips.TripForm", "aidofficer", lambda d: url("homevisits:trip_create")),  # the office creates
    Entry(
        H + "trips.StopForm",
        "visitor",
        lambda d: url("homevisits:stop_add", d.pk("visitor", "homevisits.Trip", status="planning")),
        page=lambda d: url("homevisits:trip_detail", d.pk("visitor", "homevisits.Trip", status="planning")),
    ),
    Entry(
        H + "trips.CandidateFilterForm",
        "visitor",
        lambda d: url("homevisits:trip_candidates", approved_trip(d)),
        method="get",
    ),
    Entry(
        H + "trips.AddStudentForm",
        "visitor",
        lambda d: url("homevisits:trip_student_add", approved_trip(d)),
        page=lambda d: url("homevisits:trip_candidates", approved_trip(d)),
    ),
    Entry(
        H + "trips.ExpenseForm",
        "visitor",
        lambda d: url("homevisits:expense_add", d.pk("visitor", "homevisits.Trip", status="planning")),
        page=lambda d: url("homevisits:trip_detail", d.pk("visitor", "homevisits.Trip", status="planning")),
    ),
    Entry(
        H + "trips.ReportForm",
        lambda d: d.first("visitor", "homevisits.Trip", status="reporting").leader.username,
        lambda d: url("homevisits:trip_report", d.pk("visitor", "homevisits.Trip", status="reporting")),
    ),
    Entry(
        H + "trips.GuardianContactForm",
        "visitor",
        lambda d: url("homevisits:guardian_contacts", d.first("visitor", "homevisits.TripStudent").student_id),
    ),
    Entry(
        H + "records.VisitRecordForm",
        "visitor",
        lambda d: url("homevisits:record_new", unrecorded_trip_student(d)),
        setup=approve_planning_trip,
    ),
    Entry(
        H + "records.PhotoForm",
        "visitor",
        lambda d: url("homevisits:photo_add", d.pk("visitor", "homevisits.VisitRecord")),
        page=lambda d: url("homevisits:record_detail", d.pk("visitor", "homevisits.VisitRecord")),
    ),
    Entry(
        H + "records.FollowUpForm",
        "visitor",
        lambda d: url("homevisits:follow_up_add", d.pk("visitor", "homevisits.VisitRecord")),
        page=lambda d: url("homevisits:record_detail", d.pk("visitor", "homevisits.VisitRecord")),
    ),
    Entry(
        H + "records.FollowUpDoneForm",
        "visitor",
        lambda d: url("homevisits:follow_up_done", d.pk("visitor", "homevisits.FollowUp", status="open")),
        page=lambda d: url("homevisits:my_follow_ups"),
    ),
]

# Forms deliberately not driven through a portal view, with the reason.
EXCLUDED: dict[str, str] = {
    "portal.admin.SettingForm": "Django admin form; the admin's own views validate it (admin-only, not portal UI)",
    "portal.roster.RosterUploadForm": "admin-only roster import; hostile files are covered by test_roster_import.py",
    "counseling.forms.instruments.InstrumentUploadForm": (
        "admin-only definition upload; hostile files are covered by counseling/tests/test_instrument_views.py and "
        "test_instrument_definitions.py"
    ),
}


# --- Finding forms ------------------------------------------------------------------------------------------


def project_form_classes() -> dict[str, type[forms.BaseForm]]:
    """Every Form/ModelForm subclass defined in the project's apps (tests and private bases excluded)."""
    found: dict[str, type[forms.BaseForm]] = {}
    root = Path(django_settings.BASE_DIR)
    for app in PROJECT_APPS:
        for path in sorted((root / app).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            module_name = ".".join(parts).removesuffix(".__init__")
            module = import_module(module_name)
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, forms.BaseForm)
                    and obj.__module__ == module_name
                    and not name.startswith("_")
                ):
                    found[f"{module_name}.{name}"] = obj
    return found


def find_form(context: Any, form_class: type[forms.BaseForm], depth: int = 0) -> forms.BaseForm | None:
    """The first instance of exactly `form_class` in a template context, looking into lists, dicts,
    formsets and the attributes of listed objects (pages hang per-row forms on their rows)."""
    if depth > 4 or context is None:
        return None
    if type(context) is form_class:
        return context
    if isinstance(context, forms.BaseFormSet):
        return next((f for f in [*context.forms, context.empty_form] if type(f) is form_class), None)
    values: Iterable[Any]
    if hasattr(context, "flatten") and callable(context.flatten):
        values = context.flatten().values()
    elif isinstance(context, dict):
        values = context.values()
    elif isinstance(context, list | tuple):
        values = context
    elif isinstance(context, models.Model) or (hasattr(context, "__dict__") and not isinstance(context, type)):
        values = [v for k, v in vars(context).items() if not k.startswith("_")] if depth else []
    else:
        return None
    for value in values:
        if isinstance(value, models.QuerySet | str | bytes):
            continue
        found = find_form(value, form_class, depth + 1)
        if found is not None:
            return found
    return None


def form_posted_from_page(page, form_class: type[forms.BaseForm], target: str) -> forms.BaseForm | None:
    """A page may write a small form by hand (two buttons named `decision`, a GET filter link): accept it
    when the page points at the target and names the form's fields, and the form needs no arguments."""
    try:
        form = form_class()
    except TypeError:
        return None
    html = _text(page)
    path = target.split("?")[0]
    if path not in html and 'action=""' not in html and page.request["PATH_INFO"] != path:
        return None
    names = [form.add_prefix(name) for name in form.fields]
    if names and not any(f'name="{name}"' in html or f"?{name}=" in html for name in names):
        return None
    return form


def management_data(context: Any) -> dict[str, Any]:
    """The management-form fields of every formset on the page, so a formset's forms are looked at."""
    data: dict[str, Any] = {}
    flat = context.flatten() if hasattr(context, "flatten") else dict(context or {})
    for value in flat.values():
        if isinstance(value, forms.BaseFormSet):
            management = value.management_form
            for name in management.fields:
                data[management.add_prefix(name)] = management.initial.get(name, 0) or (
                    1 if name == "TOTAL_FORMS" else 0
                )
    return data


# --- The checks ---------------------------------------------------------------------------------------------


def check_response(client: Client, response, *, method: str, url_sent: str, parsed: bool = True) -> None:
    """`parsed`: the request carried form fields Django parses. A POST with none (an empty or JSON body) is
    answered like a GET by the `Form(request.POST or None)` idiom: the blank form again, which is fine."""
    assert response.status_code in ALLOWED_STATUSES, f"{method.upper()} {url_sent} → {response.status_code}"
    body = _text(response)
    for payload in HTML_PAYLOADS:
        assert payload not in body, f"unescaped {payload!r} in the answer to {url_sent}"
    if parsed and method == "post" and response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        assert any(marker in body for marker in FEEDBACK_MARKERS), f"a 200 without an error or a message: {url_sent}"
    if response.status_code in (302, 303):
        location = response["Location"]
        if location.startswith("/"):
            landed = client.get(location)
            assert landed.status_code in ALLOWED_STATUSES, f"redirect to {location} → {landed.status_code}"
            landed_body = _text(landed)
            for payload in HTML_PAYLOADS:
                assert payload not in landed_body, f"unescaped {payload!r} on {location}"


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_hostile_input_never_breaks_the_view(demo, entry: Entry):
    if entry.setup:
        entry.setup(demo)
    client = Client()
    if entry.username(demo) != ANONYMOUS:
        client.force_login(demo.user(entry.username(demo)), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "en"
    target = entry.url(demo)
    page_url = entry.page(demo) if entry.page else target
    page = client.post(page_url, entry.page_data(demo)) if entry.page_data else client.get(page_url)
    assert page.status_code == 200, f"{entry.persona} cannot open the page of {entry.form}"
    form = find_form(page.context, entry.form_class) or form_posted_from_page(page, entry.form_class, target)
    assert form is not None, f"{entry.form} is not on the page {page.request['PATH_INFO']}"
    base = management_data(page.context)
    statuses: list[int] = []

    @PROFILE
    @given(payload=form_payloads(form, method=entry.method))
    def send(payload):
        payload.data = {**base, **payload.data}
        with transaction.atomic():
            cache.clear()  # this test's own Redis database: throttles start from zero
            response = payload.send(client, target, entry.method)
            statuses.append(response.status_code)
            parsed = bool(payload.data) and payload.encoding in ("multipart", "urlencoded")
            check_response(client, response, method=entry.method, url_sent=target, parsed=parsed)
            transaction.set_rollback(True)

    send()
    # A table row pointing at the wrong object or persona would only ever see 403/404: that tests nothing.
    assert any(status not in (403, 404) for status in statuses), statuses


def test_every_form_class_is_exercised():
    exercised = {entry.form for entry in ENTRIES}
    missing = set(project_form_classes()) - exercised - set(EXCLUDED)
    assert missing == set(), f"forms with no hostile-input entry: {sorted(missing)}"
    assert exercised <= set(project_form_classes()), "an entry names a form that does not exist"


# --- Round trips: what is typed is what is stored and shown -----------------------------------------------

ROUND_TRIP_TEXT = f"{CHINESE} {UYGHUR} {EMOJI} 买买提·艾力 {SCRIPT_PAYLOAD} & 'quoted'"


def signed_in(demo: Demo, username: str) -> Client:
    client = Client()
    client.force_login(demo.user(username), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "en"
    return client


def assert_shown_exactly(response, text: str) -> None:
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(text) in body, "the text is not shown as typed"
    assert SCRIPT_PAYLOAD not in body


def test_report_narrative_round_trips_to_the_case_page(demo):
    key = uuid.uuid4()
    response = signed_in(demo, "student").post(
        url("counseling:report_new"),
        {"about": "me", "narrative": ROUND_TRIP_TEXT, "when_where": UYGHUR, "idempotency_key": str(key)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = apps.get_model("counseling.Report").objects.get(idempotency_key=key)
    report.refresh_from_db()
    assert report.narrative == ROUND_TRIP_TEXT
    assert report.when_where == UYGHUR
    assert_shown_exactly(
        signed_in(demo, "counselor").get(url("counseling:case_detail", report.case_id)), ROUND_TRIP_TEXT
    )


def test_case_note_round_trips_to_the_timeline(demo):
    case_id = case_pk(demo, "acknowledged")
    counselor = signed_in(demo, "counselor")
    response = counselor.post(url("counseling:case_note", case_id), {"note": ROUND_TRIP_TEXT})
    assert response.status_code == 302
    event = apps.get_model("counseling.CaseEvent").objects.filter(case_id=case_id).latest("pk")
    assert event.note == ROUND_TRIP_TEXT
    assert_shown_exactly(counselor.get(url("counseling:case_detail", case_id)), ROUND_TRIP_TEXT)


def test_visit_record_summary_round_trips_to_the_record_page(demo):
    approve_planning_trip(demo)
    planned = apps.get_model("homevisits.TripStudent").objects.get(pk=unrecorded_trip_student(demo))
    visitor = signed_in(demo, "visitor")
    response = visitor.post(
        url("homevisits:record_new", planned.pk),
        {
            "idempotency_key": str(uuid.uuid4()),
            "outcome": "visited",
            "family_agreed": "on",
            "visited_on": str(timezone.localdate()),
            "form": "home",
            "place": UYGHUR,
            "summary": ROUND_TRIP_TEXT,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = planned.trip.records.get(student=planned.student)
    assert record.summary == ROUND_TRIP_TEXT
    assert record.place == UYGHUR
    assert_shown_exactly(visitor.get(url("homevisits:record_detail", record.pk)), ROUND_TRIP_TEXT)


def test_aid_application_statement_round_trips_to_the_reviewer(demo):
    programme_id = demo.pk("student", "aid.Programme")
    student = signed_in(demo, "student")
    page = student.get(url("aid:programme_apply", programme_id))
    form = find_form(page.context, entry_form("aid.forms.funds.ApplyForm"))
    data = {"statement": ROUND_TRIP_TEXT}
    if "amount" in form.fields:
        data["amount"] = "100"
    response = student.post(url("aid:programme_apply", programme_id), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    application = apps.get_model("aid.Application").objects.filter(programme_id=programme_id).latest("pk")
    assert application.statement == ROUND_TRIP_TEXT
    assert_shown_exactly(
        signed_in(demo, "aidofficer").get(url("aid:application_detail", application.pk)), ROUND_TRIP_TEXT
    )


def entry_form(dotted: str) -> type[forms.BaseForm]:
    module, name = dotted.rsplit(".", 1)
    return getattr(import_module(module), name)


# --- Regressions found by the hostile runs -------------------------------------------------------------------


@pytest.mark.parametrize("view", ["counseling:blocked_day_add", "counseling:slot_add"])
def test_a_day_in_year_9999_is_a_form_error_not_a_500(demo, view):
    data = {"day": "9999-12-31", "start_time": "10:00", "length_minutes": "50", "mode": "room", "location": "A101"}
    response = signed_in(demo, "counselor").post(url(view), data, follow=True)
    assert response.status_code == 200
    assert "Choose a date within the next two years." in response.content.decode()


def test_a_bad_hidden_class_on_the_zero_report_is_explained(demo):
    response = signed_in(demo, "committee").post(
        url("counseling:zero_report"), {"class_group": "0", "outcome": "nothing", "note": UYGHUR}
    )
    assert response.status_code == 200
    assert "The form was incomplete. Check it and send it again." in response.content.decode()
