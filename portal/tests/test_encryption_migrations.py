"""The migrations that encrypted plain columns (issue 13, finding 9) carry existing data both ways.

Rows are written at today's schema, the migrations are reversed (values decrypted back into the old plain
columns), then applied again (encrypted in place): the ORM reads the same values at the end, and the raw
columns hold plain text in between and ciphertext after.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from aid.models import ClassEvaluation, FamilyMember, Identification
from aid.tests.factories import IdentificationFactory
from counseling import services
from counseling.models import InterventionAction, Report, Sign
from counseling.tests.factories import submit_report
from homevisits.models import VisitRecord

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("counseling", "0008_visitrecommendation"),
    ("aid", "0003_list_indexes"),
    ("homevisits", "0003_guardian_contact_side"),
]


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("counseling", "aid", "homevisits")]


def test_encrypted_columns_migrate_down_to_plain_and_up_to_ciphertext(world):
    report = submit_report(reporter=None, anonymous=True, student=world.student_a, signs=[Sign.SUICIDE_TALK])
    Report.objects.filter(pk=report.pk).update(subject_given="买买提·艾力 2024001")
    identification = IdentificationFactory(student=world.student_a)
    Identification.objects.filter(pk=identification.pk).update(special_statuses=["dibao", "orphan"])
    member = FamilyMember.objects.create(identification=identification, relation="父亲", age=50, occupation="失业")
    action = services.action_add(
        actor=world["counselor"],
        case=report.case,
        kind=InterventionAction.Kind.HOSPITAL,
        owner=world["counselor"],
        due_date=timezone.localdate(),
        hospital="武汉市精神卫生中心",
    )
    try:
        migrate(BEFORE)
        assert raw("counseling_report", "subject_given", report.pk) == "买买提·艾力 2024001"
        assert "suicide_talk" in raw("counseling_report", "signs", report.pk)
        assert raw("aid_familymember", "occupation", member.pk) == "失业"
        assert raw("counseling_interventionaction", "hospital", action.pk) == "武汉市精神卫生中心"
        assert "orphan" in raw("aid_identification", "special_statuses", identification.pk)
    finally:
        migrate(latest())
    for table, column, pk in [
        ("counseling_report", "subject_given", report.pk),
        ("counseling_report", "signs", report.pk),
        ("aid_familymember", "occupation", member.pk),
        ("counseling_interventionaction", "hospital", action.pk),
        ("aid_identification", "special_statuses", identification.pk),
    ]:
        assert raw(table, column, pk).startswith("fernet:"), f"{table}.{column}"
    report = Report.objects.get(pk=report.pk)
    assert report.signs == [Sign.SUICIDE_TALK] and report.subject_given == "买买提·艾力 2024001"
    assert FamilyMember.objects.get(pk=member.pk).occupation == "失业"
    assert InterventionAction.objects.get(pk=action.pk).hospital == "武汉市精神卫生中心"
    assert sorted(Identification.objects.get(pk=identification.pk).special_statuses) == ["dibao", "orphan"]
    assert ClassEvaluation.objects.count() == 0 and VisitRecord.objects.count() == 0  # untouched tables migrate too
