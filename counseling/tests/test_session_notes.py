"""Supervised session notes (issue 15 §4): DAP/SOAP drafts, signed and locked, amendments appended, trainees'
notes co-signed by their supervisor, the supervisor's queue (overdue after 72 h) and its reminder."""

from __future__ import annotations

import importlib
import itertools
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from counseling import selectors, services
from counseling.models import Booking, NoteFormat, SessionNote, SessionNoteAmendment, Supervision
from counseling.tests.test_appointments_helpers import past_booking
from portal import config
from portal.models import AuditEvent, Reminder, Role, Setting
from portal.services import DomainError
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory, grant
from portal.tests.querybudget import assert_bounded

pytestmark = pytest.mark.django_db

S = SessionNote.Status
KEY = uuid.uuid4
DAP = {"data": "来访者谈到睡眠问题", "assessment": "考试焦虑，无风险迹象", "plan": "两周后复谈"}
ALL_PERSONAS = (
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
)


@pytest.fixture
def other_centre(world):
    """A second centre counsellor, who supervises nobody here."""
    user = StaffFactory(user=UserFactory(username="counselor2"), name="周老师").user
    grant(user, Role.CENTRE_COUNSELLOR)
    return user


@pytest.fixture
def supervised(world, other_centre):
    """The station counsellor is a trainee, supervised by the centre counsellor."""
    return Supervision.objects.create(trainee=world["station"], supervisor=world["counselor"])


_SESSION_HOURS = itertools.count(3)


def draft(author, student, *, hours_ago: float | None = None, sections: dict | None = None) -> SessionNote:
    """A draft note of a past session (each session an hour before the previous one: one slot per start)."""
    hours_ago = next(_SESSION_HOURS) if hours_ago is None else hours_ago
    booking = past_booking(student, author, hours_ago=hours_ago, status=Booking.Status.ATTENDED)
    return services.session_note_save(actor=author, booking=booking, sections=sections or DAP)


def signed(author, student, **kwargs) -> SessionNote:
    return services.session_note_sign(actor=author, note=draft(author, student, **kwargs))


def set_setting(key: str, value) -> None:
    Setting.objects.update_or_create(key=key, defaults={"value": value})
    config.clear_cache()


def note_url(note: SessionNote, name: str = "session_note") -> str:
    return reverse(f"counseling:{name}", args=[note.booking_id])


# --- Formats and encryption ---------------------------------------------------------------------------------


def test_a_new_note_is_dap_by_default_and_every_section_is_encrypted_at_rest(world):
    note = draft(world["counselor"], world.student_a)
    assert note.format == NoteFormat.DAP and note.status == S.DRAFT
    assert [(name, text) for name, _label, text in note.sections()] == list(DAP.items())
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, assessment, plan FROM counseling_sessionnote WHERE id = %s", [note.pk])
        row = cursor.fetchone()
    assert all(stored and stored != text for stored, text in zip(row, DAP.values(), strict=True))
    assert "睡眠" not in "".join(row)
    assert not AuditEvent.objects.filter(changes__icontains="睡眠").exists()


def test_the_centre_may_choose_soap_and_a_dap_section_is_then_refused(world):
    set_setting("counseling.session_note_format", "soap")
    soap = {"subjective": "说最近睡不好", "objective": "神情疲惫", "assessment": "压力", "plan": "一周后复谈"}
    note = draft(world["counselor"], world.student_a, sections=soap)
    assert note.format == NoteFormat.SOAP
    assert [name for name, _l, _t in note.sections()] == ["subjective", "objective", "assessment", "plan"]
    with pytest.raises(DomainError, match="Write the note first"):
        draft(world["counselor"], world.roommate_a, sections={"data": "只有 DAP 的段落"})


def test_a_mistyped_format_setting_falls_back_to_dap(world):
    set_setting("counseling.session_note_format", "essay")
    assert draft(world["counselor"], world.student_a).format == NoteFormat.DAP


def test_notes_from_before_structured_notes_become_signed_free_text(world):
    booking = past_booking(world.student_a, world["counselor"], hours_ago=30, status=Booking.Status.ATTENDED)
    old = SessionNote.objects.create(booking=booking, author=world["counselor"], body="旧的自由文本记录")
    assert old.status == S.DRAFT  # as the migration's AddField leaves existing rows
    migration = importlib.import_module("counseling.migrations.0012_structured_session_notes")
    migration.sign_existing_notes(django_apps, None)
    old.refresh_from_db()
    assert (old.status, old.format, old.signed_at, old.body) == (S.SIGNED, "free", old.updated_at, "旧的自由文本记录")
    with pytest.raises(DomainError, match="signed and locked"):
        services.session_note_save(actor=world["counselor"], booking=booking, body="改写")


