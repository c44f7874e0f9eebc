"""The review workflow: each transition by the right role (and refused for others), the evaluation group,
notices with objections, appeals, adjustment, revocation, expiry, working days and reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aid.models import Appeal, ClassEvaluation, EvaluationGroup, Identification, Notice, Objection, Tier
from aid.selectors.identification import current_tier, evaluation_rows_for_member
from aid.services import identification as services
from aid.tests.factories import AcademicYearFactory, identification_in, notice_for
from portal.kernel.dates import add_working_days, working_days_between
from portal.models import Holiday, Notification, Reminder, Role
from portal.services import DomainError, reminders_dispatch_due
from portal.tests.factories import StaffFactory, StudentFactory, grant

S = Identification.Status


@pytest.fixture
def year(db):
    return AcademicYearFactory()


def post(client, name: str, pk: int, **data):
    return client.post(reverse(f"aid:{name}", args=[pk]), data, follow=True)


# --- Each transition by the right role ------------------------------------------------------------------

STAFF_REFUSED = ["student", "roommate", "committee", "liaison", "station", "counselor", "assessor", "visitor"]


def persona(world, name):
    return world.roommate_a.user if name == "roommate" else world[name]


@pytest.mark.parametrize(
    ("url", "start", "data", "allowed", "end"),
    [
        ("identification_return", S.SUBMITTED, {"reason": "请补充材料"}, "aidreviewer", S.RETURNED),
        ("identification_college_review", S.CLASS_REVIEWED, {"tier": "difficult"}, "aidreviewer", S.COLLEGE_REVIEWED),
        ("identification_school_review", S.COLLEGE_NOTICE, {"tier": "difficult"}, "aidofficer", S.SCHOOL_REVIEWED),
        ("identification_reject", S.SCHOOL_REVIEWED, {"reason": "收入高于标准"}, "aidofficer", S.REJECTED),
        ("identification_approve", S.SCHOOL_NOTICE, {"tier": "special"}, "aidofficer", S.APPROVED),
        ("identification_adjust", S.APPROVED, {"tier": "special", "reason": "父亲生病"}, "aidofficer", S.ADJUSTED),
        ("identification_revoke", S.APPROVED, {"reason": "情况不符"}, "aidofficer", S.REVOKED),
    ],
)
def test_each_transition_by_the_right_role_and_refused_for_the_others(
    world, client_for, year, url, start, data, allowed, end
):
    today = timezone.localdate()
    past = {"starts_on": today - timedelta(days=20), "ends_on": today - timedelta(days=10)}
    ident = identification_in(world.student_a, start, year=year, tier=Tier.DIFFICULT)
    if start == S.COLLEGE_NOTICE:
        notice_for([ident], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"], **past)
    if start == S.SCHOOL_NOTICE:
        notice_for([ident], kind=Notice.Kind.SCHOOL, created_by=world["aidofficer"], **past)
    for name in STAFF_REFUSED:
        response = client_for(persona(world, name)).post(reverse(f"aid:{url}", args=[ident.pk]), data)
        assert response.status_code in (403, 404), name
    if allowed == "aidofficer":  # a college reviewer may not make the school's decisions
        assert client_for(world["aidreviewer"]).post(reverse(f"aid:{url}", args=[ident.pk]), data).status_code == 403
    assert Identification.objects.get(pk=ident.pk).status == start
    response = post(client_for(world[allowed]), url, ident.pk, **data)
    assert response.status_code == 200
    ident.refresh_from_db()
    assert ident.status == end, response.content.decode()
    assert ident.events.filter(to_status=end).exists()
    # The student is told the outcome, and nobody else is.
    if end != S.COLLEGE_REVIEWED and end != S.SCHOOL_REVIEWED:
        reminders_dispatch_due()
        assert Notification.objects.filter(recipient=world["student"]).exists()
        assert not Notification.objects.filter(recipient=world.roommate_a.user).exists()


def test_a_refused_transition_is_a_message_not_a_500(world, client_for, year):
    ident = identification_in(world.student_a, S.SUBMITTED, year=year)
    response = post(client_for(world["aidofficer"]), "identification_approve", ident.pk, tier="special")
    assert "cannot be done now" in response.content.decode()
    ident.refresh_from_db()
    assert ident.status == S.SUBMITTED


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("identification_return", {"reason": ""}),
        ("identification_return", {"reason": "x" * 100_000}),
        ("identification_return", {"reason": "a\x00b"}),
        ("identification_college_review", {"tier": "abc"}),
    ],
)
def test_bad_input_on_review_forms_changes_nothing(world, client_for, year, url, data):
    start = S.SUBMITTED if url == "identification_return" else S.CLASS_REVIEWED
    ident = identification_in(world.student_a, start, year=year)
    response = post(client_for(world["aidreviewer"]), url, ident.pk, **data)
    assert "Nothing was changed" in response.content.decode()
    assert Identification.objects.get(pk=ident.pk).status == start


def test_the_school_notice_must_have_ended_before_approval(world, client_for, year):
    ident = identification_in(world.student_a, S.SCHOOL_REVIEWED, year=year, tier=Tier.DIFFICULT)
    notice_for([ident], kind=Notice.Kind.SCHOOL, created_by=world["aidofficer"])
    response = post(client_for(world["aidofficer"]), "identification_approve", ident.pk, tier="difficult")
    assert "has not ended yet" in response.content.decode()
    assert Identification.objects.get(pk=ident.pk).status == S.SCHOOL_NOTICE


def test_a_returned_application_is_resubmitted_by_the_student(world, year):
    ident = identification_in(world.student_a, S.SUBMITTED, year=year)
    services.identification_return(actor=world["aidreviewer"], identification=ident, reason="补充")
    services.identification_submit(actor=world["student"], identification=ident, pledge=True)
    assert Identification.objects.get(pk=ident.pk).status == S.SUBMITTED


# --- Class evaluation group ---------------------------------------------------------------------------


def classmates(world, n):
    return [StudentFactory(class_group=world.class_a).user for _ in range(n)]


def test_the_group_needs_ten_percent_of_the_class(world, year):
    many = classmates(world, 18)  # the class now has 4 + 18 = 22 students: 3 members needed
    with pytest.raises(DomainError, match="at least 3 members"):
        services.evaluation_group_set(
            actor=world["aidreviewer"], class_group=world.class_a, year=year, members=many[:2]
        )
    group = services.evaluation_group_set(
        actor=world["aidreviewer"], class_group=world.class_a, year=year, members=many[:3]
    )
    assert group.members.count() == 3


def test_at_least_half_of_the_members_are_students(world, year):
    students = classmates(world, 1)
    teachers = [StaffFactory(college=world.college_a).user for _ in range(2)]
    with pytest.raises(DomainError, match="half of the members"):
        services.evaluation_group_set(
            actor=world["aidreviewer"], class_group=world.class_a, year=year, members=students + teachers
        )
    group = services.evaluation_group_set(
        actor=world["aidreviewer"],
        class_group=world.class_a,
        year=year,
        members=[*classmates(world, 1), *students, teachers[0]],
    )
    assert group.members.count() == 3


def test_applicants_are_excluded_from_the_group(world, client_for, year):
    identification_in(world.roommate_a, S.DRAFT, year=year)
    members = [world.roommate_a.user, world["committee"], world["liaison"]]
    response = client_for(world["aidreviewer"]).post(
        reverse("aid:evaluation_group_edit", args=[world.class_a.pk]),
        {"students": [u.pk for u in members]},
        follow=True,
    )
    assert "Applicants cannot evaluate their class" in response.content.decode()
    assert not EvaluationGroup.objects.exists()
    members[0] = world["student"]
    response = client_for(world["aidreviewer"]).post(
        reverse("aid:evaluation_group_edit", args=[world.class_a.pk]),
        {"students": [u.pk for u in members]},
        follow=True,
    )
    assert "The evaluation group was saved." in response.content.decode()


def test_students_of_another_class_cannot_be_members(world, year):
    with pytest.raises(DomainError, match="belong to this class"):
        services.evaluation_group_set(
            actor=world["aidreviewer"],
            class_group=world.class_a,
            year=year,
            members=[world["committee"], world["liaison"], world.student_b.user],
        )


def _group(world, year, members):
    return services.evaluation_group_set(
        actor=world["aidreviewer"], class_group=world.class_a, year=year, members=members
    )


def test_members_see_only_what_they_need_and_their_suggestions_conclude_the_evaluation(world, client_for, year):
    plain = StudentFactory(class_group=world.class_a)  # a member with no role at all
    _group(world, year, [world["committee"], world["liaison"], plain.user])
    ident = identification_in(
        world.student_a, S.SUBMITTED, year=year, statement="母亲常年生病住院", household_income=12000, household_size=4
    )
    client = client_for(plain.user)
    page = client.get(reverse("aid:evaluation_mine")).content.decode()
    assert world.student_a.name in page
    assert "below 3,000 yuan a person a year" not in page and "3,000–6,000 yuan a person a year" in page
    for secret in ("母亲常年生病住院", world.student_a.id_card_number, world.student_a.phone, "12000"):
        assert secret not in page
    rows = evaluation_rows_for_member(plain.user, year)
    assert [r.identification_id for r in rows] == [ident.pk]

    for user, tier in ((plain.user, "difficult"), (world["committee"], "difficult")):
        post(client_for(user), "evaluation_record", ident.pk, suggested_tier=tier, reason="情况属实")
    assert Identification.objects.get(pk=ident.pk).status == S.SUBMITTED
    response = post(
        client_for(world["liaison"]), "evaluation_record", ident.pk, suggested_tier="special", reason="x" * 301
    )
    assert "Nothing was changed" in response.content.decode()
    post(client_for(world["liaison"]), "evaluation_record", ident.pk, suggested_tier="special", reason="更困难")
    ident.refresh_from_db()
    assert ident.status == S.CLASS_REVIEWED and ident.class_tier == Tier.DIFFICULT
    assert ClassEvaluation.objects.filter(identification=ident).count() == 3


def test_the_reviewer_may_close_the_evaluation_early(world, client_for, year):
    _group(world, year, [world["committee"], world["liaison"], world.roommate_a.user])
    ident = identification_in(world.student_a, S.SUBMITTED, year=year)
    response = post(client_for(world["aidreviewer"]), "identification_class_close", ident.pk)
    assert "No member of the evaluation group has made a suggestion yet." in response.content.decode()
    services.class_evaluation_record(
        actor=world["committee"], identification=ident, suggested_tier="general", reason="一般"
    )
    post(client_for(world["aidreviewer"]), "identification_class_close", ident.pk)
    ident.refresh_from_db()
    assert ident.status == S.CLASS_REVIEWED and ident.class_tier == Tier.GENERAL


def test_a_member_who_applies_later_stops_evaluating(world, client_for, year):
    _group(world, year, [world["committee"], world["liaison"], world.roommate_a.user])
    identification_in(world.roommate_a, S.SUBMITTED, year=year)
    ident = identification_in(world.student_a, S.SUBMITTED, year=year)
    assert evaluation_rows_for_member(world.roommate_a.user, year) == []
    with pytest.raises(DomainError, match="not a member"):
        services.class_evaluation_record(
            actor=world.roommate_a.user, identification=ident, suggested_tier="general", reason="x"
        )
    response = client_for(world.roommate_a.user).post(
        reverse("aid:evaluation_record", args=[ident.pk]), {"suggested_tier": "general", "reason": "x"}
    )
    assert response.status_code == 403


# --- Notices and objections ----------------------------------------------------------------------------


def test_publishing_a_school_notice_needs_five_working_days(world, year):
    ident = identification_in(world.student_a, S.SCHOOL_REVIEWED, year=year, tier=Tier.DIFFICULT)
    monday = date(2031, 3, 3)
    with time_machine.travel(date(2031, 3, 1), tick=False):
        AcademicYearFactory._meta.model.objects.filter(pk=year.pk).update(
            window_opens_on=date(2031, 2, 1), window_closes_on=date(2031, 3, 30)
        )
        with pytest.raises(DomainError, match="at least 5 working days"):
            services.notice_publish(
                actor=world["aidofficer"],
                year=year,
                college=world.college_a,
                kind=Notice.Kind.SCHOOL,
                title="公示",
                starts_on=monday,
                ends_on=monday + timedelta(days=5),  # Mon–Sat: 5 working days
            ) if Holiday.objects.create(date=monday + timedelta(days=2), name="假") else None
        notice = services.notice_publish(
            actor=world["aidofficer"],
            year=year,
            college=world.college_a,
            kind=Notice.Kind.SCHOOL,
            title="公示",
            starts_on=monday,
            ends_on=monday + timedelta(days=7),
        )
    ident.refresh_from_db()
    assert ident.status == S.SCHOOL_NOTICE and ident.school_notice == notice


@pytest.mark.any_day
def test_working_days_skip_weekends_and_holidays(db):
    monday = date(2031, 3, 3)
    assert working_days_between(monday, monday + timedelta(days=6)) == 5
    Holiday.objects.create(date=monday + timedelta(days=4), name="假日")
    assert working_days_between(monday, monday + timedelta(days=6)) == 4
    assert add_working_days(monday, 5) == monday + timedelta(days=8)  # Fri off, weekend skipped
    assert working_days_between(monday, monday - timedelta(days=1)) == 0


def test_a_college_notice_moves_the_reviewed_rows_and_an_objection_reopens_review(world, client_for, year):
    ident = identification_in(world.student_a, S.COLLEGE_REVIEWED, year=year, college_tier=Tier.SPECIAL)
    today = timezone.localdate()
    response = client_for(world["aidreviewer"]).post(
        reverse("aid:notice_publish"),
        {
            "kind": "college",
            "college": world.college_a.pk,
            "title": "学院公示",
            "starts_on": today,
            "ends_on": today + timedelta(days=3),
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    ident.refresh_from_db()
    assert ident.status == S.COLLEGE_NOTICE

    # A classmate objects; the owner cannot object to their own row.
    own = client_for(world["student"]).post(reverse("aid:notice_object", args=[notice.pk, ident.pk]), {"reason": "x"})
    assert own.status_code == 302 and not Objection.objects.exists()
    response = client_for(world.roommate_a.user).post(
        reverse("aid:notice_object", args=[notice.pk, ident.pk]), {"reason": ""}, follow=True
    )
    assert "Nothing was changed" in response.content.decode()
    client_for(world.roommate_a.user).post(
        reverse("aid:notice_object", args=[notice.pk, ident.pk]), {"reason": "家里新买了车"}
    )
    ident.refresh_from_db()
    assert ident.status == S.OBJECTION
    objection = Objection.objects.get()
    assert objection.lodged_by == world.roommate_a.user

    # The student's page never names the objector.
    mine = client_for(world["student"]).get(reverse("aid:identification_mine")).content.decode()
    assert world.roommate_a.name not in mine and "家里新买了车" not in mine

    # Only aid staff see it; the college reviewer answers; review returns to the college step.
    assert (
        client_for(world["committee"])
        .post(
            reverse("aid:identification_objection_answer", args=[objection.pk]), {"decision": "dismiss", "answer": "x"}
        )
        .status_code
        == 404
    )
    post(
        client_for(world["aidreviewer"]),
        "identification_objection_answer",
        objection.pk,
        decision="uphold",
        tier="general",
        answer="核实后调整",
    )
    ident.refresh_from_db()
    assert ident.status == S.COLLEGE_REVIEWED and ident.college_tier == Tier.GENERAL
    assert Objection.objects.get().status == Objection.Status.UPHELD


def test_an_objection_during_the_school_notice_goes_back_to_the_school_step(world, year):
    ident = identification_in(world.student_a, S.SCHOOL_REVIEWED, year=year)
    notice = notice_for([ident], kind=Notice.Kind.SCHOOL, created_by=world["aidofficer"])
    objection = services.objection_lodge(
        actor=world.roommate_a.user, notice=notice, identification=ident, reason="不属实"
    )
    services.objection_answer(actor=world["aidofficer"], objection=objection, uphold=False, answer="已核实属实")
    ident.refresh_from_db()
    assert ident.status == S.SCHOOL_REVIEWED


# --- Appeals, adjustments, expiry, current tier ---------------------------------------------------------


def test_the_student_appeals_once_and_the_officer_answers(world, client_for, year):
    ident = identification_in(world.student_a, S.REJECTED, year=year)
    assert (
        client_for(world.roommate_a.user)
        .post(reverse("aid:identification_appeal", args=[ident.pk]), {"reason": "x"})
        .status_code
        == 404
    )
    post(client_for(world["student"]), "identification_appeal", ident.pk, reason="家里遭灾")
    ident.refresh_from_db()
    assert ident.status == S.APPEAL
    appeal = Appeal.objects.get()
    assert appeal.answer_due_on > timezone.localdate()
    assert Reminder.objects.filter(dedupe_key__startswith=f"aid:appeal:{appeal.pk}:due:").exists()
    assert (
        client_for(world["aidreviewer"])
        .post(
            reverse("aid:identification_appeal_answer", args=[ident.pk]),
            {"decision": "approve", "tier": "general", "answer": "x"},
        )
        .status_code
        == 403
    )
    post(
        client_for(world["aidofficer"]),
        "identification_appeal_answer",
        ident.pk,
        decision="approve",
        tier="general",
        answer="同意认定",
    )
    ident.refresh_from_db()
    assert ident.status == S.APPROVED and ident.tier == Tier.GENERAL
    assert current_tier(world.student_a) == Tier.GENERAL


def test_current_tier_is_the_approved_or_adjusted_tier_of_the_current_year(world, year):
    assert current_tier(world.student_a) is None
    ident = identification_in(world.student_a, S.APPROVED, year=year, tier=Tier.DIFFICULT)
    assert current_tier(world.student_a) == Tier.DIFFICULT
    services.identification_adjust(actor=world["aidofficer"], identification=ident, tier="special", reason="变故")
    assert current_tier(world.student_a) == Tier.SPECIAL
    services.identification_revoke(actor=world["aidofficer"], identification=ident, reason="不符")
    assert current_tier(world.student_a) is None


def test_year_end_expiry_is_idempotent(world, year):
    ident = identification_in(world.student_a, S.APPROVED, year=year, tier=Tier.DIFFICULT)
    submitted = identification_in(world.student_b, S.SUBMITTED, year=year)
    after = year.ends_on + timedelta(days=1)
    assert services.identifications_expire(today=year.ends_on) == 0
    assert services.identifications_expire(today=after) == 1
    assert services.identifications_expire(today=after) == 0
    ident.refresh_from_db()
    submitted.refresh_from_db()
    assert ident.status == S.EXPIRED and submitted.status == S.SUBMITTED
    assert ident.events.filter(to_status=S.EXPIRED).count() == 1


# --- Reminders ----------------------------------------------------------------------------------------


def test_window_reminders_go_out_once(world, year):
    first = services.remind_window()
    assert first > 0
    services.remind_window()
    keys = Reminder.objects.filter(dedupe_key__startswith=f"aid:window:{year.pk}:open:")
    assert keys.filter(recipient=world["student"]).count() == 1
    closing = year.window_closes_on
    services.remind_window(today=closing)
    services.remind_window(today=closing)
    assert (
        Reminder.objects.filter(
            dedupe_key__startswith=f"aid:window:{year.pk}:closing:", recipient=world["student"]
        ).count()
        == 1
    )


def test_overdue_reviews_remind_the_college_reviewer_once(world, year):
    identification_in(world.student_a, S.SUBMITTED, year=year, submitted_at=timezone.now() - timedelta(days=10))
    assert services.remind_overdue_reviews() == 1
    services.remind_overdue_reviews()
    assert Reminder.objects.filter(dedupe_key__contains=":overdue:", recipient=world["aidreviewer"]).count() == 1


def test_notice_ending_reminds_the_publisher_once(world, year):
    ident = identification_in(world.student_a, S.COLLEGE_REVIEWED, year=year)
    today = timezone.localdate()
    notice_for([ident], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"], ends_on=today)
    assert services.notice_remind_ending() == 1
    services.notice_remind_ending()
    assert Reminder.objects.filter(dedupe_key__contains=":ending:").count() == 1


def test_a_reviewer_of_another_college_cannot_act(world, client_for, year):
    other = StaffFactory().user
    grant(other, Role.AID_REVIEWER, college=world.college_b)
    ident = identification_in(world.student_a, S.SUBMITTED, year=year)
    assert (
        client_for(other).post(reverse("aid:identification_return", args=[ident.pk]), {"reason": "x"}).status_code
        == 404
    )


def test_the_beat_tasks_run_twice_without_doing_anything_twice(world, year):
    from aid.tasks import identification as tasks

    identification_in(world.student_a, S.SUBMITTED, year=year, submitted_at=timezone.now() - timedelta(days=30))
    for task in (
        tasks.identification_expire_ended_years,
        tasks.identification_remind_window,
        tasks.identification_remind_overdue_reviews,
        tasks.identification_remind_notice_ending,
    ):
        task()
    count = Reminder.objects.count()
    for task in (
        tasks.identification_remind_window,
        tasks.identification_remind_overdue_reviews,
        tasks.identification_remind_notice_ending,
    ):
        task()
    assert Reminder.objects.count() == count > 0
