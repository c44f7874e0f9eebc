"""Postvention: plans after a level-4 case or an incident, contacts, check-ins, "worried" → a report, reminders.

The index student is world.student_a (买买提·艾力), with a level-4 case in college A. The people checked are
their roommate (李娜) and classmates; the check-ins go to the `liaison` and `committee` personas.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, services
from counseling.models import Case, CheckIn, CriticalIncident, PostventionContact, PostventionPlan, Report
from counseling.services.postvention import worried_report_key
from counseling.tests.factories import open_case
from portal.models import AuditEvent, Notification, Reminder, Role
from portal.services import DomainError, reminders_dispatch_due
from portal.tests.factories import StudentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

NARRATIVE = "昨晚在北苑3栋楼顶被宿管发现，已送医，目前平稳。"


@pytest.fixture
def setup(world):
    """A level-4 case on student_a, its plan, the roommate and the liaison's and committee's students on it, and
    one check-in each for `liaison` (on the roommate) and `committee` (on a classmate)."""
    case = open_case(student=world.student_a, in_danger=True)
    assert case.level == 4
    counselor = world["counselor"]
    plan, created = services.postvention_plan_open(actor=counselor, case=case)
    assert created
    classmate = StudentFactory(name="张晓", class_group=world.class_a)
    roommate = services.postvention_contact_add(
        actor=counselor, plan=plan, relation=PostventionContact.Relation.ROOMMATE, student=world.roommate_a
    )
    mate = services.postvention_contact_add(
        actor=counselor, plan=plan, relation=PostventionContact.Relation.CLASSMATE, student=classmate
    )
    friend = services.postvention_contact_add(
        actor=counselor, plan=plan, relation=PostventionContact.Relation.OTHER, name="校外好友 陈明"
    )
    due = timezone.localdate() + timedelta(days=2)
    liaison_checkin = services.checkin_assign(actor=counselor, contact=roommate, assignee=world["liaison"], due_on=due)
    committee_checkin = services.checkin_assign(actor=counselor, contact=mate, assignee=world["committee"], due_on=due)
    return {
        "case": case,
        "plan": plan,
        "roommate": roommate,
        "mate": mate,
        "friend": friend,
        "liaison_checkin": liaison_checkin,
        "committee_checkin": committee_checkin,
        "classmate": classmate,
    }


def _secrets(world, setup) -> list[str]:
    index = world.student_a
    return [index.name, index.student_no, NARRATIVE, "买买提", "level", "4 · crisis", f"#{setup['case'].pk}"]


# --- Opening a plan ---------------------------------------------------------------------------------------------


def test_a_plan_opens_only_for_a_level_4_case_and_opening_twice_opens_one(world):
    counselor = world["counselor"]
    low = open_case(student=world.student_b)
    with pytest.raises(DomainError):
        services.postvention_plan_open(actor=counselor, case=low)
    case = open_case(student=world.student_a, in_danger=True)
    first, created = services.postvention_plan_open(actor=counselor, case=case)
    again, created_again = services.postvention_plan_open(actor=counselor, case=case)
    assert created and not created_again and first.pk == again.pk
    assert first.student_id == world.student_a.pk and first.college_id == world.college_a.pk
    assert AuditEvent.objects.filter(action="postvention.plan_opened", object_id=str(first.pk)).count() == 1


def test_the_centre_records_an_incident_and_its_plan_opens(world, client_for):
    client = client_for(world["counselor"])
    response = client.post(
        reverse("counseling:postvention_incident_new"),
        {
            "kind": "death",
            "occurred_on": timezone.localdate().isoformat(),
            "student_no": world.student_a.student_no,
            "narrative": NARRATIVE,
        },
    )
    incident = CriticalIncident.objects.get()
    plan = PostventionPlan.objects.get(incident=incident)
    assert response.status_code == 302 and response.url == reverse("counseling:postvention_plan", args=[plan.pk])
    assert incident.college_id == world.college_a.pk and plan.student_id == world.student_a.pk
    assert AuditEvent.objects.filter(action="postvention.incident_recorded").count() == 1
    page = client.get(response.url).content.decode()
    assert NARRATIVE in page  # the centre reads what happened


def test_an_incident_in_the_future_or_without_words_is_refused(world, client_for):
    client = client_for(world["counselor"])
    url = reverse("counseling:postvention_incident_new")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.post(url, {"kind": "attempt", "occurred_on": tomorrow, "narrative": "x"}).status_code == 400
    assert client.post(url, {"kind": "attempt", "occurred_on": "2026-01-01", "narrative": "  "}).status_code == 400
    assert not CriticalIncident.objects.exists()


def test_open_plan_by_case_number_and_a_low_case_is_refused(world, client_for):
    client = client_for(world["counselor"])
    case = open_case(student=world.student_a, in_danger=True)
    low = open_case(student=world.student_b)
    url = reverse("counseling:postvention_open")
    assert client.post(url, {"case_number": low.pk}).status_code == 400
    assert client.post(url, {"case_number": 999_999}).status_code == 400
    response = client.post(url, {"case_number": case.pk})
    assert response.status_code == 302
    assert PostventionPlan.objects.filter(case=case).count() == 1


# --- Who sees what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("counselor", 200),
        ("station", 200),
        ("admin", 200),
        ("station_b", 404),
        ("assessor", 404),
        ("student", 404),
        ("liaison", 404),
        ("committee", 404),
        ("aidreviewer", 404),
        ("aidofficer", 404),
        ("visitor", 404),
    ],
)
def test_the_plan_page_by_role(world, setup, client_for, persona, status):
    response = client_for(world[persona]).get(reverse("counseling:postvention_plan", args=[setup["plan"].pk]))
    assert response.status_code == status
    read = AuditEvent.objects.filter(action="read", object_type="counseling.postventionplan", actor=world[persona])
    assert read.exists() == (status == 200)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("counselor", 200),
        ("station", 200),
        ("station_b", 200),
        ("admin", 200),
        ("assessor", 403),
        ("student", 403),
        ("liaison", 403),
        ("committee", 403),
        ("aidofficer", 403),
        ("visitor", 403),
    ],
)
def test_the_progress_list_by_role(world, setup, client_for, persona, status):
    response = client_for(world[persona]).get(reverse("counseling:postvention_list"))
    assert response.status_code == status
    if status == 200:
        shown = world.student_a.name in response.content.decode()
        assert shown == (persona != "station_b")  # a station sees its own college's plans only


def test_the_station_follows_but_may_not_change_the_plan(world, setup, client_for):
    plan = setup["plan"]
    station = client_for(world["station"])
    page = station.get(reverse("counseling:postvention_plan", args=[plan.pk])).content.decode()
    assert 'data-testid="suggested"' not in page and "Assign a check-in" not in page
    url = reverse("counseling:postvention_contact_add", args=[plan.pk])
    assert station.post(url, {"name": "someone", "relation": "other"}).status_code == 403
    assert client_for(world["station_b"]).post(url, {"name": "x", "relation": "other"}).status_code == 404
    assign = reverse("counseling:postvention_checkin_assign", args=[setup["mate"].pk])
    assert client_for(world["station"]).post(assign, {}).status_code == 403
    assert PostventionContact.objects.filter(plan=plan).count() == 3


def test_the_assignee_sees_only_their_own_check_ins_and_nothing_that_names_the_index(world, setup, client_for):
    client = client_for(world["liaison"])
    response = client.get(reverse("counseling:my_checkins"))
    assert response.status_code == 200
    page = response.content.decode()
    assert world.roommate_a.name in page  # the person to check
    assert setup["classmate"].name not in page  # the committee member's check-in
    assert "How to check in" in page
    for secret in _secrets(world, setup):
        assert secret not in page, secret
    assert AuditEvent.objects.filter(action="postvention.checkins_read", actor=world["liaison"]).exists()


def test_the_htmx_answer_of_an_outcome_names_nobody_but_the_checked(world, setup, client_for):
    client = client_for(world["liaison"])
    url = reverse("counseling:checkin_outcome", args=[setup["liaison_checkin"].pk])
    bad = client.post(url, {"outcome": "nonsense"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200 and "invalid" in bad.content.decode()
    done = client.post(url, {"outcome": "worried", "note": "她说最近睡不着"}, headers={"HX-Request": "true"})
    assert done.status_code == 200
    for response in (bad, done):
        text = response.content.decode()
        for secret in _secrets(world, setup):
            assert secret not in text, secret


def test_the_people_checked_see_nothing_that_names_the_index_student(world, setup, client_for):
    services.checkin_record(actor=world["liaison"], checkin=setup["liaison_checkin"], outcome="worried", note="")
    reminders_dispatch_due()
    roommate = client_for(world.roommate_a.user)
    for name in ("counseling:index", "counseling:my_reports", "portal:notifications"):
        response = roommate.get(reverse(name))
        assert response.status_code == 200, name
        text = response.content.decode()
        assert world.student_a.name not in text and world.student_a.student_no not in text
    assert roommate.get(reverse("counseling:my_checkins")).status_code == 403
    assert not Notification.objects.filter(recipient=world.roommate_a.user).exists()


# --- Outcomes ---------------------------------------------------------------------------------------------------


def test_worried_raises_one_report_about_the_checked_person_on_double_submit(world, setup, client_for):
    client = client_for(world["liaison"])
    checkin = setup["liaison_checkin"]
    url = reverse("counseling:checkin_outcome", args=[checkin.pk])
    first = client.post(url, {"outcome": "worried", "note": "她这几天一直在哭"})
    second = client.post(url, {"outcome": "worried", "note": "她这几天一直在哭"})
    assert first.status_code == 302 and second.status_code == 302
    reports = Report.objects.filter(idempotency_key=worried_report_key(checkin))
    assert reports.count() == 1
    report = reports.get()
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.DONE and checkin.outcome == "worried" and checkin.report_id == report.pk
    # About the roommate, not the index student; routed to the roommate's station like any report.
    assert report.case.student_id == world.roommate_a.pk and report.case.college_id == world.college_a.pk
    assert report.reporter_id == world["liaison"].pk
    assert world.student_a.name not in report.narrative and NARRATIVE not in report.narrative
    assert "她这几天一直在哭" in report.narrative
    assert Reminder.objects.filter(recipient=world["station"], dedupe_key__contains=f"report:{report.pk}").exists()
    events = AuditEvent.objects.filter(action="postvention.checkin_done", object_id=str(checkin.pk))
    assert events.count() == 1 and events.get().changes["outcome"] == "worried"


def test_a_recorded_check_in_cannot_change_its_outcome(world, setup):
    checkin = setup["committee_checkin"]
    services.checkin_record(actor=world["committee"], checkin=checkin, outcome="fine")
    with pytest.raises(DomainError):
        services.checkin_record(actor=world["committee"], checkin=checkin, outcome="worried")
    assert not Report.objects.filter(idempotency_key=worried_report_key(checkin)).exists()


def test_worried_about_someone_not_on_the_roster_goes_to_the_centre_queue(world, setup):
    checkin = services.checkin_assign(
        actor=world["counselor"],
        contact=setup["friend"],
        assignee=world["counselor"],
        due_on=timezone.localdate(),
    )
    checkin, _ = services.checkin_record(actor=world["counselor"], checkin=checkin, outcome="worried")
    assert checkin.report.case.student_id is None and checkin.report.case.college_id is None
    assert checkin.report.subject_given == "校外好友 陈明"


# --- Attacker stories -------------------------------------------------------------------------------------------


def test_a_curious_classmate_guessing_check_in_ids_gets_the_answer_of_a_missing_one(world, setup, client_for):
    """The liaison posts an outcome to the committee member's check-in: 404, like an id that does not exist."""
    client = client_for(world["liaison"])
    other = client.post(
        reverse("counseling:checkin_outcome", args=[setup["committee_checkin"].pk]), {"outcome": "fine"}
    )
    missing = client.post(reverse("counseling:checkin_outcome", args=[999_999]), {"outcome": "fine"})
    assert other.status_code == missing.status_code == 404
    assert CheckIn.objects.get(pk=setup["committee_checkin"].pk).status == CheckIn.Status.PENDING
    # Nor can they read a plan by guessing its id.
    plan_url = reverse("counseling:postvention_plan", args=[setup["plan"].pk])
    assert (
        client.get(plan_url).status_code == client.get(reverse("counseling:postvention_plan", args=[999])).status_code
    )


