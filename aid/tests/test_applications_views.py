"""Each persona × each page of funds, programmes, applications and payments: the designed answer, never a
500; out-of-scope objects are 404; list pages cost the same number of queries at 5 rows as at 50; money
input is validated with a message and nothing saved."""

from decimal import Decimal

import pytest
from django.urls import reverse

from aid.models import Application, BankAccount, Payment, Tier
from aid.services import funds as services
from aid.tests.factories_funds import FundFactory, application_in, current_year, identify, programme
from portal.models import AuditEvent
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory, grant

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
STUDENTS = {"student", "liaison", "committee"}
OFFICERS = {"aidofficer", "admin"}
REVIEWERS = {"aidreviewer", *OFFICERS}


@pytest.fixture
def objects(world):
    """Applications in college A (student_a's, paid, in a batch) and college B, a fund, a programme."""
    officer = world["aidofficer"]
    grant_programme = programme("national-grant")
    fund = FundFactory(party="state")
    app_a = application_in(
        Application.Status.PAID, student=world.student_a, officer=officer, prog=grant_programme, fund=fund
    )
    app_b = application_in(Application.Status.SUBMITTED, student=world.student_b, officer=officer, prog=grant_programme)
    batch = app_a.payments.first().batch
    return {"app_a": app_a, "app_b": app_b, "fund": fund, "programme": grant_programme, "batch": batch}


def _pages(objects) -> dict[str, tuple[str, set[str]]]:
    """url → (name, the personas who get 200); everyone else gets 403 or 404 as checked below."""
    p = objects["programme"].pk
    return {
        reverse("aid:programme_list"): STUDENTS,
        reverse("aid:programme_apply", args=[p]): STUDENTS,
        reverse("aid:payment_bank_account"): STUDENTS,
        reverse("aid:application_detail", args=[objects["app_a"].pk]): {"student", *REVIEWERS},
        reverse("aid:application_detail", args=[objects["app_b"].pk]): OFFICERS,
        reverse("aid:application_queue"): REVIEWERS,
        reverse("aid:application_list"): OFFICERS,
        reverse("aid:fund_list"): OFFICERS,
        reverse("aid:fund_detail", args=[objects["fund"].pk]): OFFICERS,
        reverse("aid:programme_manage"): OFFICERS,
        reverse("aid:programme_edit", args=[p]): OFFICERS,
        reverse("aid:batch_list"): OFFICERS,
        reverse("aid:batch_detail", args=[objects["batch"].pk]): OFFICERS,
        reverse("aid:batch_export", args=[objects["batch"].pk]): OFFICERS,
    }


# Object pages answer 404 to those who may not see the object (existence does not leak).
OBJECT_PAGES = ("application_detail",)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_designed_answer_on_every_page(world, client_for, objects, persona):
    client = client_for(world[persona])
    for url, allowed in _pages(objects).items():
        response = client.get(url)
        if persona in allowed:
            assert response.status_code == 200, (persona, url)
        elif "/applications/" in url and url.rstrip("/").split("/")[-1].isdigit():
            assert response.status_code == 404, (persona, url)
        else:
            assert response.status_code == 403, (persona, url, response.status_code)


def test_signed_out_visitors_are_sent_to_sign_in(client, world, objects):
    for url in _pages(objects):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "url_name,args",
    [
        ("aid:application_action", "app:withdraw"),
        ("aid:batch_mark_paid", "batch"),
        ("aid:programme_quota", "programme"),
        ("aid:payment_returned", "payment"),
    ],
)
def test_action_endpoints_are_post_only(world, client_for, objects, url_name, args):
    pk = {
        "app:withdraw": [objects["app_a"].pk, "withdraw"],
        "batch": [objects["batch"].pk],
        "programme": [objects["programme"].pk],
        "payment": [objects["app_a"].payments.first().pk],
    }[args]
    response = client_for(world["aidofficer"]).get(reverse(url_name, args=pk))
    assert response.status_code == 405


