"""Signatures, co-signatures and amendments of a session note, whatever the concurrency: real PostgreSQL
transactions from two threads, each on its own connection, released together by a barrier."""

from __future__ import annotations

import uuid

import pytest

from counseling import services
from counseling.models import SessionNote, SessionNoteAmendment, Supervision
from counseling.tests.test_session_notes import draft
from portal.models import AuditEvent, Reminder
from portal.services import DomainError
from portal.tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

S = SessionNote.Status


def test_two_concurrent_signatures_sign_once(world):
    note = draft(world["counselor"], world.student_a)
    results, errors = race(
        [lambda: services.session_note_sign(actor=world["counselor"], note=SessionNote(pk=note.pk))] * 2
    )
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], DomainError) and "already signed" in str(errors[0])
    note.refresh_from_db()
    assert note.status == S.SIGNED
    assert AuditEvent.objects.filter(action="session_note.signed", object_id=str(note.pk)).count() == 1


def test_two_concurrent_trainee_signatures_ask_the_supervisor_once(world):
    Supervision.objects.create(trainee=world["station"], supervisor=world["counselor"])
    note = draft(world["station"], world.student_a)
    results, errors = race(
        [lambda: services.session_note_sign(actor=world["station"], note=SessionNote(pk=note.pk))] * 2
    )
    assert len(results) == 1 and len(errors) == 1, errors
    assert Reminder.objects.filter(dedupe_key=f"session_note:{note.pk}:cosign_requested").count() == 1


def test_two_concurrent_cosignatures_cosign_once(world):
    Supervision.objects.create(trainee=world["station"], supervisor=world["counselor"])
    note = services.session_note_sign(actor=world["station"], note=draft(world["station"], world.student_a))
    results, errors = race(
        [lambda: services.session_note_cosign(actor=world["counselor"], note=SessionNote(pk=note.pk))] * 2
    )
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], DomainError) and "not waiting" in str(errors[0])
    assert AuditEvent.objects.filter(action="session_note.cosigned", object_id=str(note.pk)).count() == 1


def test_a_double_submitted_amendment_at_the_same_instant_appends_once(world):
    note = services.session_note_sign(actor=world["counselor"], note=draft(world["counselor"], world.student_a))
    key = uuid.uuid4()

    def amend():
        return services.session_note_amend(
            actor=world["counselor"], note=SessionNote(pk=note.pk), text="补充", idempotency_key=key
        ).pk

    results, errors = race([amend, amend])
    assert errors == [] and len(set(results)) == 1
    assert SessionNoteAmendment.objects.filter(note_id=note.pk).count() == 1


def test_a_draft_saved_while_it_is_signed_is_refused_or_lands_before_the_signature(world):
    counselor = world["counselor"]
    note = draft(counselor, world.student_a)
    booking = note.booking
    results, errors = race(
        [
            lambda: services.session_note_sign(actor=counselor, note=SessionNote(pk=note.pk)),
            lambda: services.session_note_save(
                actor=counselor, booking=booking, sections={"data": "后来的修改", "assessment": "", "plan": ""}
            ),
        ]
    )
    assert len(results) + len(errors) == 2
    note.refresh_from_db()
    assert note.status == S.SIGNED
    if errors:  # the signature came first: the edit was refused, the signed text is untouched
        assert "signed and locked" in str(errors[0]) and note.data != "后来的修改"
    else:  # the edit came first and was then signed as it stood
        assert note.data == "后来的修改"