def test_an_insider_cannot_assign_a_check_in_to_someone_outside_the_plan(world, setup, client_for):
    """Posting the id of a user who is no liaison, committee member or counsellor of the plan is a form error."""
    client = client_for(world["counselor"])
    url = reverse("counseling:postvention_checkin_assign", args=[setup["mate"].pk])
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    for outsider in (world["aidofficer"], world.student_b.user, world.student_a.user, world["station_b"]):
        response = client.post(url, {"assignee": outsider.pk, "due_on": due})
        assert response.status_code == 400
    with pytest.raises(DomainError):
        services.checkin_assign(
            actor=world["counselor"], contact=setup["mate"], assignee=world["aidofficer"], due_on=date.today()
        )
    assert CheckIn.objects.filter(contact=setup["mate"]).count() == 1


def test_the_index_student_can_never_be_a_contact_or_an_assignee(world, setup):
    liaison_b = UserFactory(username="liaison-index")
    grant(liaison_b, Role.DORM_LIAISON, rooms=[world.room_a])
    with pytest.raises(DomainError):
        services.postvention_contact_add(
            actor=world["counselor"], plan=setup["plan"], relation="other", student=world.student_a
        )
    candidates = selectors.checkin_candidates(setup["plan"])
    assert world.student_a.user not in candidates
    assert world["liaison"] in candidates and world["committee"] in candidates and world["station"] in candidates
    assert world["station_b"] not in candidates and world["aidofficer"] not in candidates