def test_unknown_objects_and_actions_are_404(world, client_for, objects):
    client = client_for(world["aidofficer"])
    assert client.get(reverse("aid:fund_detail", args=[999999])).status_code == 404
    assert client.get(reverse("aid:application_detail", args=[999999])).status_code == 404
    assert client.get(reverse("aid:batch_detail", args=[999999])).status_code == 404
    assert client.post(reverse("aid:application_action", args=[objects["app_a"].pk, "explode"])).status_code == 404


def test_a_reviewer_of_another_college_gets_404_for_college_a(world, client_for, objects):
    reviewer_b = StaffFactory(user=UserFactory(username="aidreviewer_b")).user
    grant(reviewer_b, "aid_reviewer", college=world.college_b)
    client = client_for(reviewer_b)
    assert client.get(reverse("aid:application_detail", args=[objects["app_a"].pk])).status_code == 404
    assert client.get(reverse("aid:application_detail", args=[objects["app_b"].pk])).status_code == 200
    queue = client.get(reverse("aid:application_queue"))
    assert world.student_b.student_no in queue.text
    assert world.student_a.student_no not in queue.text


@pytest.mark.parametrize("persona", ["station", "counselor", "assessor", "visitor", "liaison", "committee"])
def test_counselling_staff_and_student_roles_see_no_one_elses_aid(world, client_for, objects, persona):
    client = client_for(world[persona])
    for key in ("app_a", "app_b"):
        assert client.get(reverse("aid:application_detail", args=[objects[key].pk])).status_code == 404
    if persona in STUDENTS:
        page = client.get(reverse("aid:programme_list")).text
        assert world.student_a.name not in page
        assert objects["programme"].name in page  # programmes themselves are public


def test_reading_an_application_is_audited(world, client_for, objects):
    before = AuditEvent.objects.filter(action="read", object_type="aid.application").count()
    client_for(world["aidreviewer"]).get(reverse("aid:application_detail", args=[objects["app_a"].pk]))
    assert AuditEvent.objects.filter(action="read", object_type="aid.application").count() == before + 1


def test_reading_the_own_bank_account_is_audited_and_masked(world, client_for, objects):
    response = client_for(world["student"]).get(reverse("aid:payment_bank_account"))
    assert "************5678" in response.text
    assert "6217000012345678" not in response.text
    assert AuditEvent.objects.filter(action="read", object_type="aid.bankaccount").exists()


def test_card_numbers_are_masked_on_every_page_but_the_export(world, client_for, objects):
    client = client_for(world["aidofficer"])
    batch = objects["batch"]
    for url in (
        reverse("aid:batch_detail", args=[batch.pk]),
        reverse("aid:batch_list"),
        reverse("aid:application_detail", args=[objects["app_a"].pk]),
    ):
        assert "6217000012345678" not in client.get(url).text
    assert "************5678" in client.get(reverse("aid:batch_detail", args=[batch.pk])).text


# --- The student's pages --------------------------------------------------------------------------------------


def test_the_student_sees_programmes_with_reasons_and_their_applications(world, client_for, objects):
    page = client_for(world["student"]).get(reverse("aid:programme_list")).text
    assert "国家助学金" in page
    assert "You have already applied for this programme this year." in page
    assert "paid" in page


def test_a_student_without_identification_sees_why(world, client_for, db):
    services.seed_programmes()
    current_year()
    page = client_for(world["student"]).get(reverse("aid:programme_list")).text
    assert "It needs a current identification of financial difficulty" in page