# --- Signing and locking -------------------------------------------------------------------------------------


def test_a_signed_note_is_locked_for_its_author_and_changes_become_amendments(world):
    counselor = world["counselor"]
    note = signed(counselor, world.student_a)
    assert note.status == S.SIGNED and note.signed_at is not None
    with pytest.raises(DomainError, match="signed and locked"):
        services.session_note_save(actor=counselor, booking=note.booking, sections={**DAP, "plan": "改了"})
    with pytest.raises(DomainError, match="already signed"):
        services.session_note_sign(actor=counselor, note=note)
    first = services.session_note_amend(
        actor=counselor, note=note, text="补充：家长已知情。", idempotency_key=uuid.uuid4()
    )
    second = services.session_note_amend(
        actor=counselor, note=note, text="更正：复谈改为一周后。", idempotency_key=uuid.uuid4()
    )
    note.refresh_from_db()
    assert note.plan == DAP["plan"]
    assert list(note.amendments.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert first.author == counselor and first.created_at <= second.created_at
    assert AuditEvent.objects.filter(action="session_note.amended", object_id=str(note.pk)).count() == 2
    assert not AuditEvent.objects.filter(changes__icontains="家长").exists()


def test_only_the_author_signs_or_amends_and_a_draft_is_not_amended(world, other_centre):
    note = draft(world["counselor"], world.student_a)
    with pytest.raises(DomainError, match="Only the author signs"):
        services.session_note_sign(actor=other_centre, note=note)
    with pytest.raises(DomainError, match="sign it first"):
        services.session_note_amend(actor=world["counselor"], note=note, text="x", idempotency_key=uuid.uuid4())
    note = services.session_note_sign(actor=world["counselor"], note=note)
    with pytest.raises(DomainError, match="Only the author amends"):
        services.session_note_amend(actor=other_centre, note=note, text="x", idempotency_key=uuid.uuid4())
    assert not SessionNoteAmendment.objects.exists()


def test_the_same_amendment_token_appends_once(world):
    note = signed(world["counselor"], world.student_a)
    key = uuid.uuid4()
    a = services.session_note_amend(actor=world["counselor"], note=note, text="补充", idempotency_key=key)
    b = services.session_note_amend(actor=world["counselor"], note=note, text="补充", idempotency_key=key)
    assert a.pk == b.pk and SessionNoteAmendment.objects.count() == 1


def test_amendments_are_capped_and_refuse_control_characters(world):
    note = signed(world["counselor"], world.student_a)
    with pytest.raises(DomainError, match="limited to"):
        services.session_note_amend(actor=world["counselor"], note=note, text="x" * 5001, idempotency_key=uuid.uuid4())
    with pytest.raises(DomainError, match="control characters"):
        services.session_note_amend(actor=world["counselor"], note=note, text="a\x00b", idempotency_key=uuid.uuid4())


# --- Trainees and their supervisor ------------------------------------------------------------------------


def test_a_trainees_signed_note_waits_for_their_supervisor_who_is_told_without_detail(world, supervised):
    note = signed(world["station"], world.student_a)
    assert note.status == S.AWAITING_COSIGN
    told = Reminder.objects.get(dedupe_key=f"session_note:{note.pk}:cosign_requested")
    assert told.recipient == world["counselor"]
    assert told.kind == "task" and told.url == reverse("counseling:cosign_queue")
    assert world.student_a.name not in told.subject + told.body and "睡眠" not in told.subject + told.body
    note = services.session_note_cosign(actor=world["counselor"], note=note)
    assert (note.status, note.cosigned_by) == (S.COSIGNED, world["counselor"])
    assert AuditEvent.objects.filter(action="session_note.cosigned", actor=world["counselor"]).exists()
    with pytest.raises(DomainError, match="not waiting"):
        services.session_note_cosign(actor=world["counselor"], note=note)


def test_a_trainee_cannot_cosign_their_own_note_nor_another_centre_counsellor(world, supervised, other_centre):
    note = signed(world["station"], world.student_a)
    with pytest.raises(DomainError, match="your own note"):
        services.session_note_cosign(actor=world["station"], note=note)
    with pytest.raises(DomainError, match="trainee's supervisor"):
        services.session_note_cosign(actor=other_centre, note=note)
    with pytest.raises(DomainError, match="trainee's supervisor"):
        services.session_note_cosign(actor=world["admin"], note=note)
    note.refresh_from_db()
    assert note.status == S.AWAITING_COSIGN and note.cosigned_by is None


def test_a_supervisor_who_lost_the_centre_role_no_longer_cosigns(world, supervised):
    note = signed(world["station"], world.student_a)
    world["counselor"].role_assignments.update(valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(DomainError, match="trainee's supervisor"):
        services.session_note_cosign(actor=world["counselor"], note=note)


def test_reassigning_a_trainee_hands_their_waiting_notes_to_the_new_supervisor(world, supervised, other_centre):
    note = signed(world["station"], world.student_a)
    supervised.supervisor = other_centre
    supervised.save()
    assert list(selectors.notes_awaiting_my_cosign(world["counselor"])) == []
    assert [n.pk for n in selectors.notes_awaiting_my_cosign(other_centre)] == [note.pk]
    assert services.session_note_cosign(actor=other_centre, note=note).status == S.COSIGNED


def test_a_supervisor_must_be_a_centre_counsellor_and_nobody_supervises_themselves(world):
    with pytest.raises(ValidationError):
        Supervision(trainee=world["counselor"], supervisor=world["station"]).full_clean()
    with pytest.raises(ValidationError):
        Supervision(trainee=world["counselor"], supervisor=world["counselor"]).full_clean()
    Supervision(trainee=world["station"], supervisor=world["counselor"]).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Supervision.objects.create(trainee=world["counselor"], supervisor=world["counselor"])


# --- The queue, overdue after 72 h, and the reminder ---------------------------------------------------------


def test_a_note_is_overdue_after_72_hours_not_before(world, supervised):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        note = signed(world["station"], world.student_a)
        clock.shift(timedelta(hours=71, minutes=59))
        [row] = selectors.notes_awaiting_my_cosign(world["counselor"])
        assert row.pk == note.pk and row.overdue is False
        assert services.session_notes_remind_overdue_cosign() == 0
        assert not Reminder.objects.filter(dedupe_key__contains="cosign_overdue").exists()
        clock.shift(timedelta(minutes=2))  # 72 h 01
        [row] = selectors.notes_awaiting_my_cosign(world["counselor"])
        assert row.overdue is True


def test_the_overdue_reminder_goes_once_to_the_supervisor_with_fixed_wording(world, supervised):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        note = signed(world["station"], world.student_a)
        waiting = signed(world["station"], world.roommate_a)
        services.session_note_cosign(actor=world["counselor"], note=waiting)
        clock.shift(timedelta(hours=72, minutes=1))
        assert services.session_notes_remind_overdue_cosign() == 1
        assert services.session_notes_remind_overdue_cosign() == 1  # the beat runs again: nothing new
    reminders = Reminder.objects.filter(dedupe_key__startswith=f"session_note:{note.pk}:cosign_overdue")
    assert reminders.filter(channel="in_app").count() == 1
    reminder = reminders.get(channel="in_app")
    assert reminder.recipient == world["counselor"] and reminder.kind == "task"
    text = reminder.subject + reminder.body
    assert world.student_a.name not in text and "睡眠" not in text and world["station"].display_name not in text
    assert not Reminder.objects.filter(dedupe_key__startswith=f"session_note:{waiting.pk}:cosign_overdue").exists()


def test_the_overdue_task_is_registered_and_idempotent(world, supervised):
    from counseling.tasks import session_notes_remind_overdue_cosign
    from portal.settings import CELERY_BEAT_SCHEDULE

    assert session_notes_remind_overdue_cosign.name == "counseling.session_notes.remind_overdue_cosign"
    assert any(e["task"] == session_notes_remind_overdue_cosign.name for e in CELERY_BEAT_SCHEDULE.values())
    with time_machine.travel(timezone.now(), tick=False) as clock:
        signed(world["station"], world.student_a)
        clock.shift(timedelta(hours=80))
        session_notes_remind_overdue_cosign.apply()
        session_notes_remind_overdue_cosign.apply()
    assert Reminder.objects.filter(dedupe_key__contains="cosign_overdue", channel="in_app").count() == 1


def test_the_queue_lists_only_my_trainees_notes_awaiting_cosign(world, client_for, supervised, other_centre):
    mine = signed(world["station"], world.student_a)
    draft(world["station"], world.roommate_a)  # a draft: not yet for review
    signed(world["counselor"], world.student_b)  # not a trainee: signed, nothing to co-sign
    response = client_for(world["counselor"]).get(reverse("counseling:cosign_queue"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="queue-note"') == 1 and note_url(mine) in html
    assert "睡眠" not in html  # the list never shows a note's text
    html = client_for(other_centre).get(reverse("counseling:cosign_queue")).content.decode()
    assert 'data-testid="queue-note"' not in html


def test_the_queue_is_bounded(world, client_for, supervised):
    trainee2 = StaffFactory(user=UserFactory(username="trainee2"), name="实习咨询师").user
    grant(trainee2, Role.CENTRE_COUNSELLOR)
    Supervision.objects.create(trainee=trainee2, supervisor=world["counselor"])

    def make(n):
        students = StudentFactory.create_batch(n, class_group=world.class_a)
        for i, student in enumerate(students):
            signed(world["station"] if i % 2 else trainee2, student)
        return [s.name for s in students] + [trainee2.display_name, world["station"].display_name]

    assert_bounded(client_for(world["counselor"]), reverse("counseling:cosign_queue"), make)


# --- Reads are audited, amendments included ----------------------------------------------------------------


def test_every_read_is_audited_with_the_amendments_shown(world):
    note = signed(world["counselor"], world.student_a)
    a = services.session_note_amend(actor=world["counselor"], note=note, text="补充", idempotency_key=uuid.uuid4())
    read = selectors.session_note_for(world["counselor"], note.booking)
    assert [x.pk for x in read.amendment_list] == [a.pk]
    event = AuditEvent.objects.filter(action="read", object_type="counseling.sessionnote").latest("pk")
    assert event.actor == world["counselor"] and event.changes == {"amendments": [a.pk]}


# --- Views ------------------------------------------------------------------------------------------------


@pytest.fixture
def trainee_note(world, supervised):
    note = signed(world["station"], world.student_a)
    services.session_note_amend(
        actor=world["station"], note=note, text="补充：已联系辅导员", idempotency_key=uuid.uuid4()
    )
    return note


READERS = {"station": 200, "counselor": 200}  # the author and centre counsellors


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_each_role_reads_a_trainee_note_or_gets_404(world, client_for, trainee_note, persona):
    before = AuditEvent.objects.filter(action="read", object_type="counseling.sessionnote").count()
    response = client_for(world[persona]).get(note_url(trainee_note))
    assert response.status_code == READERS.get(persona, 404)
    after = AuditEvent.objects.filter(action="read", object_type="counseling.sessionnote").count()
    assert after == before + (1 if persona in READERS else 0)
    if persona in READERS:
        html = response.content.decode()
        assert "来访者谈到睡眠问题" in html and "补充：已联系辅导员" in html


@pytest.mark.parametrize("persona", [p for p in ALL_PERSONAS if p not in ("station", "counselor")])
@pytest.mark.parametrize("action", ["session_note_sign", "session_note_amend", "session_note_cosign"])
def test_others_posting_actions_get_404_and_nothing_changes(world, client_for, trainee_note, persona, action):
    response = client_for(world[persona]).post(
        note_url(trainee_note, action), {"text": "x", "idempotency_key": uuid.uuid4()}
    )
    assert response.status_code == 404
    trainee_note.refresh_from_db()
    assert trainee_note.status == S.AWAITING_COSIGN and trainee_note.amendments.count() == 1


def test_a_classmate_guessing_booking_ids_gets_the_same_404_as_a_missing_one(world, client_for, trainee_note):
    student = client_for(world.roommate_a.user)
    missing = reverse("counseling:session_note", args=[999_999])
    assert student.get(note_url(trainee_note)).status_code == student.get(missing).status_code == 404


def test_the_supervisor_cosigns_from_the_page_and_a_non_supervisor_gets_403(
    world, client_for, trainee_note, other_centre
):
    page = client_for(other_centre).get(note_url(trainee_note)).content.decode()
    assert 'data-testid="cosign-form"' not in page
    assert client_for(other_centre).post(note_url(trainee_note, "session_note_cosign")).status_code == 403
    page = client_for(world["counselor"]).get(note_url(trainee_note)).content.decode()
    assert 'data-testid="cosign-form"' in page
    response = client_for(world["counselor"]).post(note_url(trainee_note, "session_note_cosign"))
    assert response.status_code == 302 and response.url == reverse("counseling:cosign_queue")
    trainee_note.refresh_from_db()
    assert trainee_note.status == S.COSIGNED


def test_the_trainee_cannot_cosign_their_own_note_through_the_page(world, client_for, trainee_note):
    # a station counsellor is not a centre counsellor: the URL's rule already answers 404
    assert client_for(world["station"]).post(note_url(trainee_note, "session_note_cosign")).status_code == 404
    trainee_note.refresh_from_db()
    assert trainee_note.status == S.AWAITING_COSIGN


def test_writing_then_signing_through_the_page(world, client_for):
    counselor = world["counselor"]
    booking = past_booking(world.student_a, counselor, hours_ago=2, status=Booking.Status.ATTENDED)
    client = client_for(counselor)
    url = reverse("counseling:session_note", args=[booking.pk])
    page = client.get(url).content.decode()
    assert 'name="data"' in page and 'name="plan"' in page and 'data-testid="sign-form"' not in page
    assert client.post(url, DAP).status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="sign-form"' in page
    assert client.post(reverse("counseling:session_note_sign", args=[booking.pk])).status_code == 302
    note = SessionNote.objects.get(booking=booking)
    assert note.status == S.SIGNED
    page = client.get(url).content.decode()
    assert 'data-testid="note-form"' not in page and 'data-testid="amend-form"' in page
    assert counselor.display_name in page and "来访者谈到睡眠问题" in page


def test_a_forged_post_cannot_edit_a_signed_note(world, client_for):
    note = signed(world["counselor"], world.student_a)
    url = note_url(note)
    response = client_for(world["counselor"]).post(url, {"data": "篡改", "assessment": "篡改", "plan": "篡改"})
    assert response.status_code == 403
    note.refresh_from_db()
    assert (note.data, note.plan, note.status) == (DAP["data"], DAP["plan"], S.SIGNED)
    # nor by a second sign or by someone else's sign
    assert client_for(world["counselor"]).post(note_url(note, "session_note_sign")).status_code == 302
    note.refresh_from_db()
    assert note.status == S.SIGNED


def test_a_centre_counsellor_cannot_sign_or_amend_another_counsellors_note(world, client_for, other_centre):
    note = draft(world["counselor"], world.student_a)
    assert client_for(other_centre).post(note_url(note, "session_note_sign")).status_code == 403
    note.refresh_from_db()
    assert note.status == S.DRAFT
    note = services.session_note_sign(actor=world["counselor"], note=note)
    data = {"text": "别人的补充", "idempotency_key": uuid.uuid4()}
    assert client_for(other_centre).post(note_url(note, "session_note_amend"), data).status_code == 403
    assert not note.amendments.exists()


def test_a_double_submitted_amendment_appends_once(world, client_for):
    note = signed(world["counselor"], world.student_a)
    data = {"text": "补充一次", "idempotency_key": str(uuid.uuid4())}
    client = client_for(world["counselor"])
    assert client.post(note_url(note, "session_note_amend"), data).status_code == 302
    assert client.post(note_url(note, "session_note_amend"), data).status_code == 302
    assert list(note.amendments.values_list("text", flat=True)) == ["补充一次"]


def test_queue_page_is_for_centre_counsellors_only(world, client_for, supervised):
    for persona in ALL_PERSONAS:
        status = client_for(world[persona]).get(reverse("counseling:cosign_queue")).status_code
        assert status == (200 if persona == "counselor" else 403), persona


def test_the_agenda_links_centre_counsellors_to_their_queue(world, client_for):
    link = 'data-testid="cosign-queue-link"'
    assert link in client_for(world["counselor"]).get(reverse("counseling:agenda")).content.decode()
    assert link not in client_for(world["station"]).get(reverse("counseling:agenda")).content.decode()


def test_cosigning_cancels_the_reminders_that_have_not_gone_out(world, supervised):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        note = signed(world["station"], world.student_a)
        clock.shift(timedelta(hours=73))
        services.session_notes_remind_overdue_cosign()
        services.session_note_cosign(actor=world["counselor"], note=note)
    pending = Reminder.objects.filter(dedupe_key__startswith=f"session_note:{note.pk}:", status="pending")
    assert Reminder.objects.filter(dedupe_key__startswith=f"session_note:{note.pk}:").count() >= 2
    assert not pending.exists()