def test_suggestions_are_the_people_around_the_index_student(world, setup, client_for):
    plan = setup["plan"]
    suggested = {s.student.pk: s.relation for s in selectors.contact_suggestions(plan)}
    assert world["liaison"].student.pk in suggested and suggested[world["liaison"].student.pk] == "liaison"
    assert suggested[world["committee"].student.pk] == "committee"
    assert world.student_a.pk not in suggested and world.roommate_a.pk not in suggested  # already on the plan
    client = client_for(world["counselor"])
    url = reverse("counseling:postvention_contacts_suggested", args=[plan.pk])
    assert client.post(url, {"students": [world.student_b.pk]}).status_code == 400  # not a suggestion
    response = client.post(url, {"students": [world["liaison"].student.pk, world["committee"].student.pk]})
    assert response.status_code == 302
    assert plan.contacts.count() == 5
    assert AuditEvent.objects.filter(action="postvention.contact_added", object_id=str(plan.pk)).count() == 5


# --- Reminders --------------------------------------------------------------------------------------------------


def test_assigning_tells_the_assignee_in_words_that_name_nobody(world, setup):
    rows = Reminder.objects.filter(recipient=world["liaison"], dedupe_key__startswith="postvention:")
    assert rows.exists()
    for row in rows:
        text = f"{row.subject} {row.body}"
        assert world.student_a.name not in text and world.roommate_a.name not in text
    assert {r.subject for r in rows} >= {"You have a new check-in to do", "A check-in is due today"}
    assigned = AuditEvent.objects.filter(action="postvention.checkin_assigned", actor=world["counselor"])
    assert assigned.count() == 2 and assigned.filter(object_id=str(setup["liaison_checkin"].pk)).exists()


