"""`manage.py seed_demo` and portal.demo: the demo school, its logins, idempotency, SQLite."""

import os
import random
import re
import subprocess
import sys
import time
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from portal import access, demo
from portal.crypto import blind_index
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
from portal.validators import mask_id_card, validate_id_card, validate_phone

REPO = Path(__file__).resolve().parents[2]
MOBILE = re.compile(r"^1[3-9]\d{9}$")
UYGHUR_SCRIPT = re.compile(r"[\u0600-\u06ff]")
STAFF_ROLES = {
    "station": Role.STATION_COUNSELLOR,
    "counselor": Role.CENTRE_COUNSELLOR,
    "assessor": Role.ASSESSOR,
    "aidreviewer": Role.AID_REVIEWER,
    "aidofficer": Role.AID_OFFICER,
    "visitor": Role.VISIT_TEAM,
    "admin": Role.ADMIN,
}


@pytest.fixture
def seeded(db) -> dict:
    return demo.seed_demo()


def login(username: str) -> User:
    return User.objects.get(username=username)


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models(include_auto_created=True)}


def test_it_builds_a_small_school(seeded):
    assert College.objects.count() == 3
    assert set(College.objects.values_list("code", "leadership_email")) == {
        ("CS", "cs-lead@demo.nuanxin.local"),
        ("ME", "me-lead@demo.nuanxin.local"),
        ("EM", "em-lead@demo.nuanxin.local"),
    }
    assert ClassGroup.objects.count() == 12
    for college in College.objects.all():
        assert college.classes.count() == 4
    assert set(ClassGroup.objects.values_list("enrolment_year", flat=True)) == {2023, 2024, 2025}
    assert ClassGroup.objects.get(name="软件2401班").major == "软件技术"
    assert Student.objects.count() == 300
    assert Student.objects.filter(status=Student.Status.ENROLLED).count() >= 285


def test_students_have_phones_guardians_and_single_gender_rooms(seeded):
    for student in Student.objects.prefetch_related("guardians"):
        assert MOBILE.match(student.phone), student.phone
        guardians = list(student.guardians.all())
        assert 1 <= len(guardians) <= 2
        for guardian in guardians:
            validate_phone(guardian.phone)
        assert (student.room is not None) == (student.status == Student.Status.ENROLLED)
        assert student.enrolment_year == student.class_group.enrolment_year
        assert student.college_id == student.class_group.college_id
    for room in DormRoom.objects.all():
        assert len(set(room.residents.values_list("gender", flat=True))) <= 1, room
        assert len(room.residents.all()) <= demo.ROOM_CAPACITY


def test_every_id_card_number_is_valid_and_fits_its_holder(seeded):
    numbers = set()
    provinces = {"湖北省": "42", "新疆维吾尔自治区": "65", "宁夏回族自治区": "64"}
    for student in Student.objects.all():
        number = student.id_card_number
        validate_id_card(number)
        numbers.add(number)
        assert number[:2] == provinces[student.hometown_province]
        assert date(2003, 1, 1) <= date(int(number[6:10]), int(number[10:12]), int(number[12:14])) <= date(2007, 12, 31)
        assert int(number[16]) % 2 == (1 if student.gender == Gender.MALE else 0)
        # bulk_create bypasses Student.save: the derived columns must match what save() would write.
        assert student.id_card_masked == mask_id_card(number)
        assert Student.objects.filter(id_card_index=blind_index(number)).count() == 1
    assert len(numbers) == 300


def test_names_include_minority_names_with_a_fitting_ethnicity(seeded):
    names = dict(Student.objects.values_list("name", "ethnicity"))
    dotted = {name: eth for name, eth in names.items() if "·" in name}
    script = {name: eth for name, eth in names.items() if UYGHUR_SCRIPT.search(name)}
    assert len(dotted) >= 30
    assert set(dotted.values()) == {"维吾尔族", "哈萨克族"}
    assert script and set(script.values()) == {"维吾尔族"}
    assert "ئابدۇراخمان ئەخمەت" in script
    assert {"汉族", "回族", "土家族"} <= set(names.values())
    assert not Student.objects.filter(ethnicity__in=["维吾尔族", "哈萨克族"]).exclude(
        hometown_province="新疆维吾尔自治区"
    )
    assert set(Student.objects.filter(ethnicity="土家族").values_list("hometown_province", flat=True)) == {"湖北省"}


def test_the_student_login_is_a_uyghur_student_of_software_2401(seeded):
    student = login("student").student
    assert student.name == "买买提·艾力"
    assert student.ethnicity == "维吾尔族"
    assert (student.college.code, student.class_group.name) == ("CS", "软件2401班")
    assert student.room.building == "北苑1栋"
    assert student.user.email == "student@demo.nuanxin.local"


