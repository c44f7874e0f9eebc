"""Attacker story: someone walks off with a database dump (a backup copy, a replica, a careless export).

Issue 13 finding 9: narratives were encrypted, but a report's signs (["self_harm", "suicide_talk"]) sat in
plain JSON beside subject_given ("name 学号"). The dump below is what `pg_dump` would print: every column
of every row, as PostgreSQL stores it.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from counseling import services
from counseling.models import InterventionAction, ReportHold, Sign
from counseling.tests.factories import submit_report
from portal.crypto import encrypted_fields

pytestmark = pytest.mark.django_db


def dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in cursor.fetchall())


def test_a_dump_of_reports_does_not_say_who_talked_of_suicide(world):
    student = world.student_a
    report = submit_report(
        reporter=None, anonymous=True, student=student, signs=[Sign.SUICIDE_TALK, Sign.SELF_HARM], narrative="想死"
    )
    # The subject as typed carries the name and 学号 when a reporter types them.
    report.subject_given = f"{student.name} {student.student_no}"
    report.save(update_fields=["subject_given"])
    services.report_hold(
        kind=ReportHold.Kind.SURGE,
        source_key="",
        student=student,
        subject_given=f"{student.name} {student.student_no}",
        relation="roommate",
        signs=[Sign.SUICIDE_TALK],
        narrative="想死",
        when_where="",
        in_danger=True,
        idempotency_key=uuid.uuid4(),
    )
    for table in ("counseling_report", "counseling_heldreport"):
        text = dump(table)
        assert text, table
        for secret in ("suicide_talk", "self_harm", student.name, student.student_no, "想死"):
            assert secret not in text, f"{table} shows {secret!r}"


def test_a_dump_of_intervention_actions_does_not_name_the_hospital(world):
    case = submit_report(reporter=None, anonymous=True, student=world.student_a).case
    services.action_add(
        actor=world["counselor"],
        case=case,
        kind=InterventionAction.Kind.HOSPITAL,
        owner=world["counselor"],
        due_date=timezone.localdate(),
        hospital="武汉市精神卫生中心",
    )
    assert "精神卫生中心" not in dump("counseling_interventionaction")


def test_every_encrypted_column_holds_only_ciphertext(world):
    submit_report(reporter=world["liaison"], student=world.student_a, signs=[Sign.MOOD])
    for model, names in encrypted_fields():
        table = model._meta.db_table
        for name in names:
            column = model._meta.get_field(name).column
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)} "
                    f"WHERE {connection.ops.quote_name(column)} <> ''"
                )
                values = [v for (v,) in cursor.fetchall()]
            assert all(v.startswith("fernet:") for v in values), f"{table}.{column} holds plain text"
