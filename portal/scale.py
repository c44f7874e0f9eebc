"""A school at scale for load tests: `manage.py seed_scale --students 30000 [--seed 1]` builds it on PostgreSQL.

At 30,000 students (every quantity scales with --students): 12 colleges, ~700 classes, ~4,000 rooms,
students with guardians and logins, staff with roles per college, three years of history in every app and
~1,000,000 audit events. Big tables are written with COPY (`copy_rows`), the rest with bulk_create.

Deterministic: the same --seed, --students and anchor day give the same data. The anchor day ("today") is
`timezone.localdate()` unless --today pins it; history runs back three years from it, so that a bench run on
a fresh database always has open cases, future appointments and a current academic year. Every step draws
from its own `random.Random` (`ScaleSchool.rng(name)`), never from the global one and never from the clock.
Encrypted values differ between runs (Fernet tokens carry a random IV and a time), their plaintext does not.

Logins with the known password `settings.DEMO_PASSWORD`, for the benchmark (`scripts/bench.py`):

    bench_student     a first-year student of college 1 with a future appointment, a screening, an aid application
    bench_station     station counsellor of college 1 (open cases in the queue)
    bench_counselor   centre counsellor
    bench_aidreviewer aid reviewer of college 1
    bench_aidofficer  aid officer
    bench_visitor     home-visit team member with a planned trip of ~20 students
    bench_admin       superuser

All other accounts share one unusable password: they cannot sign in.

Extending: each app seeds its own tables in `<app>/scale.py` (imported by the command for every project app):

    from portal.scale import ScaleSchool, register_scale_step

    @register_scale_step
    def seed_things(school: ScaleSchool) -> dict[str, int]:
        rng = school.rng("things")
        ...
        return {"app.thing": n}        # rows written per table

Steps run after the core step in INSTALLED_APPS order (portal → counseling → aid → homevisits), then the audit
trail is written (it picks objects the steps listed in `school.audit_targets`). A later app may read what an
earlier one wrote through that app's selectors or through `school.shared`.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from portal.crypto import blind_index, encrypt
from portal.demo import ETHNICITY, PeopleGenerator, words
from portal.models import (
    AuditEvent,
    ClassGroup,
    College,
    DormRoom,
    Gender,
    Guardian,
    Role,
    RoleAssignment,
    Staff,
    Student,
    User,
)
from portal.validators import mask_id_card

BASE_STUDENTS = 30_000
EMAIL_DOMAIN = "scale.nuanxin.local"
ROOM_CAPACITY = 8
ROOMS_PER_FLOOR = 20
FLOORS_PER_BUILDING = 6
BATCH = 2_000
COPY_CHUNK = 20_000
BENCH_LOGINS = {
    "bench_student": "student of college 1 (future appointment, screening, aid application)",
    "bench_station": "station counsellor, college 1",
    "bench_counselor": "centre counsellor",
    "bench_aidreviewer": "aid reviewer, college 1",
    "bench_aidofficer": "aid officer",
    "bench_visitor": "home-visit team member with a planned trip",
    "bench_admin": "superuser",
}

# code, name, dormitory area, majors (short name for the class, full name)
COLLEGES = [
    ("CS", "计算机学院", "北苑", [("软件", "软件技术"), ("大数据", "大数据技术"), ("网络", "计算机网络技术")]),
    ("ME", "机电工程学院", "南苑", [("机电", "机电一体化技术"), ("数控", "数控技术"), ("机器人", "工业机器人技术")]),
    ("EM", "经济管理学院", "西苑", [("会计", "大数据与会计"), ("电商", "电子商务"), ("物流", "现代物流管理")]),
    ("AU", "汽车工程学院", "东苑", [("汽检", "汽车检测与维修技术"), ("新能源", "新能源汽车技术")]),
    ("EE", "电子信息学院", "北苑", [("电子", "应用电子技术"), ("物联网", "物联网应用技术"), ("通信", "现代通信技术")]),
    ("CE", "建筑工程学院", "南苑", [("建工", "建筑工程技术"), ("造价", "工程造价"), ("建设", "建设工程管理")]),
    ("AR", "艺术设计学院", "西苑", [("视觉", "视觉传达设计"), ("环艺", "环境艺术设计"), ("动漫", "动漫制作技术")]),
    ("TR", "旅游学院", "东苑", [("旅游", "旅游管理"), ("酒店", "酒店管理与数字化运营"), ("烹饪", "烹饪工艺与营养")]),
    ("MD", "医学院", "中苑", [("护理", "护理"), ("药学", "药学"), ("康复", "康复治疗技术")]),
    ("ED", "教育学院", "中苑", [("学前", "学前教育"), ("小教", "小学教育")]),
    ("FL", "外国语学院", "中苑", [("商英", "商务英语"), ("应日", "应用日语")]),
    ("MA", "马克思主义学院", "东苑", [("思政", "思想政治教育")]),
]
KINDS = [("han", 0.82), ("uyghur", 0.09), ("kazakh", 0.03), ("hui", 0.02), ("tujia", 0.04)]
STAFF_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕苏卢蒋蔡魏叶余潘杜夏钟汪田任"
STAFF_GIVEN = words("晓燕 静 建国 丽 志刚 伟 军 芳 红梅 海涛 文 斌 娟 俊 敏 磊 玲 婷 勇 华")


def scaled(base: int, students: int, *, minimum: int = 1) -> int:
    """`base` is the quantity at 30,000 students."""
    return max(minimum, round(base * students / BASE_STUDENTS))


# --- What the core step hands to the app steps -------------------------------------------------------------


@dataclass
class ScaleSchool:
    seed: int
    students: int
    today: date
    colleges: list[College] = field(default_factory=list)
    classes: list[ClassGroup] = field(default_factory=list)
    # Per student, aligned lists (index i is one student); students are ordered by 学号.
    student_ids: list[int] = field(default_factory=list)
    student_user_ids: list[int] = field(default_factory=list)
    student_college: list[int] = field(default_factory=list)  # college id
    student_class: list[int] = field(default_factory=list)  # class id
    student_gender: list[str] = field(default_factory=list)
    student_year: list[int] = field(default_factory=list)  # enrolment year
    student_status: list[str] = field(default_factory=list)
    student_minority: list[bool] = field(default_factory=list)
    student_place: list[tuple[str, str, str]] = field(default_factory=list)  # province, prefecture, county
    # Staff logins by role: {role: {college id or None: [user ids]}}
    staff: dict[str, dict[int | None, list[int]]] = field(default_factory=dict)
    committee_by_class: dict[int, int] = field(default_factory=dict)  # class id → user id
    liaison_user_ids: list[int] = field(default_factory=list)
    logins: dict[str, int] = field(default_factory=dict)  # bench username → user id
    bench_student_index: int = 0
    # Objects for the audit trail: {object type label: [ids]}; steps add to it.
    audit_targets: dict[str, list[int]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """A generator of its own per step: adding a step never changes the data of another."""
        return random.Random(f"nuanxin-scale:{self.seed}:{name}")

    @property
    def factor(self) -> float:
        return self.students / BASE_STUDENTS

    def scaled(self, base: int, *, minimum: int = 1) -> int:
        return scaled(base, self.students, minimum=minimum)

    @property
    def academic_year_start(self) -> int:
        """The calendar year the current academic year started in (1 September)."""
        return self.today.year if self.today.month >= 9 else self.today.year - 1

    @property
    def history_start(self) -> date:
        return self.today - timedelta(days=3 * 365)

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, dtime(hour, minute)))

    def random_moment(self, rng: random.Random, start: date, end: date) -> datetime:
        """A working-hours moment between two days (inclusive), never after the anchor's end of day."""
        span = max((end - start).days, 0)
        day = start + timedelta(days=rng.randint(0, span))
        return self.at(day, rng.randint(8, 21), rng.randrange(60))

    def staff_of(self, role: str, college_id: int | None = None) -> list[int]:
        return self.staff.get(role, {}).get(college_id, [])

    def all_staff(self, role: str) -> list[int]:
        return [uid for ids in self.staff.get(role, {}).values() for uid in ids]

    def target(self, label: str, ids: Iterable[int]) -> None:
        self.audit_targets.setdefault(label, []).extend(ids)