def test_the_student_applies_for_the_grant(world, client_for, db):
    identify(world.student_a, Tier.SPECIAL)
    grant_programme = programme("national-grant")
    response = client_for(world["student"]).post(
        reverse("aid:programme_apply", args=[grant_programme.pk]), {"statement": "父亲生病，家里收入减少。"}
    )
    application = Application.objects.get(student=world.student_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("aid:application_detail", args=[application.pk])
    assert application.status == Application.Status.SUBMITTED
    assert application.amount == Decimal("4500.00")


def test_applying_twice_says_so(world, client_for, db):
    identify(world.student_a, Tier.SPECIAL)
    grant_programme = programme("national-grant")
    client = client_for(world["student"])
    url = reverse("aid:programme_apply", args=[grant_programme.pk])
    client.post(url, {"statement": "第一次"})
    response = client.post(url, {"statement": "第二次"})
    assert response.status_code == 200
    assert "You have already applied for this programme this year." in response.text
    assert Application.objects.filter(student=world.student_a).count() == 1


def test_the_database_constraint_becomes_a_message(world, db):
    identify(world.student_a, Tier.SPECIAL)
    grant_programme = programme("national-grant")
    Application.objects.create(
        student=world.student_a, programme=grant_programme, year=current_year(), status="withdrawn", amount=1
    )
    # Even if the pre-check were skipped, the constraint answers with the same message.
    from aid import eligibility

    original = eligibility.reasons
    try:
        eligibility.reasons = lambda ctx, p: []
        with pytest.raises(services.DomainError, match="already applied"):
            services.application_apply(
                actor=world["student"],
                student=world.student_a,
                programme=grant_programme,
                year=current_year(),
                statement="x",
            )
    finally:
        eligibility.reasons = original


BAD_AMOUNTS = [
    ("0", "The amount must be more than zero."),
    ("-5", "The amount must be more than zero."),
    ("abc", "Enter an amount in yuan"),
    ("1e9", "Enter an amount in yuan"),
    ("10000.001", "Enter an amount in yuan"),
    ("NaN", "Enter an amount in yuan"),
    ("20000.01", "The most you can apply for is 20,000.00 yuan."),
    ("", "This field is required."),
]


@pytest.mark.parametrize(("amount", "message"), BAD_AMOUNTS)
def test_bad_amounts_are_refused_with_a_message_and_nothing_is_saved(world, client_for, db, amount, message):
    identify(world.student_a, Tier.GENERAL)
    loan = programme("student-loan")
    response = client_for(world["student"]).post(
        reverse("aid:programme_apply", args=[loan.pk]), {"statement": "申请助学贷款", "amount": amount}
    )
    assert response.status_code == 200
    assert message in response.text
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "more than zero"),
        (Decimal("-5"), "more than zero"),
        ("abc", "Enter an amount"),
        (Decimal("1E9"), "The most you can apply for"),
        (Decimal("10000.001"), "two decimal places"),
        (Decimal("NaN"), "Enter an amount"),
        (20000.0, "not a float"),
        (Decimal("20000.01"), "The most you can apply for"),
    ],
)
def test_the_service_refuses_bad_amounts_too(world, db, amount, message):
    identify(world.student_a, Tier.GENERAL)
    with pytest.raises(services.DomainError, match=message):
        services.application_apply(
            actor=world["student"],
            student=world.student_a,
            programme=programme("student-loan"),
            year=current_year(),
            statement="x",
            amount=amount,
        )
    assert not Application.objects.exists()


def test_an_up_to_amount_within_the_maximum_is_kept(world, client_for, db):
    identify(world.student_a, Tier.GENERAL)
    loan = programme("student-loan")
    client_for(world["student"]).post(
        reverse("aid:programme_apply", args=[loan.pk]), {"statement": "申请助学贷款", "amount": "12,000.50"}
    )
    assert Application.objects.get().amount == Decimal("12000.50")


def test_an_ineligible_student_cannot_post_an_application(world, client_for, db):
    encouragement = programme("national-encouragement")  # needs identification
    current_year()
    response = client_for(world["student"]).post(
        reverse("aid:programme_apply", args=[encouragement.pk]), {"statement": "x"}
    )
    assert response.status_code == 200
    assert "needs a current identification" in response.text
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("card", "again", "message"),
    [
        ("12345", "12345", "12 to 19 digits"),
        ("62170000123456789012", "62170000123456789012", "12 to 19 digits"),
        ("6217abcd12345678", "6217abcd12345678", "12 to 19 digits"),
        ("6217000012345678", "6217000012345679", "The two numbers differ."),
    ],
)
def test_bank_account_numbers_are_checked(world, client_for, db, card, again, message):
    response = client_for(world["student"]).post(
        reverse("aid:payment_bank_account"), {"bank": "中国银行", "card_number": card, "card_number_again": again}
    )
    assert response.status_code == 200
    assert message in response.text
    assert not BankAccount.objects.exists()


