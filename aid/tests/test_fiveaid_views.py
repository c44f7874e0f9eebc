"""Five-aid cases: each persona × each view; aid staff see the referral status only; bad input → message."""

import uuid

import pytest
from django.urls import reverse

from aid.models import FiveAidCase, FiveAidEntry, TermReview, Tier
from aid.services import fiveaid as services
from aid.tests.factories import fiveaid_case_for, identified
from counseling import services as counseling_services
from counseling.models import Case, Report

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
]
AID_STAFF = {"aidreviewer", "aidofficer", "admin"}
SCHOOL_WIDE = {"aidofficer", "admin"}
NOTE = "独特转介说明QWERTY家里压力很大"


@pytest.fixture
def cases(world):
    return fiveaid_case_for(world.student_a, Tier.SPECIAL), fiveaid_case_for(world.student_b)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_is_for_aid_staff_only(world, client_for, cases, persona):
    response = client_for(world[persona]).get(reverse("aid:fiveaid_list"))
    assert response.status_code == (200 if persona in AID_STAFF else 403)
    if persona == "aidreviewer":
        assert world.student_a.name in response.content.decode()
        assert world.student_b.name not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_case_page_opens_for_aid_staff_in_scope_and_is_404_for_everyone_else(world, client_for, cases, persona):
    case_a, case_b = cases
    client = client_for(world[persona])
    in_scope = client.get(reverse("aid:fiveaid_detail", args=[case_a.pk]))
    out_of_scope = client.get(reverse("aid:fiveaid_detail", args=[case_b.pk]))
    assert in_scope.status_code == (200 if persona in AID_STAFF else 404)
    assert out_of_scope.status_code == (200 if persona in SCHOOL_WIDE else 404)


