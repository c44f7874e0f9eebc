"""Attacker stories against the Django admin (issue 13).

- The admin covering their tracks: edits or deletes audit entries, through the admin and, failing that,
  with a bulk query. The admin refuses (403) and so does the database (an append-only trigger).
- The staff member with an admin login but no superuser flag (a counsellor given is_staff to import a roster):
  opens the admin's clinical models. 403: the admin asks Django's model permissions, not the app's roles.
- The admin reading clinical records "off the record": every change page of a model marked sensitive
  (portal.access.mark_sensitive) writes a `read` audit entry, via the admin. Session notes are not in the
  admin at all. Finding (fixed here): the student record, aid applications, bank accounts and five-aid cases
  are sensitive but their admin pages did not audit reads; they now use portal.admin_audit.AuditedReadAdmin,
  and the guard below fails for any sensitive model registered without it.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import DatabaseError, transaction
from django.urls import NoReverseMatch, reverse

from aid.models import Application, BankAccount
from aid.services import funds as aid_services
from aid.tests.factories_funds import application_in
from counseling import services as counseling
from counseling.models import Assessment, SessionNote
from counseling.tests.factories import submit_report
from counseling.tests.test_appointments_helpers import past_booking
from portal.access import is_sensitive
from portal.admin_audit import AuditedReadAdmin
from portal.audit import audit_log
from portal.models import AuditEvent, Role
from portal.tests.factories import StaffFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def _admin_url(obj, view: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def test_an_admin_cannot_change_or_delete_an_audit_entry(world, client_for):
    audit_log(actor=world["station"], action="read", object_type="counseling.case", object_id=1)
    entry = AuditEvent.objects.latest("pk")
    client = client_for(world["admin"])
    assert client.post(_admin_url(entry), {"action": "nothing", "actor": ""}).status_code == 403
    assert client.post(_admin_url(entry, "delete"), {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:portal_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    # Not even with a query from a shell.
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=entry.pk).update(action="nothing"),
        lambda: AuditEvent.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    entry.refresh_from_db()
    assert entry.action == "read" and entry.actor == world["station"]


@pytest.mark.parametrize("role", [Role.CENTRE_COUNSELLOR, Role.ADMIN, Role.AID_OFFICER])
def test_a_staff_login_without_superuser_cannot_open_the_clinical_models(world, client, role):
    user = StaffFactory(user=UserFactory(username=f"staff-{role}", is_staff=True), name="staff").user
    grant(user, role)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    case = submit_report(reporter=world["liaison"], student=world.student_a, narrative="他说不想活了").case
    report = case.reports.get()
    for name in (
        "counseling_case_changelist",
        "counseling_report_changelist",
        "counseling_assessment_changelist",
        "counseling_screeningresult_changelist",
        "portal_auditevent_changelist",
        "portal_student_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name
    for obj in (case, report, world.student_a):
        assert client.get(_admin_url(obj)).status_code == 403
    assert not AuditEvent.objects.filter(actor=user).exists()


def test_session_notes_are_not_in_the_admin_at_all(world, client_for):
    held = past_booking(world.student_a, world["counselor"], hours_ago=2, status="attended")
    counseling.session_note_save(actor=world["counselor"], booking=held, body="来访者谈到家庭矛盾")
    note = SessionNote.objects.get(booking=held)
    with pytest.raises(NoReverseMatch):
        reverse("admin:counseling_sessionnote_change", args=[note.pk])
    client = client_for(world["admin"])
    assert client.get(f"/admin/counseling/sessionnote/{note.pk}/change/").status_code in (302, 404)
    booking_page = client.get(_admin_url(held)).content.decode()
    assert "来访者谈到家庭矛盾" not in booking_page


def test_every_sensitive_model_in_the_admin_audits_its_change_page():
    """The guard: a sensitive model registered with a plain ModelAdmin would let an admin read it unaudited."""
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if is_sensitive(model) and not isinstance(model_admin, AuditedReadAdmin)
    ]
    assert unaudited == []


def test_opening_a_case_report_assessment_student_application_or_bank_account_in_the_admin_is_audited(
    world, client_for
):
    report = submit_report(reporter=world["liaison"], student=world.student_a, narrative="他说不想活了")
    case = report.case
    assessment = counseling.assessment_record(
        actor=world["counselor"],
        case=case,
        risk_factors="失眠",
        protective_factors="家人",
        conclusion=Assessment.Conclusion.AT_RISK,
    )
    application = application_in(Application.Status.SUBMITTED, student=world.student_a, officer=world["aidofficer"])
    aid_services.bank_account_save(
        actor=world["student"], student=world.student_a, bank="中国银行", card_number="6217000012345678"
    )
    account = BankAccount.objects.get(student=world.student_a)
    client = client_for(world["admin"])
    for obj in (case, report, assessment, world.student_a, application, account):
        before = AuditEvent.objects.filter(action="read", actor=world["admin"]).count()
        assert client.get(_admin_url(obj)).status_code == 200, obj._meta.label
        assert AuditEvent.objects.filter(
            action="read",
            actor=world["admin"],
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            changes__via="admin",
        ).exists(), obj._meta.label
        assert AuditEvent.objects.filter(action="read", actor=world["admin"]).count() == before + 1
    # The list pages show no narrative.
    assert "他说不想活了" not in client.get(reverse("admin:counseling_report_changelist")).content.decode()
