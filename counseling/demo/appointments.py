"""Demo data for appointments: two weeks of availability for `counselor` and `station`, a few bookings by
other students, and a waitlist entry. The `student` login is left free to try booking.

Written through the services (so slots, reminders and audit events are real). Idempotent: weekly times are
looked up by (counsellor, weekday, start), slot generation is idempotent, and bookings and the waitlist entry
are only made when the demo counsellors have no booking yet.
"""

from __future__ import annotations

import random
from datetime import time
from typing import TextIO

from django.utils import timezone

from counseling.models import AvailabilityTemplate, Booking, Mode, Slot, WaitlistEntry
from counseling.services import appointments as services
from portal.demo import STUDENT_LOGINS, DemoSchool
from portal.models import Gender, Staff, Student
from portal.services import DomainError

SEED = 20240425
CENTRE_ROOM = "心理健康教育中心 201 咨询室"
STATION_ROOM = "计算机学院心理辅导站 (北苑1栋 104)"
ONLINE_LINK = "腾讯会议 (链接在预约确认后发送)"

# username → (gender, [(weekday, start, mode, location)])
SCHEDULES = {
    "counselor": (
        Gender.FEMALE,
        [
            *[(day, time(hour, 0), Mode.ROOM, CENTRE_ROOM) for day in (0, 2, 4) for hour in (9, 10, 14, 15)],
            (1, time(19, 0), Mode.ONLINE, ONLINE_LINK),
            (3, time(19, 0), Mode.ONLINE, ONLINE_LINK),
        ],
    ),
    "station": (
        Gender.FEMALE,
        [(day, time(hour, 30), Mode.ROOM, STATION_ROOM) for day in (1, 3) for hour in (14, 15, 16)],
    ),
}
REASONS = [
    "最近总是失眠，考试压力很大，想找人聊聊。",
    "和室友相处有些矛盾，不知道怎么处理。",
    "想家，刚来学校不太适应。",
]


def seed_appointments(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    created = {"counseling.availabilitytemplate": 0, "counseling.slot": 0, "counseling.booking": 0}
    counsellors = {name: school.logins[name] for name in SCHEDULES}
    for name, (gender, weekly) in SCHEDULES.items():
        user = counsellors[name]
        Staff.objects.filter(user=user, gender="").update(gender=gender)
        for weekday, start, mode, location in weekly:
            _template, new = AvailabilityTemplate.objects.get_or_create(
                counsellor=user,
                weekday=weekday,
                start_time=start,
                defaults={"mode": mode, "location": location, "valid_from": timezone.localdate()},
            )
            created["counseling.availabilitytemplate"] += int(new)
    created["counseling.slot"] = services.slots_generate(days=14)
    if Booking.objects.filter(slot__counsellor__in=counsellors.values()).exists():
        return created
    rng = random.Random(SEED)
    logins = {school.students_by_login[name].pk for name in STUDENT_LOGINS if name in school.students_by_login}
    pool = [s for s in school.students if s.pk not in logins and s.status == Student.Status.ENROLLED]
    cs_pool = [s for s in pool if s.college.code == "CS"]
    wishes = [("counselor", pool, 0), ("counselor", pool, 3), ("station", cs_pool, 0)]
    used: set[int] = set()
    for (name, candidates, skip), reason in zip(wishes, REASONS, strict=True):
        open_slots = Slot.objects.filter(
            counsellor=counsellors[name], status=Slot.Status.OPEN, starts_at__gt=timezone.now()
        ).order_by("starts_at")
        slot = next(iter(open_slots[skip : skip + 1]), None)
        student = rng.choice([s for s in candidates if s.pk not in used])
        used.add(student.pk)
        if slot is None:
            continue
        try:
            services.booking_create(
                actor=student.user,
                student=student,
                slot=slot,
                reason=reason,
                first_visit=True,
                preferred_gender="",
                consent=True,
            )
        except DomainError:
            continue
        created["counseling.booking"] += 1
    waiting = rng.choice([s for s in cs_pool if s.pk not in used])
    _entry, new = WaitlistEntry.objects.get_or_create(
        student=waiting, counsellor=counsellors["station"], status=WaitlistEntry.Status.WAITING
    )
    created["counseling.waitlistentry"] = int(new)
    if stdout is not None:
        stdout.write(f"appointments: {created['counseling.slot']} slots, {created['counseling.booking']} bookings\n")
    return created