Step = Callable[[ScaleSchool], dict[str, int]]
_steps: dict[str, Step] = {}


def register_scale_step(fn: Step) -> Step:
    """Add a step, run after the core step. Registering the same function again replaces it."""
    _steps[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def registered_scale_steps() -> list[Step]:
    """Import `<app>.scale` of each of the project's own apps, in INSTALLED_APPS order, then list the steps."""
    for app_config in django_apps.get_app_configs():
        if Path(app_config.path).parent == Path(settings.BASE_DIR) and module_has_submodule(app_config.module, "scale"):
            import_module(f"{app_config.name}.scale")
    order = [a.name for a in django_apps.get_app_configs()]

    def app_rank(key: str) -> int:
        app = key.split(".", 1)[0]
        return order.index(app) if app in order else len(order)

    return [fn for key, fn in sorted(_steps.items(), key=lambda kv: app_rank(kv[0]))]


# --- Writing fast ---------------------------------------------------------------------------------------------


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows (tuples in `columns` order; column names are attnames, e.g. "student_id") into the model's
    table, streamed in chunks. Values go in as they are: encrypt sensitive text with `portal.crypto.encrypt`
    first, as the field's get_prep_value would. Returns the number of rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {table} ({cols}) FROM STDIN"
    total = 0
    buffer = io.StringIO()
    in_buffer = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, under Django's wrapper
        for row in rows:
            buffer.write("\t".join(_copy_value(v) for v in row))
            buffer.write("\n")
            in_buffer += 1
            if in_buffer == COPY_CHUNK:
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
                total += in_buffer
                buffer, in_buffer = io.StringIO(), 0
        if in_buffer:
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            total += in_buffer
    return total


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """n primary keys of the model's sequence, reserved for rows written with COPY (so others can refer to them)."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
    return list(range(first, first + n))


def bulk(model: type[models.Model], objects: list[models.Model]) -> list[models.Model]:
    """bulk_create in batches; PostgreSQL returns the primary keys."""
    return model.objects.bulk_create(objects, batch_size=BATCH)


def stable_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def money(value: float | int) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


# --- The core step ----------------------------------------------------------------------------------------------


def _class_plan(school: ScaleSchool) -> list[tuple[int, str, str, int]]:
    """(college index, class name, major, enrolment year): ~43 students a class, three cohorts."""
    n_classes = max(len(COLLEGES), round(school.students / 43))
    years = [school.academic_year_start - 2, school.academic_year_start - 1, school.academic_year_start]
    plan = []
    per_major: dict[tuple[str, int], int] = {}
    for i in range(n_classes):
        college_index = i % len(COLLEGES)
        majors = COLLEGES[college_index][3]
        short, major = majors[(i // len(COLLEGES)) % len(majors)]
        # Class 0 (college 1) is a first-year class: the bench student's.
        year = years[(2 + i + i // len(COLLEGES)) % 3]
        per_major[(short, year)] = per_major.get((short, year), 0) + 1
        plan.append((college_index, f"{short}{year % 100:02d}{per_major[(short, year)]:02d}班", major, year))
    return plan


def _kind(rng: random.Random) -> str:
    roll = rng.random()
    for kind, share in KINDS:
        if roll < share:
            return kind
        roll -= share
    return "han"


def _staff_name(rng: random.Random) -> str:
    return rng.choice(STAFF_SURNAMES) + rng.choice(STAFF_GIVEN)


def seed_core(school: ScaleSchool) -> dict[str, int]:
    rng = school.rng("core")
    counts: dict[str, int] = {}
    unusable = f"{UNUSABLE_PASSWORD_PREFIX}{hashlib.sha256(f'scale-{school.seed}'.encode()).hexdigest()[:40]}"
    bench_password = make_password(settings.DEMO_PASSWORD)  # once: argon2 is slow on purpose

    school.colleges = bulk(
        College,
        [
            College(code=code, name=name, leadership_email=f"{code.lower()}-lead@{EMAIL_DOMAIN}")
            for code, name, _area, _majors in COLLEGES
        ],
    )
    counts["portal.college"] = len(school.colleges)

    # Staff: per college two station counsellors (one lead), an aid reviewer and head teachers; school-wide
    # centre counsellors (a lead), assessors, aid officers, the visit team and an admin.
    per_college_roles = [
        (Role.STATION_COUNSELLOR, max(1, school.scaled(2)), "心理辅导站"),
        (Role.AID_REVIEWER, 1, "学生工作办公室"),
    ]
    school_roles = [
        (Role.CENTRE_COUNSELLOR, school.scaled(16, minimum=2), "心理健康教育中心"),
        (Role.ASSESSOR, school.scaled(8, minimum=2), "心理危机评估小组"),
        (Role.AID_OFFICER, school.scaled(5, minimum=2), "学生资助管理中心"),
        (Role.VISIT_TEAM, school.scaled(12, minimum=3), "学生工作处"),
        (Role.ADMIN, 1, "信息化办公室"),
    ]
    staff_specs: list[tuple[str, int | None, str, bool]] = []  # role, college id, unit, lead
    for college in school.colleges:
        for role, n, unit in per_college_roles:
            for k in range(n):
                staff_specs.append(
                    (role, college.pk, f"{college.name}{unit}", role == Role.STATION_COUNSELLOR and k == 0)
                )
    for role, n, unit in school_roles:
        for k in range(n):
            staff_specs.append((role, None, unit, role == Role.CENTRE_COUNSELLOR and k == 0))
    head_teachers_per_college = max(1, math.ceil(len(_class_plan(school)) / len(COLLEGES) / 5))
    for college in school.colleges:
        for _k in range(head_teachers_per_college):
            staff_specs.append(("head_teacher", college.pk, f"{college.name}学生工作办公室", False))

    bench_staff = {
        Role.STATION_COUNSELLOR: "bench_station",
        Role.CENTRE_COUNSELLOR: "bench_counselor",
        Role.AID_REVIEWER: "bench_aidreviewer",
        Role.AID_OFFICER: "bench_aidofficer",
        Role.VISIT_TEAM: "bench_visitor",
        Role.ADMIN: "bench_admin",
    }
    college_one = school.colleges[0].pk
    staff_users, staff_rows = [], []
    for i, (role, college_id, unit, _lead) in enumerate(staff_specs):
        employee_no = f"S{i + 1:06d}"
        username = employee_no
        bench = bench_staff.get(role)
        if bench and bench not in {u.username for u in staff_users} and (college_id in (None, college_one)):
            username = bench
        is_admin = role == Role.ADMIN
        name = _staff_name(rng)
        staff_users.append(
            User(
                username=username,
                full_name=name,
                email=f"{username}@{EMAIL_DOMAIN}",
                password=bench_password if username.startswith("bench_") else unusable,
                is_staff=is_admin,
                is_superuser=is_admin,
            )
        )
        staff_rows.append((employee_no, name, college_id, unit, rng.choice((Gender.MALE, Gender.FEMALE))))
    staff_users = bulk(User, staff_users)
    staff_objs = bulk(
        Staff,
        [
            Staff(user=u, employee_no=no, name=name, college_id=cid, unit=unit, gender=g, phone=f"027-87{i:06d}")
            for i, (u, (no, name, cid, unit, g)) in enumerate(zip(staff_users, staff_rows, strict=True))
        ],
    )
    counts["portal.staff"] = len(staff_objs)
    roles = []
    head_teachers: dict[int, list[int]] = {}
    for user, staff, (role, college_id, _unit, lead) in zip(staff_users, staff_objs, staff_specs, strict=True):
        if user.username.startswith("bench_"):
            school.logins[user.username] = user.pk
        if role == "head_teacher":
            head_teachers.setdefault(college_id, []).append(staff.pk)
            continue
        scope = college_id if role in RoleAssignment.COLLEGE_SCOPED else None
        school.staff.setdefault(role, {}).setdefault(scope, []).append(user.pk)
        roles.append(RoleAssignment(user=user, role=role, college_id=scope, is_lead=lead))

    # Classes, with a head teacher of their college.
    plan = _class_plan(school)
    school.classes = bulk(
        ClassGroup,
        [
            ClassGroup(
                college=school.colleges[ci],
                name=name,
                major=major,
                enrolment_year=year,
                head_teacher_id=head_teachers[school.colleges[ci].pk][k % head_teachers_per_college],
            )
            for k, (ci, name, major, year) in enumerate(plan)
        ],
    )
    counts["portal.classgroup"] = len(school.classes)

    # Students: spread over the classes, 学号 = year + college + class within college + seat.
    gen = PeopleGenerator(rng)
    class_sizes = [school.students // len(plan)] * len(plan)
    for k in range(school.students - sum(class_sizes)):
        class_sizes[k] += 1
    college_class_seq: dict[int, int] = {}
    specs = []
    for (ci, _name, _major, year), class_group, size in zip(plan, school.classes, class_sizes, strict=True):
        college_class_seq[ci] = college_class_seq.get(ci, 0) + 1
        women = 0.15 + 0.7 * rng.random()
        for seat in range(1, size + 1):
            student_no = f"{year}{ci + 1:02d}{college_class_seq[ci]:03d}{seat:02d}"
            gender = Gender.FEMALE if rng.random() < women else Gender.MALE
            kind = _kind(rng)
            name, gender, guardians, place = gen.person(kind, gender)
            birth_year = year - rng.choice((18, 19, 19, 19, 20))
            status = Student.Status.LEAVE if rng.random() < 0.02 else Student.Status.ENROLLED
            specs.append(
                dict(
                    student_no=student_no,
                    name=name,
                    gender=gender,
                    kind=kind,
                    id_card=gen.id_card(place, birth_year, gender),
                    phone=gen.phone(),
                    place=place,
                    address=gen.address(place),
                    college=school.colleges[ci],
                    class_group=class_group,
                    year=year,
                    status=status,
                    guardians=[(n, r, gen.phone()) for n, r in guardians],
                )
            )
    specs.sort(key=lambda s: s["student_no"])
    bench_index = next(i for i, s in enumerate(specs) if s["class_group"].pk == school.classes[0].pk)
    specs[bench_index]["status"] = Student.Status.ENROLLED
    school.bench_student_index = bench_index

    rooms = _rooms_for(specs, liaison_not=specs[bench_index]["student_no"])
    room_objs = bulk(DormRoom, [DormRoom(building=b, floor=f, room=r) for b, f, r in rooms["all"]])
    room_ids = {(r.building, r.room): r.pk for r in room_objs}
    counts["portal.dormroom"] = len(room_objs)

    users = bulk(
        User,
        [
            User(
                username="bench_student" if i == bench_index else s["student_no"],
                full_name=s["name"],
                email=f"bench_student@{EMAIL_DOMAIN}" if i == bench_index else "",
                password=bench_password if i == bench_index else unusable,
            )
            for i, s in enumerate(specs)
        ],
    )
    counts["portal.user"] = len(users) + len(staff_users)
    school.logins["bench_student"] = users[bench_index].pk
    students = bulk(
        Student,
        [
            Student(
                user=u,
                student_no=s["student_no"],
                name=s["name"],
                gender=s["gender"],
                ethnicity=ETHNICITY[s["kind"]],
                # bulk_create skips Student.save: derive the masked form and the blind index here; the field
                # encrypts the number itself (get_prep_value).
                id_card_number=s["id_card"],
                id_card_masked=mask_id_card(s["id_card"]),
                id_card_index=blind_index(s["id_card"]),
                phone=s["phone"],
                hometown_province=s["place"].province,
                hometown_prefecture=s["place"].prefecture,
                hometown_county=s["place"].county,
                hometown_address=s["address"],
                college=s["college"],
                class_group=s["class_group"],
                room_id=room_ids.get(rooms["of"].get(s["student_no"])),
                enrolment_year=s["year"],
                status=s["status"],
            )
            for u, s in zip(users, specs, strict=True)
        ],
    )
    counts["portal.student"] = len(students)
    school.student_ids = [s.pk for s in students]
    school.student_user_ids = [u.pk for u in users]
    school.student_college = [s["college"].pk for s in specs]
    school.student_class = [s["class_group"].pk for s in specs]
    school.student_gender = [s["gender"] for s in specs]
    school.student_year = [s["year"] for s in specs]
    school.student_status = [s["status"] for s in specs]
    school.student_minority = [s["kind"] != "han" for s in specs]
    school.student_place = [(s["place"].province, s["place"].prefecture, s["place"].county) for s in specs]
    school.target("portal.student", school.student_ids)

    counts["portal.guardian"] = copy_rows(
        Guardian,
        ["student_id", "name", "relation", "phone"],
        ((sid, n, r, p) for sid, s in zip(school.student_ids, specs, strict=True) for n, r, p in s["guardians"]),
    )

    # Student roles: everyone is a student; one committee member per class, one liaison per floor.
    roles += [RoleAssignment(user_id=uid, role=Role.STUDENT) for uid in school.student_user_ids]
    first_of_class: dict[int, int] = {}
    for i, cid in enumerate(school.student_class):
        if i != bench_index and school.student_status[i] == Student.Status.ENROLLED:
            first_of_class.setdefault(cid, school.student_user_ids[i])
    for cid, uid in first_of_class.items():
        roles.append(RoleAssignment(user_id=uid, role=Role.CLASS_COMMITTEE, class_group_id=cid))
        school.committee_by_class[cid] = uid
    number_index = {s["student_no"]: i for i, s in enumerate(specs)}
    liaisons = []
    for resident_no, floor_rooms in rooms["floors"].values():
        index = number_index[resident_no]
        ra = RoleAssignment(user_id=school.student_user_ids[index], role=Role.DORM_LIAISON)
        liaisons.append((ra, [room_ids[r] for r in floor_rooms]))
        school.liaison_user_ids.append(school.student_user_ids[index])
    roles += [ra for ra, _rooms in liaisons]
    bulk(RoleAssignment, roles)
    counts["portal.roleassignment"] = len(roles)
    through = RoleAssignment.rooms.through
    counts["portal.roleassignment_rooms"] = copy_rows(
        through, ["roleassignment_id", "dormroom_id"], ((ra.pk, rid) for ra, rids in liaisons for rid in rids)
    )
    return counts


def _rooms_for(specs: list[dict], *, liaison_not: str) -> dict[str, Any]:
    """Rooms of 8, single-gender floors, each college's students in buildings of its area.

    Returns {"all": [(building, floor, room)], "of": {学号: (building, room)}, "floors": {(building, floor):
    (学号 of a resident who is the floor's liaison, [(building, room)])}}.
    """
    by_area: dict[str, dict[str, list[dict]]] = {}
    area_of = {code: area for code, _name, area, _majors in COLLEGES}
    for s in specs:
        if s["status"] != Student.Status.ENROLLED:
            continue
        by_area.setdefault(area_of[s["college"].code], {}).setdefault(s["gender"], []).append(s)
    all_rooms: list[tuple[str, int, str]] = []
    of: dict[str, tuple[str, str]] = {}
    floors: dict[tuple[str, int], tuple[str, list[tuple[str, str]]]] = {}
    for area in sorted(by_area):
        building_no, floor = 1, 0
        for gender in (Gender.MALE, Gender.FEMALE):
            residents = by_area[area].get(gender, [])
            for start in range(0, len(residents), ROOM_CAPACITY * (ROOMS_PER_FLOOR - 2)):
                # A floor: leave two rooms empty for late arrivals, as colleges do.
                floor += 1
                if floor > FLOORS_PER_BUILDING:
                    building_no, floor = building_no + 1, 1
                building = f"{area}{building_no}栋"
                floor_rooms = [(building, f"{floor}{i:02d}") for i in range(1, ROOMS_PER_FLOOR + 1)]
                all_rooms += [(building, floor, r) for _b, r in floor_rooms]
                chunk = residents[start : start + ROOM_CAPACITY * (ROOMS_PER_FLOOR - 2)]
                for k, s in enumerate(chunk):
                    of[s["student_no"]] = floor_rooms[k // ROOM_CAPACITY]
                liaison = next((x for x in chunk if x["student_no"] != liaison_not), None)
                if liaison is not None:
                    floors[(building, floor)] = (liaison["student_no"], floor_rooms)
            # Men and women never share a building: the next gender starts a new one.
            building_no, floor = building_no + 1, 0
    return {"all": all_rooms, "of": of, "floors": floors}


# --- The audit trail ------------------------------------------------------------------------------------------

AUDIT_ACTIONS = [
    # action, object type (a key of audit_targets, or "" for none), weight
    ("read", "portal.student", 30),
    ("read", "counseling.case", 12),
    ("read", "aid.identification", 8),
    ("read", "aid.application", 6),
    ("booking.created", "counseling.booking", 8),
    ("booking.cancelled", "counseling.booking", 2),
    ("screening.submitted", "counseling.screeningresult", 6),
    ("crisis_case.status_changed", "counseling.case", 4),
    ("crisis_case.acknowledged", "counseling.case", 2),
    ("identification.submitted", "aid.identification", 3),
    ("identification.reviewed", "aid.identification", 3),
    ("application.submitted", "aid.application", 4),
    ("application.approved", "aid.application", 3),
    ("payment.paid", "aid.payment", 4),
    ("visit_record.created", "homevisits.visitrecord", 1),
    ("student.contact_changed", "portal.student", 2),
    ("hiddenaid.canteen_imported", "aid.canteenimport", 1),
]


def seed_audit(school: ScaleSchool) -> dict[str, int]:
    """~1,000,000 audit events over three years, written with COPY."""
    rng = school.rng("audit")
    n = school.scaled(1_000_000)
    actions = [a for a in AUDIT_ACTIONS if school.audit_targets.get(a[1])]
    weights = [w for _a, _t, w in actions]
    staff_users = [uid for role in school.staff.values() for ids in role.values() for uid in ids]
    students = school.student_user_ids
    start = school.at(school.history_start, 0)
    span = int((school.at(school.today, 23, 59) - start).total_seconds())
    picks = rng.choices(range(len(actions)), weights=weights, k=n)
    seconds = sorted(rng.randrange(span) for _ in range(n))

    def rows() -> Iterator[tuple]:
        for k in range(n):
            action, label, _w = actions[picks[k]]
            targets = school.audit_targets[label]
            actor = (
                rng.choice(students)
                if action in ("booking.created", "screening.submitted")
                else rng.choice(staff_users)
            )
            yield (
                start + timedelta(seconds=seconds[k]),
                actor,
                action,
                label,
                str(targets[rng.randrange(len(targets))]),
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                f"{rng.getrandbits(64):016x}",
                "{}",
            )

    written = copy_rows(
        AuditEvent, ["at", "actor_id", "action", "object_type", "object_id", "ip", "request_id", "changes"], rows()
    )
    return {"portal.auditevent": written}


# --- The entry point ------------------------------------------------------------------------------------------


def seed_scale(
    *, students: int = BASE_STUDENTS, seed: int = 1, today: date | None = None, stdout: TextIO | None = None
) -> dict[str, Any]:
    """Build the school in one transaction. Returns {"steps": [(name, {table: rows}, seconds)], "school": ...}.

    Refuses nothing itself: the command checks that the database holds no students first.
    """
    school = ScaleSchool(seed=seed, students=students, today=today or timezone.localdate())
    report: list[tuple[str, dict[str, int], float]] = []

    def run(name: str, step: Step) -> None:
        started = time.monotonic()
        counts = step(school)
        elapsed = time.monotonic() - started
        report.append((name, counts, elapsed))
        if stdout is not None:
            rows = ", ".join(f"{label} {n}" for label, n in counts.items())
            stdout.write(f"{name}: {elapsed:.1f} s: {rows}\n")
            stdout.flush()

    with transaction.atomic():
        run("core", seed_core)
        for step in registered_scale_steps():
            run(f"{step.__module__}.{step.__name__}", step)
        run("audit", seed_audit)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report.append(("analyze", {}, time.monotonic() - started))
    if stdout is not None:
        stdout.write(f"analyze: {report[-1][2]:.1f} s\n")
    return {"steps": report, "school": school}


__all__ = [
    "BENCH_LOGINS",
    "ScaleSchool",
    "bulk",
    "copy_rows",
    "encrypt",
    "money",
    "register_scale_step",
    "reserve_ids",
    "seed_scale",
    "stable_uuid",
]
