"""Demo data for supervised session notes: `station` is a trainee supervised by `counselor`; three past
sessions with notes show every state a newcomer meets (a signed note with an amendment, a trainee's note
overdue for co-signature, a trainee's draft).

Past sessions are written directly (the booking services refuse the past); the notes go through the services.
Idempotent: nothing is made when the supervision already exists.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from counseling.models import Booking, NoteFormat, SessionNote, Slot, Supervision
from counseling.services import session_notes as services
from counseling.session_note_rules import session_note_format
from portal.demo import STUDENT_LOGINS, DemoSchool
from portal.models import Student, User

NOTES = [
    {
        "data": "来访者谈到期末考试临近，入睡困难约两周，白天注意力下降。",
        "assessment": "考试相关焦虑，社会支持良好，未见自伤风险。",
        "plan": "练习放松训练；一周后复谈。",
    },
    {
        "data": "来访者与室友因作息发生矛盾，情绪低落，食欲一般。",
        "assessment": "人际适应问题，情绪困扰中等，未提及自伤想法。",
        "plan": "讨论沟通方式；两周后复谈，必要时转介中心。",
    },
    {
        "data": "新生，想家，课余时间多独处。",
        "assessment": "适应期困扰。",
        "plan": "鼓励参加学院活动；下次继续。",
    },
]


def _in_format(dap: dict[str, str]) -> dict[str, str]:
    """The DAP text in the centre's format (SOAP: what was said is subjective)."""
    if session_note_format() == NoteFormat.SOAP:
        return {"subjective": dap["data"], "objective": "", "assessment": dap["assessment"], "plan": dap["plan"]}
    return dap


def _past_session(counsellor: User, student: Student, *, days_ago: int) -> Booking:
    starts_at = (timezone.now() - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    slot = Slot.objects.create(
        counsellor=counsellor, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50), status=Slot.Status.BOOKED
    )
    return Booking.objects.create(
        slot=slot, student=student, status=Booking.Status.ATTENDED, consent_at=starts_at - timedelta(days=1)
    )


def seed_session_notes(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    counselor, station = school.logins["counselor"], school.logins["station"]
    if Supervision.objects.filter(trainee=station).exists():
        return {}
    Supervision.objects.create(trainee=station, supervisor=counselor)
    logins = {school.students_by_login[name].pk for name in STUDENT_LOGINS if name in school.students_by_login}
    cs = [s for s in school.students if s.pk not in logins and s.college.code == "CS"][-3:]
    # A signed note of the centre counsellor, with a later amendment.
    booking = _past_session(counselor, cs[0], days_ago=6)
    note = services.session_note_save(actor=counselor, booking=booking, sections=_in_format(NOTES[0]))
    note = services.session_note_sign(actor=counselor, note=note)
    services.session_note_amend(
        actor=counselor, note=note, text="补充：来访者同意告知辅导员其睡眠情况。", idempotency_key=uuid.uuid4()
    )
    # The trainee's note, signed four days ago: overdue in the supervisor's queue.
    booking = _past_session(station, cs[1], days_ago=4)
    note = services.session_note_save(actor=station, booking=booking, sections=_in_format(NOTES[1]))
    services.session_note_sign(actor=station, note=note)
    signed_at = booking.slot.ends_at + timedelta(hours=1)
    SessionNote.objects.filter(pk=note.pk).update(signed_at=signed_at, updated_at=signed_at, created_at=signed_at)
    # The trainee's draft of yesterday.
    booking = _past_session(station, cs[2], days_ago=1)
    services.session_note_save(actor=station, booking=booking, sections=_in_format(NOTES[2]))
    if stdout is not None:
        stdout.write("session notes: 3 (one signed, one awaiting co-signature, one draft)\n")
    return {"counseling.sessionnote": 3, "counseling.supervision": 1}
