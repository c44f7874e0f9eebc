"""Every list and dashboard page of aid costs a fixed number of queries, whatever the number of rows (issue 9):
each page is rendered with 5 and with 50 rows, and the rows' related data is checked on the page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aid.models import (
    Application,
    HiddenAidBatch,
    HiddenAidCandidate,
    Identification,
    Notice,
    Payment,
    PaymentBatch,
    Tier,
)
from aid.tests.factories import (
    AcademicYearFactory,
    fiveaid_case_for,
    identification_in,
    notice_for,
    workstudy_placed,
    workstudy_post,
)
from aid.tests.factories_funds import FundFactory, ProgrammeFactory, application_in, current_year
from portal.models import Role
from portal.tests.factories import ClassGroupFactory, StudentFactory, grant
from portal.tests.querybudget import assert_bounded

pytestmark = pytest.mark.django_db


def _students(world, n):
    return StudentFactory.create_batch(n, class_group=world.class_a)


def _applications(world, status, *, shown="name", **kwargs):
    def make(n):
        students = _students(world, n)
        for s in students:
            application_in(status, student=s, officer=world["aidofficer"], **kwargs)
        return [getattr(s, shown) for s in students]

    return make


# --- Funds --------------------------------------------------------------------------------------------


def test_the_students_programme_page_is_bounded(world, client_for):
    student = world.student_a

    def make(n):
        programmes = ProgrammeFactory.create_batch(n)
        for prog in programmes:
            application_in(Application.Status.SUBMITTED, student=student, officer=world["aidofficer"], prog=prog)
        return [p.name for p in programmes]

    assert_bounded(client_for(world["student"]), reverse("aid:programme_list"), make)


def test_the_review_queue_is_bounded(world, client_for):
    url = reverse("aid:application_queue")
    assert_bounded(client_for(world["aidreviewer"]), url, _applications(world, Application.Status.SUBMITTED))


def test_the_officers_application_list_is_bounded(world, client_for):
    url = reverse("aid:application_list")
    assert_bounded(client_for(world["aidofficer"]), url, _applications(world, Application.Status.SUBMITTED))


def test_the_fund_list_is_bounded(world, client_for):
    def make(n):
        return [f.name for f in FundFactory.create_batch(n)]

    assert_bounded(client_for(world["aidofficer"]), reverse("aid:fund_list"), make)


def test_a_funds_ledger_is_bounded(world, client_for):
    fund = FundFactory()
    url = reverse("aid:fund_detail", args=[fund.pk])
    make = _applications(world, Application.Status.COMMITTED, fund=fund, shown="student_no")
    assert_bounded(client_for(world["aidofficer"]), url, make)


def test_programme_management_is_bounded(world, client_for):
    current_year()

    def make(n):
        return [p.name for p in ProgrammeFactory.create_batch(n)]

    assert_bounded(client_for(world["aidofficer"]), reverse("aid:programme_manage"), make)


def test_the_batch_page_is_bounded(world, client_for):
    # Payments ready for a batch, and batches already made.
    def make(n):
        names = _applications(world, Application.Status.PAYING)(n)
        PaymentBatch.objects.create(name=f"批次 {PaymentBatch.objects.count()}", created_by=world["aidofficer"])
        return names

    assert_bounded(client_for(world["aidofficer"]), reverse("aid:batch_list"), make)


def test_a_payment_batch_is_bounded(world, client_for):
    batch = PaymentBatch.objects.create(name="批次", created_by=world["aidofficer"])

    def make(n):
        names = _applications(world, Application.Status.PAYING)(n)
        # The first instalment of each: one payment per student, so 50 rows fill exactly one page.
        for name in names:
            first = Payment.objects.filter(application__student__name=name).order_by("due_on", "pk").first()
            Payment.objects.filter(pk=first.pk).update(batch=batch)
        return names

    assert_bounded(client_for(world["aidofficer"]), reverse("aid:batch_detail", args=[batch.pk]), make)


# --- Identification -----------------------------------------------------------------------------------


def test_the_identification_review_list_is_bounded(world, client_for):
    year = AcademicYearFactory()

    def make(n):
        students = _students(world, n)
        for s in students:
            identification_in(s, Identification.Status.SUBMITTED, year=year)
        return [s.name for s in students[: max(1, n - 5)]]

    assert_bounded(client_for(world["aidreviewer"]), reverse("aid:identification_list"), make)


def test_the_evaluation_groups_page_is_bounded(world, client_for):
    year = AcademicYearFactory()

    def make(n):
        classes = ClassGroupFactory.create_batch(n, college=world.college_a)
        for class_group in classes:
            identification_in(StudentFactory(class_group=class_group), Identification.Status.SUBMITTED, year=year)
        return [c.name for c in classes]

    assert_bounded(client_for(world["aidreviewer"]), reverse("aid:evaluation_groups"), make)


@pytest.mark.parametrize("persona", ["student", "aidreviewer"])
def test_the_notice_list_is_bounded(world, client_for, persona):
    year = AcademicYearFactory()

    def make(n):
        notices = []
        for s in _students(world, n):
            ident = identification_in(s, Identification.Status.COLLEGE_REVIEWED, year=year)
            notices.append(notice_for([ident], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"]))
        return [reverse("aid:notice_detail", args=[notice.pk]) for notice in notices]

    assert_bounded(client_for(world[persona]), reverse("aid:notice_list"), make)


@pytest.mark.parametrize("persona", ["student", "aidreviewer"])
def test_a_notice_is_bounded(world, client_for, persona):
    year = AcademicYearFactory()
    first = identification_in(world.roommate_a, Identification.Status.COLLEGE_REVIEWED, year=year)
    notice = notice_for([first], kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"])

    def make(n):
        students = _students(world, n)
        for s in students:
            ident = identification_in(s, Identification.Status.COLLEGE_NOTICE, year=year)
            ident.college_notice, ident.college_tier = notice, Tier.DIFFICULT
            ident.save(update_fields=["college_notice", "college_tier"])
        return [s.name for s in students[: max(1, n - 1)]]  # with the first row, 51: the last is on page 2

    assert_bounded(client_for(world[persona]), reverse("aid:notice_detail", args=[notice.pk]), make)


# --- Five-aid, work-study, dashboard, hidden aid ------------------------------------------------------


@pytest.mark.parametrize("persona", ["aidreviewer", "aidofficer"])
def test_the_five_aid_list_is_bounded(world, client_for, persona):
    def make(n):
        students = _students(world, n)
        for s in students:
            fiveaid_case_for(s)
        return [s.name for s in students[: max(1, n - 5)]]

    assert_bounded(client_for(world[persona]), reverse("aid:fiveaid_list"), make)


@pytest.mark.parametrize("persona", ["student", "aidofficer"])
def test_work_study_posts_are_bounded(world, client_for, persona):
    identification_in(world.student_a, Identification.Status.APPROVED, year=current_year(), tier=Tier.DIFFICULT)

    def make(n):
        titles = []
        for _ in range(n):
            post = workstudy_post(supervisor=world["aidofficer"], title=f"岗位 {len(titles)}-{timezone.now():%f}")
            workstudy_placed(StudentFactory(class_group=world.class_a), post)
            titles.append(post.title)
        return titles

    assert_bounded(client_for(world[persona]), reverse("aid:workstudy_posts"), make)


def test_a_work_study_post_is_bounded(world, client_for):
    post = workstudy_post(supervisor=world["aidofficer"], openings=100)

    def make(n):
        students = _students(world, n)
        for s in students:
            workstudy_placed(s, post)
        return [s.name for s in students]

    url = reverse("aid:workstudy_post_detail", args=[post.pk])
    assert_bounded(client_for(world["aidofficer"]), url, make)


@pytest.mark.parametrize("persona", ["aidreviewer", "aidofficer"])
def test_the_aid_dashboard_is_bounded(world, client_for, persona):
    def make(n):
        for s in _students(world, n):
            fiveaid_case_for(s)
        return [world.college_a.name]

    assert_bounded(client_for(world[persona]), reverse("aid:dashboard"), make)


def _candidate(batch, student, amount="100.00"):
    return HiddenAidCandidate.objects.create(
        batch=batch, student=student, gender=student.gender, meals=70, spend=Decimal("200.00"), amount=Decimal(amount)
    )


def _month(i):
    return date(2020, 1, 1) + timedelta(days=31 * i)


@pytest.mark.parametrize("persona", ["aidofficer", "aidreviewer", "station"])
def test_hidden_aid_batches_are_bounded(world, client_for, persona):
    def make(n):
        start = HiddenAidBatch.objects.count()
        batches = [
            HiddenAidBatch.objects.create(
                month=_month(i).replace(day=1), created_by=world["aidofficer"], status=HiddenAidBatch.Status.DRAFT
            )
            for i in range(start, start + n)
        ]
        for batch in batches:
            _candidate(batch, world.student_a)
        return [reverse("aid:hiddenaid_batch", args=[b.pk]) for b in batches]

    assert_bounded(client_for(world[persona]), reverse("aid:hiddenaid_index"), make)


@pytest.mark.parametrize("persona", ["aidofficer", "aidreviewer", "station"])
def test_hidden_aid_candidates_are_bounded(world, client_for, persona):
    batch = HiddenAidBatch.objects.create(
        month=date(2025, 3, 1), created_by=world["aidofficer"], status=HiddenAidBatch.Status.DRAFT
    )

    def make(n):
        students = _students(world, n)
        for s in students:
            _candidate(batch, s)
        return [s.name for s in students[: max(1, n - 5)]]

    assert_bounded(client_for(world[persona]), reverse("aid:hiddenaid_batch", args=[batch.pk]), make)


def test_my_hidden_aid_is_bounded(world, client_for):
    def make(n):
        start = HiddenAidBatch.objects.count()
        amounts = []
        for i in range(start, start + n):
            batch = HiddenAidBatch.objects.create(
                month=_month(i).replace(day=1), created_by=world["aidofficer"], status=HiddenAidBatch.Status.APPROVED
            )
            amounts.append(f"{100 + i}.00")
            _candidate(batch, world.student_a, amount=amounts[-1])
        return amounts

    assert_bounded(client_for(world["student"]), reverse("aid:hiddenaid_mine"), make)


def test_the_aid_home_is_bounded(world, client_for):
    grant(world["aidofficer"], Role.AID_REVIEWER, college=world.college_a)

    def make(n):
        _students(world, n)
        return [reverse("aid:application_list")]

    assert_bounded(client_for(world["aidofficer"]), reverse("aid:index"), make)


def test_a_payment_batch_comes_in_pages_of_50(world, client_for):
    batch = PaymentBatch.objects.create(name="批次", created_by=world["aidofficer"])
    names = _applications(world, Application.Status.PAYING)(26)  # two instalments each: 52 payments
    Payment.objects.filter(application__student__name__in=names).update(batch=batch)
    client = client_for(world["aidofficer"])
    page = client.get(reverse("aid:batch_detail", args=[batch.pk]))
    assert len(page.context["page"]) == 50 and "Page 1 of 2" in page.content.decode()
    assert len(client.get(reverse("aid:batch_detail", args=[batch.pk]), {"page": 2}).context["page"]) == 2


def test_a_notice_comes_in_pages_of_50_with_the_total(world, client_for):
    year = AcademicYearFactory()
    idents = [identification_in(s, Identification.Status.COLLEGE_REVIEWED, year=year) for s in _students(world, 51)]
    notice = notice_for(idents, kind=Notice.Kind.COLLEGE, created_by=world["aidreviewer"])
    client = client_for(world["aidreviewer"])
    first = client.get(reverse("aid:notice_detail", args=[notice.pk]))
    assert len(first.context["page"]) == 50
    assert "51 in total" in first.content.decode() and "Page 1 of 2" in first.content.decode()