def test_a_student_saves_a_bank_account_encrypted_and_audited(world, client_for, db):
    response = client_for(world["student"]).post(
        reverse("aid:payment_bank_account"),
        {"bank": "中国农业银行", "card_number": "6228 4800 1234 5678 901", "card_number_again": "6228480012345678901"},
    )
    assert response.status_code == 302
    account = BankAccount.objects.get(student=world.student_a)
    assert account.card_number == "6228480012345678901"
    assert account.card_masked.endswith("8901")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT card_number FROM aid_bankaccount WHERE id = %s", [account.pk])
        assert "6228480012345678901" not in cursor.fetchone()[0]
    assert AuditEvent.objects.filter(action="bank_account.created").exists()


# --- Bounded queries ----------------------------------------------------------------------------------------------


def _many_applications(world, n: int) -> None:
    officer = world["aidofficer"]
    grant_programme = programme("national-grant")
    fund = FundFactory(party="state", budget=Decimal("10000000"))
    for _ in range(n):
        student = StudentFactory(class_group=world.class_a)
        identify(student)
        app = application_in(
            Application.Status.PAYING, student=student, officer=officer, prog=grant_programme, fund=fund
        )
        services.bank_account_save(actor=officer, student=app.student, bank="中国银行", card_number="6217000012345678")
    ids = list(Payment.objects.filter(batch__isnull=True).values_list("pk", flat=True))
    services.batch_create(actor=officer, name=f"batch-{n}", payment_ids=ids)


LIST_PAGES = [
    ("aidofficer", "aid:application_list"),
    ("aidreviewer", "aid:application_queue"),
    ("aidofficer", "aid:fund_list"),
    ("aidofficer", "aid:programme_manage"),
    ("aidofficer", "aid:batch_list"),
]


def _queries_per_page(world, client_for) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for persona, url_name in LIST_PAGES:
        client = client_for(world[persona])
        client.get(reverse(url_name))  # warm per-process caches (config)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(url_name)).status_code == 200
        counts[url_name] = len(captured)
    return counts


def _submitted(world, n: int) -> None:
    for _ in range(n):
        student = StudentFactory(class_group=world.class_a)
        application_in(
            Application.Status.SUBMITTED, student=student, officer=world["aidofficer"], prog=programme("school-grant")
        )


def test_list_pages_cost_the_same_at_5_and_50_rows(world, client_for):
    _many_applications(world, 5)
    _submitted(world, 5)
    small = _queries_per_page(world, client_for)
    _many_applications(world, 45)
    _submitted(world, 45)
    large = _queries_per_page(world, client_for)
    assert large == small
    assert max(large.values()) <= 15, large


def test_batch_detail_and_student_programmes_cost_the_same_at_5_and_50(
    world, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aid.models import PaymentBatch

    officer = client_for(world["aidofficer"])
    _many_applications(world, 5)
    small_batch = PaymentBatch.objects.get(name="batch-5")
    officer.get(reverse("aid:batch_detail", args=[small_batch.pk]))
    with CaptureQueriesContext(connection) as small:
        officer.get(reverse("aid:batch_detail", args=[small_batch.pk]))
    _many_applications(world, 50)
    large_batch = PaymentBatch.objects.get(name="batch-50")
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as large:
        officer.get(reverse("aid:batch_detail", args=[large_batch.pk]))
    assert len(large) == len(small)

    identify(world.student_a)
    student = client_for(world["student"])
    with django_assert_max_num_queries(15):
        assert student.get(reverse("aid:programme_list")).status_code == 200
