"""portal.kernel.workflow against real models: the flows declared beside Application, Identification, Case,
Booking and Trip; available_moves; move (a refused move, a forbidden one, field updates, one timeline row and
one audit event per move); what counts as locked; and two concurrent moves of one row, in real PostgreSQL
transactions from two threads (each on its own connection), of which exactly one succeeds."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from aid.models import Application, ApplicationEvent, Identification
from aid.tests.factories_funds import application_in
from aid.tests.test_funds_concurrency import _run_together
from counseling.models import Booking, Case, CaseEvent
from counseling.tests.factories import open_case
from counseling.tests.test_appointments_helpers import book, make_slot
from homevisits.models import Trip
from homevisits.tests.factories import TripFactory
from portal.kernel.workflow import Flow, Move, available_moves, flow_of, is_locked, lock, locked, move
from portal.models import AuditEvent
from portal.services import DomainError

FLOWS = [Application, Identification, Case, Booking, Trip]
S = Application.Status
T = Trip.Status


# --- The declarations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FLOWS, ids=lambda m: m.__name__)
def test_every_flow_is_declared_beside_its_model_with_statuses_of_its_choices(model):
    flow = flow_of(model)
    assert isinstance(flow, Flow)
    assert flow.model is model
    assert flow.statuses() <= set(model.Status.values)
    for key in flow.permissions:
        assert set(key if isinstance(key, tuple) else (key,)) <= set(model.Status.values)


def test_the_case_flow_has_the_access_rule_registered():
    # Case.flow needs a rule for every move; counseling.access.crisis registers it (@Case.flow.rule).
    assert Case.flow.needs_rule
    assert Case.flow._flow_rules


# --- available_moves --------------------------------------------------------------------------------------------


@pytest.fixture
def trip(world):
    return TripFactory()


def test_available_moves_offer_what_the_role_may_in_the_order_of_the_statuses(world, trip):
    office, leader = world["aidofficer"], trip.leader

    assert available_moves(trip, office) == [Move(T.APPROVED, Trip.Status.APPROVED.label)]
    assert available_moves(trip, leader) == []  # only the office approves
    assert available_moves(trip, world["visitor"]) == []

    Trip.objects.filter(pk=trip.pk).update(status=T.APPROVED)
    trip.refresh_from_db()
    moves = available_moves(trip, office)
    assert [m.to for m in moves] == [T.PLANNING, T.TRAVELLING]
    assert [str(label) for _to, label in moves] == ["planning", "travelling"]  # unpacks like a choice
    assert [m.to for m in available_moves(trip, leader)] == [T.TRAVELLING]


def test_available_moves_of_an_application_follow_the_from_to_rules(world):
    submitted = application_in(S.SUBMITTED, student=world.student_a, officer=world["aidofficer"])
    reviewer = world["aidreviewer"]
    assert [m.to for m in available_moves(submitted, reviewer)] == [S.COLLEGE_REVIEWED, S.RETURNED, S.REJECTED]
    assert [m.to for m in available_moves(submitted, world["student"])] == [S.WITHDRAWN]

    on_notice = application_in(S.NOTICE, student=world.roommate_a, officer=world["aidofficer"])
    # Rejecting after the notice is the school's decision: the college's reviewer is not offered it.
    assert available_moves(on_notice, reviewer) == []
    assert [m.to for m in available_moves(on_notice, world["aidofficer"])] == [S.APPROVED, S.REJECTED]


def test_available_moves_of_a_case_use_the_rule_of_the_access_module(world):
    case = open_case(student=world.student_a)
    move(case, Case.Status.ACKNOWLEDGED, actor=world["station"])
    case.refresh_from_db()
    assert Case.Status.CLOSED in [m.to for m in available_moves(case, world["station"])]
    assert available_moves(case, world["assessor"]) == []  # not an assigned assessor
    assert available_moves(case, world["aidofficer"]) == []


# --- move -----------------------------------------------------------------------------------------------------


def _trip_audits(trip: Trip) -> int:
    return AuditEvent.objects.filter(action="homevisits.trip_transition", object_id=str(trip.pk)).count()


def test_a_move_the_map_does_not_allow_raises_and_changes_nothing(world, trip):
    with pytest.raises(DomainError) as refused:
        move(trip, T.CLOSED, actor=world["aidofficer"])

    assert str(refused.value) == "A trip that is planning cannot be moved to closed."
    trip.refresh_from_db()
    assert trip.status == T.PLANNING
    assert _trip_audits(trip) == 0


def test_a_role_without_the_permission_is_refused_and_nothing_changes(world, trip):
    with pytest.raises(DomainError) as forbidden:
        move(trip, T.APPROVED, actor=trip.leader)  # the leader departs and returns; the office approves

    assert str(forbidden.value) == "Your role may not make this change."
    trip.refresh_from_db()
    assert (trip.status, trip.approved_by_id) == (T.PLANNING, None)
    assert _trip_audits(trip) == 0


def test_a_system_move_has_no_actor_to_check(world, trip):
    moved = move(trip, T.APPROVED, actor=None)
    assert moved.status == T.APPROVED


def test_a_move_sets_the_values_and_records_one_audit_event(world, trip):
    office = world["aidofficer"]

    moved = move(trip, T.APPROVED, actor=office, values={"approved_by": office})

    assert moved.status == T.APPROVED and moved.approved_by == office
    trip.refresh_from_db()
    assert (trip.status, trip.approved_by_id) == (T.APPROVED, office.pk)
    audit = AuditEvent.objects.get(action="homevisits.trip_transition", object_id=str(trip.pk))
    assert audit.changes == {"from": "planning", "to": "approved"}
    assert audit.actor == office


def test_a_move_writes_its_timeline_row_once(world):
    application = application_in(S.SUBMITTED, student=world.student_a, officer=world["aidofficer"])
    before = ApplicationEvent.objects.filter(application=application).count()

    move(application, S.RETURNED, actor=world["aidreviewer"], note="请补充材料")

    events = ApplicationEvent.objects.filter(application=application)
    assert events.count() == before + 1
    last = events.last()
    assert (last.from_status, last.to_status, last.note, last.actor) == (
        "submitted",
        "returned",
        "请补充材料",
        world["aidreviewer"],
    )
    assert AuditEvent.objects.filter(action="application.returned", object_id=str(application.pk)).count() == 1


def test_a_case_move_writes_its_own_kind_of_timeline_entry(world):
    case = open_case(student=world.student_a)

    move(case, Case.Status.ACKNOWLEDGED, actor=world["station"], note="看到了", data={"reason": ""})

    entry = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert entry.kind == CaseEvent.Kind.ACKNOWLEDGED
    assert entry.data == {"from": "new", "to": "acknowledged", "reason": ""}
    assert entry.note == "看到了"


def test_an_on_move_hook_that_refuses_changes_nothing(world, trip):
    def refuse(locked_trip):
        raise DomainError("不行")

    with pytest.raises(DomainError, match="不行"):
        move(trip, T.APPROVED, actor=world["aidofficer"], on_move=refuse)

    trip.refresh_from_db()
    assert trip.status == T.PLANNING
    assert _trip_audits(trip) == 0


def test_an_on_move_hook_may_change_more_fields(world, trip):
    def retitle(locked_trip):
        locked_trip.title = "已审批"
        return ["title"]

    move(trip, T.APPROVED, actor=world["aidofficer"], on_move=retitle)

    trip.refresh_from_db()
    assert (trip.status, trip.title) == (T.APPROVED, "已审批")


def test_the_timeline_is_append_only(world):
    application = application_in(S.SUBMITTED, student=world.student_a, officer=world["aidofficer"])
    event = ApplicationEvent.objects.filter(application=application).first()
    event.note = "改写"
    with pytest.raises(PermissionError, match="the application timeline is append-only"):
        event.save()


# --- Locks ------------------------------------------------------------------------------------------------------


def test_a_held_object_keeps_the_fields_the_service_changed(world, trip):
    with transaction.atomic():
        held = locked(trip)
        assert is_locked(held)
        assert not is_locked(trip)  # the caller's copy was not locked
        held.title = "改过的标题"
        move(held, T.APPROVED, actor=world["aidofficer"], fields=["title"])

    trip.refresh_from_db()
    assert (trip.status, trip.title) == (T.APPROVED, "改过的标题")


def test_fields_changed_on_an_object_that_is_not_locked_are_refused(world, trip):
    trip.title = "没有锁"
    with pytest.raises(RuntimeError, match="not locked"):
        move(trip, T.APPROVED, actor=world["aidofficer"], fields=["title"])


def test_an_object_locked_in_an_earlier_transaction_is_read_again(world, trip):
    with transaction.atomic():
        held = lock(Trip, trip.pk)
        assert is_locked(held)
    assert not is_locked(held)  # its savepoint ended: the lock (and the trust in its fields) went with it

    Trip.objects.filter(pk=trip.pk).update(status=T.APPROVED)  # changed behind the old object's back

    moved = move(held, T.TRAVELLING, actor=trip.leader)  # read again: approved → travelling is allowed
    assert moved.status == T.TRAVELLING


def test_a_rolled_back_savepoint_releases_the_hold(world, trip):
    with transaction.atomic():
        try:
            with transaction.atomic():
                held = locked(trip)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert not is_locked(held)


def test_a_booking_is_locked_after_its_slot(world):
    booking = book(world.student_a, make_slot(world["counselor"], in_hours=48))
    with transaction.atomic(), CaptureQueriesContext(transaction.get_connection()) as queries:
        held = locked(booking)
    sql = [q["sql"] for q in queries.captured_queries]
    assert "counseling_slot" in sql[0] and "FOR UPDATE" in sql[0]
    assert sql[1].startswith('SELECT "counseling_booking"') and "FOR UPDATE" in sql[1]
    assert held.slot.pk == booking.slot_id  # select_related: no query to read the slot


# --- Concurrency: two moves of one row at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_of_one_application_end_in_exactly_one(world):
    """Returned for changes and recommended at the same moment: neither may follow the other, so one wins, the
    other is refused by the map as it finds the row after the lock, and the timeline has the one move."""
    reviewer = world["aidreviewer"]
    for _ in range(3):  # which thread wins is up to the race
        application = Application.objects.get(
            pk=application_in(S.SUBMITTED, student=_new_student(world), officer=world["aidofficer"]).pk
        )
        steps = [
            lambda: move(application, S.RETURNED, actor=reviewer, note="请补充"),
            lambda: move(application, S.COLLEGE_REVIEWED, actor=reviewer),
        ]

        ok, refused, crashed = _run_together(2, lambda i, steps=steps: steps[i]())

        assert crashed == []
        assert len(ok) == 1 and len(refused) == 1
        assert "so that step is not possible now" in refused[0]
        application.refresh_from_db()
        assert application.status == (S.RETURNED, S.COLLEGE_REVIEWED)[ok[0]]
        moves = ApplicationEvent.objects.filter(application=application).exclude(from_status="")
        assert list(moves.values_list("to_status", flat=True)) == [application.status]
        assert (
            AuditEvent.objects.filter(action=f"application.{application.status}", object_id=str(application.pk)).count()
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_two_offices_approving_one_trip_at_once_approve_it_once(world):
    trip = TripFactory()
    office = world["aidofficer"]

    ok, refused, crashed = _run_together(2, lambda i: move(trip, T.APPROVED, actor=office))

    assert crashed == []
    assert len(ok) == 1
    assert refused == ["A trip that is approved cannot be moved to approved."]
    assert _trip_audits(trip) == 1


def _new_student(world):
    from portal.tests.factories import StudentFactory

    return StudentFactory(class_group=world.class_a)
