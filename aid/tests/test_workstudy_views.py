"""Work-study pages: each persona × each view, sign-off by the supervisor only, bad input, reminders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aid import tasks
from aid.forms.workstudy import week_field_name
from aid.models import Timesheet, WorkStudyPlacement, WorkStudyPost
from aid.services import workstudy as services
from aid.tests.factories import current_academic_year, workstudy_placed, workstudy_post
from portal.models import Reminder, Setting
from portal.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "station_b",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
    "supervisor",
]
STUDENTS = {"student", "liaison", "committee"}
AID_STAFF = {"aidreviewer", "aidofficer", "admin"}


def last_month():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def supervisor(world):
    return StaffFactory(user=UserFactory(username="supervisor"), name="图书馆王老师").user


@pytest.fixture
def setup(world, supervisor):
    world.personas["supervisor"] = supervisor
    post = workstudy_post(supervisor=supervisor, rate="15.00")
    placement = workstudy_placed(world.student_a, post)
    weeks = services.weeks_of_month(last_month())
    sheet = services.timesheet_save(
        actor=world.student_a.user,
        placement=placement,
        month=last_month(),
        weekly_hours={weeks[1]: "6", weeks[2]: "4"},
        submit=True,
    )
    other = workstudy_placed(world.student_b, workstudy_post(supervisor=world["aidofficer"], title="食堂帮工"))
    return post, placement, sheet, other


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_posts_page(world, client_for, setup, persona):
    response = client_for(world[persona]).get(reverse("aid:workstudy_posts"))
    allowed = STUDENTS | AID_STAFF | {"supervisor"}
    assert response.status_code == (200 if persona in allowed else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_post_form_is_for_officers(world, client_for, setup, persona):
    post = setup[0]
    client = client_for(world[persona])
    officer = persona in {"aidofficer", "admin"}
    assert client.get(reverse("aid:workstudy_post_new")).status_code == (200 if officer else 403)
    edit = client.get(reverse("aid:workstudy_post_edit", args=[post.pk])).status_code
    visible = persona in STUDENTS | AID_STAFF | {"supervisor"}
    assert edit == (200 if officer else 403 if visible else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_timesheet_is_seen_by_the_student_the_supervisor_the_college_and_officers(world, client_for, setup, persona):
    _post, placement, _sheet, other = setup
    client = client_for(world[persona])
    response = client.get(reverse("aid:workstudy_timesheet", args=[placement.pk]), {"month": f"{last_month():%Y-%m}"})
    assert response.status_code == (200 if persona in {"student", "supervisor", *AID_STAFF} else 404)
    response = client.get(reverse("aid:workstudy_timesheet", args=[other.pk]))
    assert response.status_code == (200 if persona in {"aidofficer", "admin"} else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_supervisor_signs_off(world, client_for, setup, persona):
    _post, _placement, sheet, _other = setup
    client = client_for(world[persona])
    url = reverse("aid:workstudy_timesheet_review", args=[sheet.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"sign_off": "1"})
    sheet.refresh_from_db()
    if persona == "supervisor":
        assert response.status_code == 302
        assert sheet.status == Timesheet.Status.SIGNED_OFF
        assert sheet.signed_by == world["supervisor"]
        assert sheet.pay == Decimal("150.00")
    else:
        assert response.status_code == (403 if persona in {"student", *AID_STAFF} else 404)
        assert sheet.status == Timesheet.Status.SUBMITTED


def test_the_supervisor_returns_hours_with_a_reason_and_the_student_corrects_them(world, client_for, setup):
    _post, placement, sheet, _other = setup
    url = reverse("aid:workstudy_timesheet_review", args=[sheet.pk])
    response = client_for(world["supervisor"]).post(url, {"return": "1", "reason": ""}, follow=True)
    assert "what should be corrected" in " ".join(messages_of(response))
    client_for(world["supervisor"]).post(url, {"return": "1", "reason": "第二周应为5小时"})
    sheet.refresh_from_db()
    assert sheet.status == Timesheet.Status.REJECTED
    weeks = services.weeks_of_month(last_month())
    page = reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={last_month():%Y-%m}"
    response = client_for(world["student"]).post(
        page, {week_field_name(weeks[1]): "6", week_field_name(weeks[2]): "5", "submit": "1"}, follow=True
    )
    assert "submitted to your supervisor" in " ".join(messages_of(response))
    sheet.refresh_from_db()
    assert sheet.status == Timesheet.Status.SUBMITTED and sheet.total_hours == Decimal(11)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "greater than or equal to 0"),
        ("abc", "Enter a number"),
        ("8.5", "At most 8 hours in a week"),
        ("1\x00", "Enter a number"),
        ("9" * 100_000, "Ensure that there are no more than"),
    ],
)
def test_bad_hours_come_back_with_a_message(world, client_for, supervisor, value, message):
    world.personas["supervisor"] = supervisor
    placement = workstudy_placed(world.student_a, workstudy_post(supervisor=supervisor))
    weeks = services.weeks_of_month(last_month())
    url = reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={last_month():%Y-%m}"
    response = client_for(world["student"]).post(url, {week_field_name(weeks[1]): value, "submit": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was saved" in " ".join(messages_of(response))
    assert not Timesheet.objects.exists()


def test_a_signed_off_timesheet_cannot_be_changed(world, client_for, setup):
    _post, placement, sheet, _other = setup
    services.timesheet_sign_off(actor=world["supervisor"], timesheet=sheet)
    url = reverse("aid:workstudy_timesheet", args=[placement.pk]) + f"?month={last_month():%Y-%m}"
    assert client_for(world["student"]).post(url, {"submit": "1"}).status_code == 403


@pytest.mark.any_day
@pytest.mark.parametrize("month", ["abc", "2999-01", "\x00", "9" * 1000])
def test_a_bad_month_shows_this_month_with_a_warning(world, client_for, setup, month):
    placement = setup[1]
    response = client_for(world["student"]).get(
        reverse("aid:workstudy_timesheet", args=[placement.pk]), {"month": month}
    )
    assert response.status_code == 200
    assert "showing this month instead" in " ".join(messages_of(response))


def test_students_apply_and_the_supervisor_places(world, client_for, supervisor):
    world.personas["supervisor"] = supervisor
    post = workstudy_post(supervisor=supervisor, openings=1)
    client = client_for(world["student"])
    client.post(reverse("aid:workstudy_apply", args=[post.pk]))
    response = client.post(reverse("aid:workstudy_apply", args=[post.pk]), follow=True)
    assert "already applied" in " ".join(messages_of(response))
    placement = WorkStudyPlacement.objects.get(post=post)
    for persona in ("student", "aidreviewer", "station"):
        response = client_for(world[persona]).post(
            reverse("aid:workstudy_decide", args=[placement.pk]), {"decision": "place"}
        )
        assert response.status_code in (403, 404)
    response = client_for(world["supervisor"]).post(
        reverse("aid:workstudy_decide", args=[placement.pk]), {"decision": "place"}
    )
    assert response.status_code == 302
    placement.refresh_from_db()
    assert placement.status == WorkStudyPlacement.Status.PLACED


@pytest.mark.parametrize("persona", ["station", "counselor", "assessor", "visitor"])
def test_people_without_a_student_record_cannot_apply(world, client_for, supervisor, persona):
    post = workstudy_post(supervisor=supervisor)
    assert client_for(world[persona]).post(reverse("aid:workstudy_apply", args=[post.pk])).status_code == 404


def test_the_post_form_refuses_low_rates_with_a_message(world, client_for, supervisor):
    current_academic_year()
    client = client_for(world["aidofficer"])
    data = {
        "unit": "图书馆",
        "title": "整理",
        "kind": "temporary",
        "hourly_rate": "11.99",
        "hours_per_month": "20",
        "openings": "2",
        "supervisor": supervisor.pk,
        "active": "on",
    }
    response = client.post(reverse("aid:workstudy_post_new"), data)
    assert "temporary post pays at least 12.00" in response.content.decode()
    response = client.post(reverse("aid:workstudy_post_new"), {**data, "kind": "fixed", "hourly_rate": "50"})
    assert "local minimum wage" in response.content.decode()
    for bad in ({"hourly_rate": "abc"}, {"hourly_rate": "-3"}, {"hours_per_month": "41"}, {"title": "x" * 100_000}):
        response = client.post(reverse("aid:workstudy_post_new"), {**data, **bad})
        assert response.status_code == 200
        assert "Nothing was saved" in " ".join(messages_of(response))
    assert not WorkStudyPost.objects.exists()
    response = client.post(reverse("aid:workstudy_post_new"), {**data, "hourly_rate": "12.00"})
    assert response.status_code == 302


@pytest.mark.any_day
def test_hours_due_are_reminded_once_to_placed_students_without_submitted_hours(world, supervisor):
    Setting.objects.create(key="aid.workstudy_hours_due_day", value=1)
    post = workstudy_post(supervisor=supervisor)
    waiting = workstudy_placed(world.student_a, post)
    done = workstudy_placed(world.student_b, post)
    this_month = timezone.localdate().replace(day=1)
    Timesheet.objects.create(
        placement=done, month=this_month, status=Timesheet.Status.SUBMITTED, total_hours=1, weekly_hours={}
    )
    assert tasks.workstudy_remind_hours_due() == 1
    assert tasks.workstudy_remind_hours_due() == 0
    reminders = Reminder.objects.filter(dedupe_key__startswith="aid:workstudy:hours_due:")
    assert [r.recipient_id for r in reminders] == [world.student_a.user_id]
    assert str(waiting.pk) in reminders[0].dedupe_key


def test_no_reminder_before_the_due_day(world, supervisor):
    workstudy_placed(world.student_a, workstudy_post(supervisor=supervisor))
    today = timezone.localdate().replace(day=2)
    assert services.workstudy_remind_hours_due(today=today) == 0
