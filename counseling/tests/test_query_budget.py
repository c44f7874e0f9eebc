"""Every list and dashboard page of counselling costs a fixed number of queries, whatever the number of rows
(issue 9): each page is rendered with 5 and with 50 rows, and the rows' related data is checked on the page."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from counseling import services
from counseling.models import (
    Booking,
    Event,
    EventSignup,
    Instrument,
    InterventionAction,
    JournalArticle,
    JournalIssue,
    ScreeningCampaign,
    Slot,
    ZeroReport,
)
from counseling.tests.factories import open_case, submit_report
from counseling.tests.test_appointments_helpers import make_slot
from portal.kernel.dates import month_start
from portal.models import Role
from portal.tests.factories import ClassGroupFactory, StudentFactory, grant
from portal.tests.querybudget import assert_bounded

pytestmark = pytest.mark.django_db

POSITIVE = [2, 1, 2, 2, 1, 2, 1, 1, 0]  # PHQ-9 12


def _students(world, n, **fields):
    return StudentFactory.create_batch(n, class_group=fields.pop("class_group", world.class_a), **fields)


# --- Crisis network -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_queue_is_bounded(world, client_for, persona):
    def make(n):
        students = _students(world, n)
        for s in students:
            open_case(student=s)
        return [s.name for s in students] + [world.class_a.name]

    assert_bounded(client_for(world[persona]), reverse("counseling:queue"), make)


def test_my_cases_is_bounded(world, client_for):
    station = world["station"]

    def make(n):
        students = _students(world, n)
        for s in students:
            case = open_case(student=s)
            services.case_assign_owner(actor=world["counselor"], case=case, owner=station)
            services.action_add(
                actor=station,
                case=case,
                kind=InterventionAction.Kind.values[0],
                owner=station,
                due_date=timezone.localdate(),
            )
        return [s.name for s in students]

    assert_bounded(client_for(station), reverse("counseling:my_cases"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_care_list_is_bounded(world, client_for, persona):
    def make(n):
        students = _students(world, n)
        for s in students:
            open_case(student=s)
        return [s.name for s in students[: max(1, n - 5)]]

    assert_bounded(client_for(world[persona]), reverse("counseling:care_list"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_counselling_dashboard_is_bounded(world, client_for, persona):
    def make(n):
        for i in range(n):
            college_class = world.class_a if i % 2 else ClassGroupFactory(college=world.college_a)
            open_case(student=StudentFactory(class_group=college_class))
        return [world.college_a.name]

    assert_bounded(client_for(world[persona]), reverse("counseling:dashboard"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_zero_report_overview_is_bounded(world, client_for, persona):
    month = month_start(timezone.localdate())

    def make(n):
        classes = ClassGroupFactory.create_batch(n, college=world.college_a)
        for class_group in classes:
            member = StudentFactory(class_group=class_group).user
            grant(member, Role.CLASS_COMMITTEE, class_group=class_group)
            ZeroReport.objects.create(class_group=class_group, month=month, filed_by=member)
        return [c.name for c in classes]

    assert_bounded(client_for(world[persona]), reverse("counseling:zero_reports"), make)


def test_my_reports_is_bounded(world, client_for):
    liaison = world["liaison"]

    def make(n):
        reports = [submit_report(reporter=liaison, student=s) for s in _students(world, n)]
        return [f'data-report="{r.pk}"' for r in reports]

    assert_bounded(client_for(liaison), reverse("counseling:my_reports"), make)


# --- Appointments -------------------------------------------------------------------------------------


def _slot_starts(n):
    """n slot times within the next six days, on the hour, never twice the same."""
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    return [base + timedelta(hours=2 * i) for i in range(n)]


def test_open_slots_are_bounded(world, client_for):
    counselor = world["counselor"]
    made = []

    def make(n):
        rooms = []
        for _ in range(n):
            made.append(len(made))
            rooms.append(f"Room {len(made)}")
            make_slot(counselor, in_hours=24 + 2 * len(made), location=rooms[-1])
        return [counselor.display_name]

    assert_bounded(client_for(world["student"]), reverse("counseling:slots"), make)


def test_my_bookings_are_bounded(world, client_for):
    student = world.student_a
    counsellors = []

    def make(n):
        for _ in range(n):
            counsellors.append(len(counsellors))
            slot = make_slot(world["counselor"], in_hours=-2 * len(counsellors), status=Slot.Status.BOOKED)
            Booking.objects.create(
                slot=slot, student=student, status=Booking.Status.ATTENDED, consent_at=slot.starts_at
            )
        return [world["counselor"].display_name]

    assert_bounded(client_for(world["student"]), reverse("counseling:my_bookings"), make)


def test_my_availability_is_bounded(world, client_for):
    counselor = world["counselor"]
    made = []

    def make(n):
        out = []
        for _ in range(n):
            made.append(len(made))
            student = StudentFactory(class_group=world.class_a)
            slot = make_slot(counselor, in_hours=2 + 4 * len(made), status=Slot.Status.BOOKED)
            Booking.objects.create(slot=slot, student=student, consent_at=timezone.now())
            out.append(student.name)
        return out

    assert_bounded(client_for(counselor), reverse("counseling:availability"), make)


@pytest.mark.any_day
@pytest.mark.parametrize("persona", ["counselor", "station"])
def test_the_agenda_is_bounded(world, client_for, persona):
    made = []

    def make(n):
        out = []
        for _ in range(n):
            made.append(len(made))
            student = StudentFactory(class_group=world.class_a)
            slot = make_slot(world[persona], in_hours=-1 - 2 * len(made), status=Slot.Status.BOOKED)
            Booking.objects.create(slot=slot, student=student, consent_at=timezone.now(), reason="考试")
            out.append(student.name)
        return out

    # "past" is the last fourteen days: 50 sessions of the last four days fit whatever today's weekday.
    url = reverse("counseling:agenda") + "?period=past"
    assert_bounded(client_for(world[persona]), url, make)


# --- Screening ----------------------------------------------------------------------------------------


def _campaign(world, title="普查"):
    today = timezone.localdate()
    return services.campaign_create(
        actor=world["counselor"],
        title=title,
        enrolment_year=world.class_a.enrolment_year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
        instruments_chosen=[Instrument.PHQ9],
    )


def test_my_screenings_are_bounded(world, client_for):
    def make(n):
        for _ in range(n):
            services.screening_submit(
                student=world.student_a, instrument=Instrument.GAD7, answers=[0] * 7, idempotency_key=uuid.uuid4()
            )
        return [str(Instrument.GAD7.label)]

    assert_bounded(client_for(world["student"]), reverse("counseling:screening_mine"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_the_campaign_list_is_bounded(world, client_for, persona):
    def make(n):
        return [_campaign(world, title=f"普查 {ScreeningCampaign.objects.count()}").title for _ in range(n)]

    assert_bounded(client_for(world[persona]), reverse("counseling:campaign_list"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_campaign_completion_is_bounded(world, client_for, persona):
    campaign = _campaign(world)

    def make(n):
        classes = ClassGroupFactory.create_batch(n, college=world.college_a, enrolment_year=campaign.enrolment_year)
        for class_group in classes:
            services.screening_submit(
                student=StudentFactory(class_group=class_group),
                instrument=Instrument.PHQ9,
                answers=[0] * 9,
                idempotency_key=uuid.uuid4(),
                campaign=campaign,
            )
        return [c.name for c in classes]

    assert_bounded(client_for(world[persona]), reverse("counseling:campaign_detail", args=[campaign.pk]), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_campaign_positives_are_bounded(world, client_for, persona):
    campaign = _campaign(world)

    def make(n):
        students = _students(world, n)
        for student in students:
            result = services.screening_submit(
                student=student,
                instrument=Instrument.PHQ9,
                answers=POSITIVE,
                idempotency_key=uuid.uuid4(),
                campaign=campaign,
            )
            services.invitation_create(actor=world["counselor"], result=result, message="想和你聊聊")
        return [s.name for s in students]

    url = reverse("counseling:campaign_positives", args=[campaign.pk])
    assert_bounded(client_for(world[persona]), url, make, budget=16)  # + the audit entry naming the students


# --- Activities ---------------------------------------------------------------------------------------


def _event(world, title, *, starts_in=timedelta(days=2), colleges=None):
    now = timezone.now()
    event = Event.objects.create(
        title=title,
        kind=Event.Kind.GROUP,
        audience=Event.Audience.COLLEGES,
        place="团辅室",
        starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=2),
        capacity=100,
        signup_opens_at=now + starts_in - timedelta(days=7),
        signup_closes_at=now + starts_in - timedelta(hours=1),
        created_by=world["station"],
        checkin_code="ABCDEF",
    )
    event.colleges.set(colleges or [world.college_a])
    return event


def _events(world, *, past=False):
    def make(n):
        out = []
        for _ in range(n):
            title = f"团辅 {Event.objects.count()}"
            # Each later than the one before, so the page's newest twenty past events are the last ones made.
            starts_in = timedelta(days=-3 if past else 2, minutes=Event.objects.count())
            event = _event(world, title, starts_in=starts_in)
            EventSignup.objects.create(event=event, student=world.student_a, status=EventSignup.Status.SIGNED_UP)
            out.append(title)
        return out[-20:] if past else out

    return make


@pytest.mark.parametrize("persona", ["student", "station", "counselor"])
def test_the_event_list_is_bounded(world, client_for, persona):
    assert_bounded(client_for(world[persona]), reverse("counseling:event_list"), _events(world))


def test_the_event_list_with_past_events_is_bounded(world, client_for):
    assert_bounded(client_for(world["student"]), reverse("counseling:event_list"), _events(world, past=True))


def test_the_event_page_and_check_in_list_are_bounded(world, client_for):
    event = _event(world, "团辅", starts_in=timedelta(minutes=10))

    def make(n):
        students = _students(world, n)
        for s in students:
            EventSignup.objects.create(event=event, student=s, status=EventSignup.Status.SIGNED_UP)
        return [s.name for s in students]

    client = client_for(world["station"])
    assert_bounded(client, reverse("counseling:event_checkin", args=[event.pk]), make)

    def signed_up(n):
        make(n)
        return [event.title]

    assert_bounded(client, reverse("counseling:event_detail", args=[event.pk]), signed_up)


def test_coverage_is_bounded(world, client_for):
    def make(n):
        from portal.tests.factories import CollegeFactory

        colleges = CollegeFactory.create_batch(n)
        for college in colleges:
            StudentFactory(class_group=ClassGroupFactory(college=college))
        return [c.name for c in colleges]

    assert_bounded(client_for(world["counselor"]), reverse("counseling:coverage"), make)


@pytest.mark.parametrize("persona", ["station", "counselor"])
def test_coverage_by_class_is_bounded(world, client_for, persona):
    def make(n):
        classes = ClassGroupFactory.create_batch(n, college=world.college_a)
        for class_group in classes:
            StudentFactory(class_group=class_group)
        return [c.name for c in classes]

    url = reverse("counseling:coverage_college", args=[world.college_a.pk])
    assert_bounded(client_for(world[persona]), url, make)


def _issue(world, number, *, published=True):
    issue = JournalIssue.objects.create(
        title=f"第{number}期",
        number=number,
        created_by=world["counselor"],
        published_at=timezone.now() if published else None,
    )
    JournalArticle.objects.create(issue=issue, title=f"文章{number}", body="<p>x</p>")
    return issue


@pytest.mark.parametrize("persona", ["student", "counselor"])
def test_the_journal_list_is_bounded(world, client_for, persona):
    def make(n):
        start = JournalIssue.objects.count() + 1
        return [_issue(world, number).title for number in range(start, start + n)]

    assert_bounded(client_for(world[persona]), reverse("counseling:journal_list"), make)


@pytest.mark.parametrize("persona", ["student", "counselor"])
def test_a_journal_issue_is_bounded(world, client_for, persona):
    issue = _issue(world, 1)

    def make(n):
        start = issue.articles.count()
        return [
            JournalArticle.objects.create(issue=issue, title=f"文章 {i}", body="<p>x</p>", position=i).title
            for i in range(start, start + n)
        ]

    assert_bounded(client_for(world[persona]), reverse("counseling:journal_issue", args=[issue.pk]), make)


def test_the_counselling_home_is_bounded(world, client_for):
    def make(n):
        return [_campaign(world, title=f"普查 {ScreeningCampaign.objects.count()}").title for _ in range(n)][-1:]

    assert_bounded(client_for(world["student"]), reverse("counseling:index"), make)


def test_my_reports_come_in_pages_of_50_with_the_total(world, client_for):
    liaison = world["liaison"]
    reports = [submit_report(reporter=liaison, student=s) for s in _students(world, 51)]
    client = client_for(liaison)
    first = client.get(reverse("counseling:my_reports")).content.decode()
    assert first.count('data-testid="my-report"') == 50
    assert "51 in total" in first and "Page 1 of 2" in first
    second = client.get(reverse("counseling:my_reports"), {"page": 2}).content.decode()
    assert f'data-report="{reports[0].pk}"' in second  # the oldest comes last