@pytest.mark.parametrize(
    "url_name", ["fiveaid_plan", "fiveaid_entry_add", "fiveaid_review", "fiveaid_employment", "fiveaid_refer"]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_are_post_only_and_refused_outside_aid_staff(world, client_for, cases, url_name, persona):
    case_a, _case_b = cases
    client = client_for(world[persona])
    url = reverse(f"aid:{url_name}", args=[case_a.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {})
    if persona in AID_STAFF:
        # the page again with the form's errors; the employment flags are two check boxes, valid when empty
        assert response.status_code == (302 if url_name == "fiveaid_employment" else 200)
    else:
        assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, cases):
    for url in (reverse("aid:fiveaid_list"), reverse("aid:fiveaid_detail", args=[cases[0].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - SCHOOL_WIDE))
def test_only_officers_open_cases_for_the_year(world, client_for, persona):
    response = client_for(world[persona]).post(reverse("aid:fiveaid_open_all"))
    assert response.status_code == 403


def test_the_officer_opens_the_missing_cases_once(world, client_for):
    identified(world.student_a)
    identified(world.student_b, Tier.GENERAL)
    client = client_for(world["aidofficer"])
    response = client.post(reverse("aid:fiveaid_open_all"), follow=True)
    assert "2 support plans opened" in " ".join(messages_of(response))
    response = client.post(reverse("aid:fiveaid_open_all"), follow=True)
    assert "0 support plans opened" in " ".join(messages_of(response))
    assert FiveAidCase.objects.count() == 2


def test_the_referral_creates_a_counselling_report_and_aid_staff_see_only_its_status(world, client_for, cases):
    case_a, _ = cases
    client = client_for(world["aidreviewer"])
    response = client.post(
        reverse("aid:fiveaid_refer", args=[case_a.pk]), {"note": NOTE, "key": str(uuid.uuid4())}, follow=True
    )
    assert "referred to their college's counselling station" in " ".join(messages_of(response))
    case_a.refresh_from_db()
    report = Report.objects.get(pk=case_a.psych_referral_report_id)
    assert report.source == Report.Source.AID_REFERRAL
    assert report.case.student_id == world.student_a.pk
    page = client.get(reverse("aid:fiveaid_detail", args=[case_a.pk])).content.decode()
    assert "Referred to the counselling station." in page
    assert NOTE not in page  # the note is counselling's
    # Counselling records something; the aid page learns "engaged", never the content.
    counselling_case = report.case
    counseling_services.case_acknowledge(actor=world["station"], case=counselling_case)
    counseling_services.case_add_note(actor=world["station"], case=counselling_case, note="咨询记录机密ZXCV")
    page = client.get(reverse("aid:fiveaid_detail", args=[case_a.pk])).content.decode()
    assert "The counselling station is in touch with the student." in page
    assert "ZXCV" not in page
    case_a.refresh_from_db()
    assert case_a.psych_status == "engaged"


def test_the_status_follows_the_counselling_case_to_declined(world, cases):
    case_a, _ = cases
    case_a, referred = services.fiveaid_refer(
        actor=world["aidofficer"], case=case_a, note=NOTE, idempotency_key=uuid.uuid4()
    )
    assert referred and case_a.psych_status == "referred"
    counselling_case = Case.objects.get(reports__pk=case_a.psych_referral_report_id)
    counseling_services.case_acknowledge(actor=world["counselor"], case=counselling_case)
    assert services.fiveaid_psych_status_sync(case=case_a) == "engaged"
    counseling_services.case_transition(
        actor=world["counselor"], case=counselling_case, to_status=Case.Status.CLOSED, reason="declined"
    )
    assert services.fiveaid_psych_status_sync(case=case_a) == "declined"
    assert services.fiveaid_psych_statuses_sync() == 0  # already in step
    # Declined: the aid office may refer again.
    _case, referred = services.fiveaid_refer(
        actor=world["aidofficer"], case=case_a, note=NOTE, idempotency_key=uuid.uuid4()
    )
    assert referred


def test_a_second_referral_is_not_made_while_the_first_is_open(world, client_for, cases):
    case_a, _ = cases
    client = client_for(world["aidofficer"])
    url = reverse("aid:fiveaid_refer", args=[case_a.pk])
    client.post(url, {"note": NOTE, "key": str(uuid.uuid4())})
    response = client.post(url, {"note": NOTE, "key": str(uuid.uuid4())}, follow=True)
    assert "already referred" in " ".join(messages_of(response))
    assert Report.objects.filter(source=Report.Source.AID_REFERRAL).count() == 1


@pytest.mark.parametrize("persona", ["station", "counselor", "assessor", "liaison", "committee", "student"])
def test_counselling_staff_and_student_roles_never_see_aid_cases(world, client_for, cases, persona):
    case_a, _ = cases
    services.fiveaid_entry_add(
        actor=world["aidofficer"],
        case=case_a,
        aid="employment",
        kind="coaching",
        title="简历辅导ABC",
        on=case_a.opened_at.date(),
    )
    client = client_for(world[persona])
    assert client.get(reverse("aid:fiveaid_detail", args=[case_a.pk])).status_code == 404
    assert client.get(reverse("aid:fiveaid_list")).status_code == 403


def test_the_student_sees_a_gentle_summary_of_their_own_plan(world, client_for, cases):
    case_a, case_b = cases
    services.fiveaid_plan_set(actor=world["aidofficer"], case=case_a, aid="growth", text="安排学业导师")
    services.fiveaid_plan_set(actor=world["aidofficer"], case=case_b, aid="growth", text="另一位同学的计划")
    services.fiveaid_review_record(
        actor=world["aidofficer"],
        case=case_a,
        term=services.fiveaid_terms(case_a.identification.year)[0][0],
        summary="内部学期评估XYZ",
    )
    services.fiveaid_refer(actor=world["aidofficer"], case=case_a, note=NOTE, idempotency_key=uuid.uuid4())
    page = client_for(world["student"]).get(reverse("aid:fiveaid_mine")).content.decode()
    assert "Your support plan" in page
    assert "安排学业导师" in page
    assert "另一位同学的计划" not in page
    assert "内部学期评估XYZ" not in page
    for word in ("poverty", "especially difficult", "Tier", "referred", NOTE):
        assert word not in page
    other = client_for(world.roommate_a.user).get(reverse("aid:fiveaid_mine")).content.decode()
    assert "You have no support plan this year" in other


def test_plan_entry_review_and_employment_are_saved(world, client_for, cases):
    case_a, _ = cases
    client = client_for(world["aidreviewer"])
    client.post(reverse("aid:fiveaid_plan", args=[case_a.pk]), {"aid": "employment", "text": "推荐实习"})
    client.post(
        reverse("aid:fiveaid_entry_add", args=[case_a.pk]),
        {"aid": "growth", "kind": "mentor", "title": "学业导师", "on": "2020-01-01", "note": ""},
    )
    term = services.fiveaid_terms(case_a.identification.year)[1][0]
    client.post(reverse("aid:fiveaid_review", args=[case_a.pk]), {"term": term, "summary": "进步明显"})
    client.post(reverse("aid:fiveaid_employment", args=[case_a.pk]), {"placed": "on", "xinjiang_programme": "on"})
    case_a.refresh_from_db()
    assert case_a.plan == {"employment": "推荐实习"}
    assert FiveAidEntry.objects.get(case=case_a).kind == "mentor"
    assert TermReview.objects.get(case=case_a, term=term).summary == "进步明显"
    assert case_a.placed and case_a.xinjiang_programme
    listed = client.get(reverse("aid:fiveaid_list"), {"xinjiang": "on"}).content.decode()
    assert world.student_a.name in listed


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("fiveaid_plan", {"aid": "money", "text": "x" * 100_000}),
        ("fiveaid_plan", {"aid": "money", "text": "a\x00b"}),
        ("fiveaid_plan", {"aid": "abc", "text": "ok"}),
        ("fiveaid_entry_add", {"aid": "employment", "kind": "mentor", "title": "t", "on": "2020-01-01"}),
        ("fiveaid_entry_add", {"aid": "money", "kind": "other", "title": "t", "on": "2020-01-01"}),
        ("fiveaid_entry_add", {"aid": "growth", "kind": "mentor", "title": "t", "on": "abc"}),
        ("fiveaid_entry_add", {"aid": "growth", "kind": "mentor", "title": "t", "on": "2999-01-01"}),
        ("fiveaid_entry_add", {"aid": "growth", "kind": "mentor", "title": "\x00", "on": "2020-01-01"}),
        ("fiveaid_review", {"term": "1999-1", "summary": "ok"}),
        ("fiveaid_review", {"term": "", "summary": "x" * 100_000}),
        ("fiveaid_refer", {"note": "", "key": "abc"}),
        ("fiveaid_refer", {"note": "x" * 100_000, "key": str(uuid.uuid4())}),
        ("fiveaid_refer", {"note": "a\x00b", "key": str(uuid.uuid4())}),
    ],
)
def test_bad_input_comes_back_with_a_message_and_changes_nothing(world, client_for, cases, url_name, data):
    case_a, _ = cases
    response = client_for(world["aidofficer"]).post(reverse(f"aid:{url_name}", args=[case_a.pk]), data)
    assert response.status_code == 200
    assert "Nothing was saved" in " ".join(messages_of(response))
    case_a.refresh_from_db()
    assert case_a.plan == {}
    assert case_a.psych_referral_report_id is None
    assert not FiveAidEntry.objects.exists()
    assert not TermReview.objects.exists()


def test_the_list_costs_the_same_queries_for_5_and_50_cases(world, client_for, django_assert_max_num_queries):
    from portal.tests.factories import StudentFactory

    for _ in range(5):
        fiveaid_case_for(StudentFactory(class_group=world.class_a))
    client = client_for(world["aidofficer"])
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("aid:fiveaid_list"))
    for _ in range(45):
        fiveaid_case_for(StudentFactory(class_group=world.class_a))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("aid:fiveaid_list"))
    assert "50 plans" in response.content.decode()