def test_overdue_check_ins_are_reminded_once_however_often_the_scan_runs(world):
    start = timezone.make_aware(timezone.datetime(2027, 3, 1, 9, 0))
    with time_machine.travel(start, tick=False):
        case = open_case(student=world.student_a, in_danger=True)
        plan, _ = services.postvention_plan_open(actor=world["counselor"], case=case)
        contact = services.postvention_contact_add(
            actor=world["counselor"], plan=plan, relation="roommate", student=world.roommate_a
        )
        checkin = services.checkin_assign(
            actor=world["counselor"], contact=contact, assignee=world["liaison"], due_on=date(2027, 3, 3)
        )
        assert services.remind_postvention_checkins() == 0  # not due yet
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert services.remind_postvention_checkins() == 1
        before = Reminder.objects.count()
        assert services.remind_postvention_checkins() == 0
        assert Reminder.objects.count() == before
    overdue = Reminder.objects.filter(dedupe_key__contains=f"postvention:checkin:{checkin.pk}:overdue")
    assert {r.recipient_id for r in overdue} == {world["liaison"].pk, world["counselor"].pk}
    for row in overdue:
        assert world.student_a.name not in f"{row.subject} {row.body}"


def test_a_done_check_in_is_not_reminded(world, setup):
    checkin = setup["liaison_checkin"]
    services.checkin_record(actor=world["liaison"], checkin=checkin, outcome="fine")
    due_key = f"postvention:checkin:{checkin.pk}:due:{checkin.due_on.isoformat()}"
    assert Reminder.objects.get(dedupe_key=due_key).status == Reminder.Status.CANCELLED
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        services.remind_postvention_checkins()
    assert not Reminder.objects.filter(dedupe_key__contains=f"postvention:checkin:{checkin.pk}:overdue").exists()


def test_closing_the_plan_stops_reminders_and_the_list_moves_it(world, setup, client_for):
    client = client_for(world["counselor"])
    plan = setup["plan"]
    assert client.post(reverse("counseling:postvention_close", args=[plan.pk])).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PostventionPlan.Status.CLOSED
    assert AuditEvent.objects.filter(action="postvention.plan_closed", object_id=str(plan.pk)).exists()
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert services.remind_postvention_checkins() == 0
    assert (
        client_for(world["liaison"])
        .get(reverse("counseling:my_checkins"))
        .content.decode()
        .count('data-testid="my-checkin"')
        == 0
    )
    assert Case.objects.filter(pk=setup["case"].pk).exists()


# --- Query budgets ----------------------------------------------------------------------------------------------


