"""Two staff deciding the same application at the same moment: each race ends in one consistent result.
Real PostgreSQL transactions from threads, released together by a Barrier (as test_funds_concurrency.py)."""

import pytest

from aid.models import Application, ApplicationEvent
from aid.services import funds as services
from aid.tests.factories_funds import application_in
from aid.tests.test_funds_concurrency import _run_together
from portal.models import AuditEvent, Reminder, Role
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db(transaction=True)


def second_officer():
    user = StaffFactory(user=UserFactory(username="aidofficer2")).user
    grant(user, Role.AID_OFFICER)
    return user


def test_two_officers_approving_the_same_application_at_once_approve_it_once(world):
    officers = [world["aidofficer"], second_officer()]
    application = application_in(Application.Status.NOTICE, student=world.student_a, officer=officers[0])

    ok, refused, crashed = _run_together(
        2, lambda i: services.application_school_approve(actor=officers[i], application=application)
    )

    assert crashed == []
    assert len(ok) == 1
    assert refused == ["This application is “approved by the school”, so that step is not possible now."]
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert ApplicationEvent.objects.filter(application=application, to_status="approved").count() == 1
    assert AuditEvent.objects.filter(action="application.approved").count() == 1
    assert Reminder.objects.filter(dedupe_key__startswith=f"aid:application:{application.pk}:approved").count() == 1


def test_approve_and_reject_at_once_end_in_the_state_the_timeline_tells(world):
    """Both orders are legal (approved → not approved is allowed, not approved → approved is not): whichever
    ran last decides, and the timeline is one unbroken chain of the successful steps ending in the saved
    status. A few rounds, since which order happens is up to the race."""
    officers = [world["aidofficer"], second_officer()]
    for _ in range(4):
        student = StudentFactory(class_group=world.class_a)
        application = application_in(Application.Status.NOTICE, student=student, officer=officers[0])
        steps = [
            lambda: services.application_school_approve(actor=officers[0], application=application),
            lambda: services.application_reject(actor=officers[1], application=application, note="材料不实"),
        ]
        ok, refused, crashed = _run_together(2, lambda i, steps=steps: steps[i]())

        assert crashed == []
        application.refresh_from_db()
        assert application.status == Application.Status.REJECTED  # either order ends here
        chain = list(
            ApplicationEvent.objects.filter(application=application)
            .order_by("pk")
            .values_list("from_status", "to_status")
        )
        chain = chain[chain.index(("college_reviewed", "notice")) + 1 :]
        assert chain in ([("notice", "approved"), ("approved", "rejected")], [("notice", "rejected")])
        assert len(chain) == len(ok)
        not_possible = "This application is “not approved”, so that step is not possible now."
        assert refused == ([] if len(ok) == 2 else [not_possible])