def test_each_demo_login_has_its_role_and_scope(seeded):
    cs = College.objects.get(code="CS")
    student = login("student").student
    for username in ("student", "liaison", "committee"):
        user = login(username)
        assert RoleAssignment.objects.filter(user=user, role=Role.STUDENT).exists()
        assert user.email == f"{username}@demo.nuanxin.local"
    for username, role in STAFF_ROLES.items():
        user = login(username)
        assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [role]
        assert user.staff.employee_no and user.full_name == user.staff.name

    assert set(access.visible(login("station"), Student)) == set(Student.objects.filter(college=cs))
    assert set(access.visible(login("aidreviewer"), Student)) == set(Student.objects.filter(college=cs))
    assert access.visible(login("counselor"), Student).count() == 300
    assert list(access.visible(login("student"), Student)) == [student]

    liaison_rooms = RoleAssignment.objects.get(user=login("liaison"), role=Role.DORM_LIAISON).rooms.all()
    assert student.room in liaison_rooms
    assert {(r.building, r.floor) for r in liaison_rooms} == {(student.room.building, student.room.floor)}
    assert login("liaison").student.room in liaison_rooms
    committee = RoleAssignment.objects.get(user=login("committee"), role=Role.CLASS_COMMITTEE)
    assert committee.class_group == student.class_group == login("committee").student.class_group

    admin = login("admin")
    assert admin.is_staff and admin.is_superuser and access.is_admin(admin)


def test_only_the_ten_demo_accounts_can_sign_in(seeded):
    usable = {u.username for u in User.objects.all() if u.has_usable_password()}
    assert usable == set(demo.DEMO_LOGINS)
    assert len(usable) == 10
    assert set(seeded["accounts"]) == usable


def test_demo_accounts_sign_in_with_the_demo_password(db, client, real_password_hashers):
    demo.seed_demo()  # with the project's real (argon2) hasher
    for username in demo.DEMO_LOGINS:
        assert login(username).password.startswith("argon2")
        request = RequestFactory().post("/accounts/login/")
        assert client.login(request=request, username=username, password=settings.DEMO_PASSWORD), username
        client.logout()
    assert not client.login(request=request, username="student", password="wrong-password")


def test_a_second_run_changes_nothing(seeded, django_assert_max_num_queries):
    before = row_counts()
    started = time.monotonic()
    # Each app's step checks its own marker rows; a restart of `make run` must stay cheap.
    with django_assert_max_num_queries(250):
        again = demo.seed_demo()
    assert time.monotonic() - started < 3
    assert again["created"] == {}
    assert row_counts() == before
    assert again["school"].students_by_login["student"].name == "买买提·艾力"


def test_it_audits_the_run_that_created_data(seeded):
    demo.seed_demo()
    event = AuditEvent.objects.get(action="demo.seeded")
    assert event.actor is None
    assert event.changes["created"]["portal.student"] == 300


def test_the_plan_is_the_same_every_time():
    first = demo.plan_students(random.Random(demo.SEED))
    second = demo.plan_students(random.Random(demo.SEED))
    assert first == second
    assert len(first) == 300


def test_each_apps_steps_run_after_the_core_in_their_order(seeded, monkeypatch):
    from homevisits import demo as homevisits_demo

    seen = []

    def seed_extra(school: demo.DemoSchool, *, stdout: object) -> dict[str, int]:
        seen.append(school.logins["visitor"].username)
        return {"extra.thing": 2}

    monkeypatch.setattr(homevisits_demo, "STEPS", (*homevisits_demo.STEPS, seed_extra))
    steps = demo.demo_steps()
    assert steps[-1] is seed_extra
    assert steps.index(homevisits_demo.seed_homevisit_trips) < steps.index(homevisits_demo.seed_homevisit_records)
    result = demo.seed_demo()
    assert seen == ["visitor"]
    assert result["created"] == {"extra.thing": 2}
    assert AuditEvent.objects.filter(action="demo.seeded").count() == 2


def test_the_steps_run_in_the_order_each_app_lists():
    from aid import demo as aid_demo
    from counseling import demo as counseling_demo
    from homevisits import demo as homevisits_demo

    assert demo.demo_steps() == [*counseling_demo.STEPS, *aid_demo.STEPS, *homevisits_demo.STEPS]
    names = [step.__name__ for step in aid_demo.STEPS]
    assert names.index("seed_identification") < names.index("seed_fiveaid") < names.index("seed_workstudy")


def test_the_command_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not Student.objects.exists()


def test_the_command_runs_with_force_and_prints_the_accounts(db, settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert Student.objects.count() == 300
    assert settings.DEMO_PASSWORD in out.getvalue()
    for username in demo.DEMO_LOGINS:
        assert re.search(rf"^  {username}\s", out.getvalue(), re.MULTILINE)


def test_the_command_runs_with_debug_on_and_twice(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert Staff.objects.filter(user__username="station", college__code="CS").exists()
    assert Guardian.objects.count() >= 300


@pytest.mark.slow
def test_it_runs_on_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "1"}

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    first = manage("seed_demo")
    assert "portal.student 300" in first
    assert "nothing changed" in manage("seed_demo")