def test_the_progress_list_costs_the_same_at_5_and_50_plans(world, client_for):
    from portal.tests.querybudget import assert_bounded

    counselor = world["counselor"]

    def make_rows(n: int) -> list[str]:
        shown = []
        for _ in range(n):
            student = StudentFactory(class_group=world.class_a)
            incident = services.incident_record(
                actor=counselor, kind="attempt", occurred_on=timezone.localdate(), narrative="x", student=student
            )
            plan, _ = services.postvention_plan_open(actor=counselor, incident=incident)
            services.postvention_contact_add(actor=counselor, plan=plan, relation="other", name="某某")
            shown.append(student.student_no)
        return shown

    assert_bounded(client_for(counselor), reverse("counseling:postvention_list"), make_rows)


def test_my_check_ins_cost_the_same_at_5_and_50_rows(world, client_for):
    from portal.tests.querybudget import assert_bounded

    counselor = world["counselor"]
    case = open_case(student=world.student_a, in_danger=True)
    plan, _ = services.postvention_plan_open(actor=counselor, case=case)
    due = timezone.localdate() + timedelta(days=3)

    def make_rows(n: int) -> list[str]:
        shown = []
        for _ in range(n):
            student = StudentFactory(class_group=world.class_a, room=world.room_a)
            contact = services.postvention_contact_add(actor=counselor, plan=plan, relation="roommate", student=student)
            services.checkin_assign(actor=counselor, contact=contact, assignee=world["liaison"], due_on=due)
            shown.append(student.name)
        return shown

    assert_bounded(client_for(world["liaison"]), reverse("counseling:my_checkins"), make_rows)


def test_the_plan_page_costs_the_same_at_5_and_50_contacts(world, client_for):
    from portal.tests.querybudget import assert_bounded

    counselor = world["counselor"]
    case = open_case(student=world.student_a, in_danger=True)
    plan, _ = services.postvention_plan_open(actor=counselor, case=case)
    due = timezone.localdate() + timedelta(days=3)

    def make_rows(n: int) -> list[str]:
        shown = []
        for _ in range(n):
            student = StudentFactory(class_group=world.class_a)
            contact = services.postvention_contact_add(
                actor=counselor, plan=plan, relation="classmate", student=student
            )
            services.checkin_assign(actor=counselor, contact=contact, assignee=world["committee"], due_on=due)
            shown.append(student.student_no)
        return shown

    assert_bounded(client_for(counselor), reverse("counseling:postvention_plan", args=[plan.pk]), make_rows, budget=25)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("liaison", 200),
        ("committee", 200),
        ("station", 200),
        ("counselor", 200),
        ("admin", 200),
        ("student", 403),
        ("assessor", 403),
        ("aidreviewer", 403),
        ("aidofficer", 403),
        ("visitor", 403),
    ],
)
def test_my_check_ins_by_role(world, setup, client_for, persona, status):
    assert client_for(world[persona]).get(reverse("counseling:my_checkins")).status_code == status


def test_the_centre_opens_the_plan_from_a_level_4_case_page(world, setup, client_for):
    url = reverse("counseling:case_detail", args=[setup["case"].pk])
    assert 'data-testid="open-postvention"' in client_for(world["counselor"]).get(url).content.decode()
    assert 'data-testid="open-postvention"' not in client_for(world["station"]).get(url).content.decode()
    low = open_case(student=world.student_b)
    low_url = reverse("counseling:case_detail", args=[low.pk])
    assert 'data-testid="open-postvention"' not in client_for(world["counselor"]).get(low_url).content.decode()
    response = client_for(world["counselor"]).post(
        reverse("counseling:postvention_open"), {"case_number": setup["case"].pk}
    )
    assert response.url == reverse("counseling:postvention_plan", args=[setup["plan"].pk])


def test_the_station_is_linked_only_to_reports_it_may_open(world, setup, client_for):
    """A worried check-in about a student of another college raises a report in that college's queue."""
    outsider = services.postvention_contact_add(
        actor=world["counselor"], plan=setup["plan"], relation="other", student=world.student_b
    )
    mine = services.checkin_assign(
        actor=world["counselor"], contact=outsider, assignee=world["counselor"], due_on=timezone.localdate()
    )
    services.checkin_record(actor=world["counselor"], checkin=mine, outcome="worried")
    services.checkin_record(actor=world["liaison"], checkin=setup["liaison_checkin"], outcome="worried")
    url = reverse("counseling:postvention_plan", args=[setup["plan"].pk])
    centre_page = client_for(world["counselor"]).get(url).content.decode()
    assert centre_page.count('data-testid="checkin-report"') == 2
    station_page = client_for(world["station"]).get(url).content.decode()
    assert station_page.count('data-testid="checkin-report"') == 1
