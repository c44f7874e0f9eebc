"""The status flows of Timesheet, HiddenAidBatch and HiddenAidCandidate (portal.kernel.workflow), through their
services: a move from a wrong status raises DomainError and changes nothing; each move writes its audit event
once; the timesheet page's buttons come from available_moves."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aid.models import HiddenAidBatch, HiddenAidCandidate, LedgerEntry, Payment, Timesheet
from aid.services import hiddenaid as hidden
from aid.services import workstudy as workstudy
from aid.tests.factories import workstudy_placed, workstudy_post
from aid.tests.test_hiddenaid_helpers import (
    add_record,
    english,  # noqa: F401 - a fixture
    evaluated_batch,
    make_fund,
)
from portal.kernel.workflow import Flow, available_moves, flow_of, move
from portal.models import AuditEvent
from portal.services import DomainError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TS = Timesheet.Status
BS = HiddenAidBatch.Status
CS = HiddenAidCandidate.Status
NOT_UNDER_REVIEW = "^This batch is no longer under review; its candidates cannot change\\.$"
NO_LONGER_DECLINED = "^This subsidy can no longer be declined; you can return it instead\\.$"


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def audits(action: str, obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
            "pk"
        )
    )


def all_audits(obj) -> int:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).count()


@pytest.mark.parametrize("model", [Timesheet, HiddenAidBatch, HiddenAidCandidate], ids=lambda m: m.__name__)
def test_the_flow_is_declared_beside_the_model_and_replaces_the_transitions(model):
    flow = flow_of(model)
    assert isinstance(flow, Flow) and flow.model is model
    assert flow.statuses() == set(model.Status.values)
    for key in flow.permissions:
        assert set(key if isinstance(key, tuple) else (key,)) <= set(model.Status.values)
    assert not hasattr(model, "TRANSITIONS")


# --- Timesheet ----------------------------------------------------------------------------------------------


def last_month():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def placement(world):
    return workstudy_placed(world.student_a, workstudy_post(supervisor=world["aidofficer"], rate="15.00"))


def save(world, placement, hours: str = "6", *, submit: bool) -> Timesheet:
    week = workstudy.weeks_of_month(last_month())[1]
    return workstudy.timesheet_save(
        actor=world.student_a.user, placement=placement, month=last_month(), weekly_hours={week: hours}, submit=submit
    )


def test_each_timesheet_move_writes_its_audit_event_once(world, placement):
    sheet = save(world, placement, submit=False)
    assert [a.changes for a in audits("workstudy.timesheet_saved", sheet)] == [{"from": "", "to": "draft"}]

    save(world, placement, "7", submit=False)  # draft → draft: saved again
    sheet = save(world, placement, "7.5", submit=True)  # draft → submitted
    assert [a.changes for a in audits("workstudy.timesheet_saved", sheet)] == [
        {"from": "", "to": "draft"},
        {"from": "draft", "to": "draft"},
        {"from": "draft", "to": "submitted"},
    ]
    assert (sheet.status, sheet.total_hours, sheet.pay) == (TS.SUBMITTED, Decimal("7.50"), Decimal("112.50"))

    sheet = workstudy.timesheet_return(actor=world["aidofficer"], timesheet=sheet, reason="第二周多记了")
    assert sheet.status == TS.REJECTED
    [returned] = audits("workstudy.timesheet_returned", sheet)
    assert (returned.actor, returned.changes) == (world["aidofficer"], {})

    save(world, placement, "7", submit=True)  # returned → submitted
    sheet = workstudy.timesheet_sign_off(actor=world["aidofficer"], timesheet=sheet)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.signed_by, sheet.pay) == (TS.SIGNED_OFF, world["aidofficer"], Decimal("105.00"))
    [signed] = audits("workstudy.timesheet_signed_off", sheet)
    assert signed.changes == {}
    assert len(audits("workstudy.timesheet_saved", sheet)) == 4
    assert all_audits(sheet) == 6  # four saves, one return, one sign-off


def test_a_timesheet_move_from_a_wrong_status_is_refused_and_changes_nothing(world, placement):
    draft = save(world, placement, submit=False)
    before = all_audits(draft)

    with pytest.raises(DomainError, match=exactly("Hours that are draft cannot be signed off.")):
        workstudy.timesheet_sign_off(actor=world["aidofficer"], timesheet=draft)
    with pytest.raises(DomainError, match=exactly("Hours that are draft cannot be returned.")):
        workstudy.timesheet_return(actor=world["aidofficer"], timesheet=draft, reason="x")
    with pytest.raises(DomainError, match=exactly("This month's hours are draft and can no longer be changed.")):
        move(draft, TS.SIGNED_OFF, actor=None)  # the flow's own refusal, whoever moves

    draft.refresh_from_db()
    assert (draft.status, draft.signed_by_id, draft.signed_at) == (TS.DRAFT, None, None)
    assert all_audits(draft) == before

    submitted = save(world, placement, submit=True)
    signed = workstudy.timesheet_sign_off(actor=world["aidofficer"], timesheet=submitted)
    before = all_audits(signed)
    with pytest.raises(DomainError, match=exactly("This month's hours are signed off and can no longer be changed.")):
        save(world, placement, "8", submit=True)
    with pytest.raises(DomainError, match=exactly("Hours that are signed off cannot be signed off.")):
        workstudy.timesheet_sign_off(actor=world["aidofficer"], timesheet=signed)
    signed.refresh_from_db()
    assert (signed.status, signed.total_hours) == (TS.SIGNED_OFF, Decimal("6.00"))
    assert all_audits(signed) == before


def test_the_timesheet_moves_offered_follow_the_status_and_the_role(world, placement):
    student, supervisor = world.student_a.user, world["aidofficer"]
    sheet = save(world, placement, submit=False)
    assert [m.to for m in available_moves(sheet, student)] == [TS.DRAFT, TS.SUBMITTED]
    assert available_moves(sheet, supervisor) == []

    sheet = save(world, placement, submit=True)
    assert available_moves(sheet, student) == []
    assert [m.to for m in available_moves(sheet, supervisor)] == [TS.SIGNED_OFF, TS.REJECTED]
    assert available_moves(sheet, world["admin"]) == []  # the signature is the supervisor's alone
    with pytest.raises(DomainError, match=exactly("Your role may not make this change.")):
        move(sheet, TS.SIGNED_OFF, actor=world["admin"])
    sheet.refresh_from_db()
    assert sheet.status == TS.SUBMITTED


# --- Hidden aid ---------------------------------------------------------------------------------------------


@pytest.fixture
def batch(world) -> HiddenAidBatch:
    """Under review: student_a (100 yuan top-up) and student_b (50 yuan)."""
    add_record(world.student_a, 70, "200.00")
    add_record(world.student_b, 70, "250.00")
    return evaluated_batch(world["aidofficer"])


def approve(world, batch) -> HiddenAidBatch:
    return hidden.hiddenaid_batch_approve(actor=world["aidofficer"], batch=batch, fund=make_fund("1000.00"))


def test_each_batch_move_writes_its_audit_event_once(world, batch):
    batch = approve(world, batch)
    [approved] = audits("hiddenaid.batch_approved", batch)
    assert approved.changes == {"fund": batch.fund_id, "candidates": 2, "total": "150.00"}
    assert approved.actor == world["aidofficer"]

    assert hidden.hiddenaid_batch_pay(actor=None, batch=batch) == 2
    batch.refresh_from_db()
    assert batch.status == BS.PAID and batch.paid_at is not None
    [paid] = audits("hiddenaid.batch_paid", batch)
    assert (paid.actor, paid.changes) == (None, {"payments": 2, "total": "150.00"})
    assert len(audits("hiddenaid.batch_approved", batch)) == 1


def test_a_batch_move_from_a_wrong_status_is_refused_and_changes_nothing(world, batch):
    before = all_audits(batch)
    with pytest.raises(DomainError, match=exactly("Only an approved batch can be paid.")):
        hidden.hiddenaid_batch_pay(actor=world["aidofficer"], batch=batch)
    with pytest.raises(DomainError, match=NOT_UNDER_REVIEW):
        move(batch, BS.PAID, actor=None)
    batch.refresh_from_db()
    assert (batch.status, batch.paid_at) == (BS.DRAFT, None)
    assert not Payment.objects.exists()
    assert all_audits(batch) == before

    batch = approve(world, batch)
    approved_at, before = batch.approved_at, all_audits(batch)
    with pytest.raises(DomainError, match=NOT_UNDER_REVIEW):
        hidden.hiddenaid_batch_approve(actor=world["aidofficer"], batch=batch, fund=make_fund("5000.00", name="另一"))
    batch.refresh_from_db()
    assert (batch.status, batch.approved_at, batch.fund.name) == (BS.APPROVED, approved_at, "隐形资助专项")
    assert all_audits(batch) == before


def test_a_batch_move_by_a_role_without_the_permission_is_refused(world, batch):
    with pytest.raises(DomainError, match=exactly("Your role may not make this change.")):
        move(batch, BS.APPROVED, actor=world["station"])
    batch.refresh_from_db()
    assert batch.status == BS.DRAFT
    assert audits("hiddenaid.batch_approved", batch) == []


def test_each_candidate_move_writes_its_audit_event_once(world, batch):
    batch = approve(world, batch)
    declined = batch.candidates.get(student=world.student_b)
    declined = hidden.hiddenaid_candidate_decline(actor=world.student_b.user, candidate=declined)
    assert declined.status == CS.DECLINED and declined.responded_at is not None
    [event] = audits("hiddenaid.declined", declined)
    assert (event.actor, event.changes) == (world.student_b.user, {})

    hidden.hiddenaid_batch_pay(actor=None, batch=batch)
    kept = batch.candidates.get(student=world.student_a)
    assert kept.status == CS.PAID
    returned = hidden.hiddenaid_candidate_return(actor=world.student_a.user, candidate=kept)
    assert returned.status == CS.RETURNED
    [event] = audits("hiddenaid.returned", returned)
    assert (event.actor, event.changes) == (world.student_a.user, {})
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 1


def test_a_candidate_move_from_a_wrong_status_is_refused_and_changes_nothing(world, batch):
    batch = approve(world, batch)
    candidate = batch.candidates.get(student=world.student_a)
    student = world.student_a.user

    with pytest.raises(DomainError, match=exactly("Only a paid subsidy can be returned.")):
        hidden.hiddenaid_candidate_return(actor=student, candidate=candidate)
    with pytest.raises(DomainError, match=NO_LONGER_DECLINED):
        move(candidate, CS.RETURNED, actor=None)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.responded_at) == (CS.PROPOSED, None)
    assert all_audits(candidate) == 0
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).exists()

    candidate = hidden.hiddenaid_candidate_decline(actor=student, candidate=candidate)
    responded_at = candidate.responded_at
    with pytest.raises(DomainError, match=NO_LONGER_DECLINED):
        hidden.hiddenaid_candidate_decline(actor=student, candidate=candidate)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.responded_at) == (CS.DECLINED, responded_at)
    assert len(audits("hiddenaid.declined", candidate)) == 1
