"""Retention of crisis cases: closed cases are archived after N years; the timeline and audit trail stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from counseling.models import Case, CaseEvent, Report
from counseling.retention import years_before
from counseling.tests.factories import open_case
from portal.models import AuditEvent, Setting
from portal.retention import apply_retention

pytestmark = pytest.mark.django_db


def closed(case: Case, *, days_ago: int) -> Case:
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, close_reason="resolved", closed_at=timezone.now() - timedelta(days=days_ago)
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def cases(world):
    return {
        "old": closed(open_case(student=world.student_a), days_ago=6 * 365),
        "recent": closed(open_case(student=world.roommate_a), days_ago=4 * 365),
        "open": open_case(student=world.student_b),  # never archived, however old
    }


def test_closed_cases_older_than_five_years_are_archived_and_no_others(cases):
    Case.objects.filter(pk=cases["open"].pk).update(created_at=timezone.now() - timedelta(days=9 * 365))
    results = apply_retention()
    assert results["counseling.archive_closed_cases"] == 1
    archived = set(Case.objects.filter(archived_at__isnull=False).values_list("pk", flat=True))
    assert archived == {cases["old"].pk}


def test_archiving_keeps_the_reports_the_timeline_and_every_audit_event(cases, world):
    case = cases["old"]
    events_before = list(CaseEvent.objects.filter(case=case).values_list("pk", "kind"))
    audit_before = set(AuditEvent.objects.values_list("pk", flat=True))
    assert audit_before  # the reports were audited when filed
    apply_retention()
    assert list(CaseEvent.objects.filter(case=case).values_list("pk", "kind")) == events_before
    assert Report.objects.filter(case=case).count() == 1
    assert audit_before <= set(AuditEvent.objects.values_list("pk", flat=True))
    archive = AuditEvent.objects.get(action="case.archive")
    assert (archive.object_type, archive.object_id, archive.actor_id) == ("counseling.case", str(case.pk), None)
    run = AuditEvent.objects.get(action="retention.apply")
    assert run.changes["counseling.archive_closed_cases"] == 1


def test_an_archived_case_is_out_of_every_list_and_page_but_the_admins(cases, world, client_for):
    case = cases["old"]
    apply_retention()
    for persona in ("counselor", "station"):
        client = client_for(world[persona])
        queue = client.get(reverse("counseling:queue"), {"status": "all"}).content.decode()
        assert f"/cases/{case.pk}/" not in queue
        assert client.get(reverse("counseling:case_detail", args=[case.pk])).status_code == 404
        care_file = client.get(reverse("counseling:care_file", args=[world.student_a.pk]))
        assert care_file.status_code == 200
        assert reverse("counseling:case_detail", args=[case.pk]) not in care_file.content.decode()
    recent = cases["recent"]
    counselor = client_for(world["counselor"])
    assert counselor.get(reverse("counseling:case_detail", args=[recent.pk])).status_code == 200
    admin = client_for(world["admin"])
    assert admin.get(reverse("admin:counseling_case_change", args=[case.pk])).status_code == 200


def test_a_second_run_changes_nothing(cases):
    assert apply_retention()["counseling.archive_closed_cases"] == 1
    first = Case.objects.get(pk=cases["old"].pk).archived_at
    assert apply_retention()["counseling.archive_closed_cases"] == 0
    assert Case.objects.get(pk=cases["old"].pk).archived_at == first
    assert AuditEvent.objects.filter(action="case.archive").count() == 1


def test_a_dry_run_counts_and_changes_nothing(cases):
    audit_count = AuditEvent.objects.count()
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Archive closed crisis cases: 1 would change" in out.getvalue()
    assert not Case.objects.filter(archived_at__isnull=False).exists()
    assert AuditEvent.objects.count() == audit_count


def test_the_command_takes_the_years_and_the_admin_setting_the_default(cases):
    out = StringIO()
    call_command("apply_retention", "--years", "3", stdout=out)
    assert "Archive closed crisis cases: 2 changed" in out.getvalue()
    Case.objects.update(archived_at=None)
    Setting.objects.create(key="counseling.closed_case_retention_years", value=7)
    assert apply_retention()["counseling.archive_closed_cases"] == 0


def test_the_command_refuses_a_retention_of_zero_years(cases):
    with pytest.raises(SystemExit):
        call_command("apply_retention", "--years", "0", stdout=StringIO(), stderr=StringIO())
    assert not Case.objects.filter(archived_at__isnull=False).exists()


def test_a_case_reopened_is_not_archived(cases, world):
    from counseling import services

    case = cases["old"]
    services.case_transition(actor=world["counselor"], case=case, to_status=Case.Status.ACKNOWLEDGED, note="再次关注")
    assert apply_retention()["counseling.archive_closed_cases"] == 0


def test_years_before_handles_the_29th_of_february():
    leap = timezone.now().replace(year=2028, month=2, day=29)
    assert years_before(leap, 5).date().isoformat() == "2023-02-28"


def test_the_daily_task_runs_the_same_steps(cases):
    from portal.tasks import apply_retention as task

    assert task.apply().get()["counseling.archive_closed_cases"] == 1
    assert task.apply().get()["counseling.archive_closed_cases"] == 0
