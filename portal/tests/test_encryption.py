"""Encryption at rest: the column holds only ciphertext, keys rotate without losing data."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal import crypto
from portal.models import AuditEvent, Student
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

VALID_ID = "420102199003191234"  # check digit 4


def raw_id_cards() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_card_number FROM portal_student ORDER BY id")
        return dict(cursor.fetchall())


def reencrypt() -> str:
    out = io.StringIO()
    call_command("reencrypt_fields", "--batch-size", "2", stdout=out)
    return out.getvalue()


@pytest.fixture
def old_key(settings) -> str:
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


@pytest.fixture
def new_key() -> str:
    return Fernet.generate_key().decode()


def test_the_column_holds_ciphertext_and_the_model_reads_plaintext():
    student = StudentFactory(id_card_number=VALID_ID)

    stored = raw_id_cards()[student.pk]
    assert stored.startswith("fernet:")
    assert VALID_ID not in stored and "1234" not in stored.removeprefix("fernet:")
    assert Student.objects.get(pk=student.pk).id_card_number == VALID_ID
    assert Student.objects.values_list("id_card_number", flat=True).get(pk=student.pk) == VALID_ID
    # The same plaintext encrypts differently each time: equal ciphertexts would leak duplicates.
    assert crypto.encrypt(VALID_ID) != crypto.encrypt(VALID_ID)


def test_an_empty_number_stays_empty_and_unencrypted():
    student = StudentFactory(id_card_number="")
    assert raw_id_cards()[student.pk] == ""
    assert Student.objects.get(pk=student.pk).id_card_number == ""
    assert (student.id_card_masked, student.id_card_index) == ("", "")


def test_masked_form_and_blind_index():
    student = StudentFactory(id_card_number=VALID_ID)
    assert student.id_card_masked == "4201**********1234"
    assert student.id_card_index == crypto.blind_index(VALID_ID)
    # Stable, and insensitive to case and surrounding spaces; different numbers differ.
    assert crypto.blind_index(" 42010219900327123x ") == crypto.blind_index("42010219900327123X")
    assert crypto.blind_index(VALID_ID) != crypto.blind_index("420102199003271234")
    assert len(crypto.blind_index(VALID_ID)) == 64 and VALID_ID not in crypto.blind_index(VALID_ID)
    assert Student.objects.filter(id_card_index=crypto.blind_index(VALID_ID)).get() == student


def test_changing_the_keys_in_settings_takes_effect_at_once(settings, old_key, new_key):
    """crypto.fernet() is cached per tuple of keys, so a settings change is never masked by the cache."""
    token = crypto.encrypt("secret")
    assert crypto.fernet() is crypto.fernet()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(token)

    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    assert crypto.decrypt(token) == "secret"


def test_a_list_of_keys_from_the_environment_may_have_spaces(settings, old_key, new_key):
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, f" {old_key}"]  # env.list("a, b") keeps the space
    assert crypto.decrypt(token) == "secret"


def test_old_rows_stay_readable_after_a_new_key_is_put_first(settings, old_key, new_key):
    student = StudentFactory(id_card_number=VALID_ID)
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Student.objects.get(pk=student.pk).id_card_number == VALID_ID


def test_reencrypt_fields_rotates_every_value_to_the_newest_key(settings, old_key, new_key):
    numbers = ["420102199003191234", "420102199003271234", "11010519491231002X", "440524188001010014", ""]
    students = [StudentFactory(id_card_number=number) for number in numbers]
    before = raw_id_cards()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    output = reencrypt()

    assert "portal.student.id_card_number: 4 rewritten, 0 already current, 1 empty" in output
    after = raw_id_cards()
    for student in students:
        if student.id_card_number:
            assert after[student.pk] != before[student.pk] and after[student.pk].startswith("fernet:")
        else:
            assert after[student.pk] == ""

    # Only the new key is needed now; the old key alone no longer reads anything.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert [s.id_card_number for s in Student.objects.order_by("pk")] == numbers
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(ValueError, match="cannot decrypt"):
        list(Student.objects.exclude(id_card_number=""))

    # One audit event, with counts and nothing else.
    event = AuditEvent.objects.get(action="crypto.fields_reencrypted")
    assert set(event.changes) == {"counts"}
    assert event.changes["counts"]["portal.student.id_card_number"] == {"rewritten": 4, "current": 0, "empty": 1}
    assert all(isinstance(n, int) for column in event.changes["counts"].values() for n in column.values())


def test_reencrypt_fields_is_idempotent(settings, old_key, new_key):
    StudentFactory.create_batch(3)
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    reencrypt()
    rotated = raw_id_cards()

    output = reencrypt()

    assert "portal.student.id_card_number: 0 rewritten, 3 already current, 0 empty" in output
    assert raw_id_cards() == rotated  # nothing was rewritten the second time
    assert AuditEvent.objects.filter(action="crypto.fields_reencrypted").count() == 2


def test_reencrypt_fields_encrypts_plaintext_written_around_the_orm(settings, old_key):
    student = StudentFactory(id_card_number=VALID_ID)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE portal_student SET id_card_number = %s WHERE id = %s", [VALID_ID, student.pk])

    assert "1 rewritten" in reencrypt()
    assert raw_id_cards()[student.pk].startswith("fernet:")
    assert Student.objects.get(pk=student.pk).id_card_number == VALID_ID


def test_reencrypt_fields_stops_on_a_value_no_key_can_read(settings, old_key, new_key):
    student = StudentFactory(id_card_number=VALID_ID)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key was dropped too early

    with pytest.raises(CommandError, match=rf"portal.student.id_card_number of row {student.pk}: cannot decrypt"):
        reencrypt()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    assert Student.objects.get(pk=student.pk).id_card_number == VALID_ID  # untouched


def test_every_encrypted_field_is_found():
    found = {model._meta.label_lower: names for model, names in crypto.encrypted_fields()}
    assert found["portal.student"] == ["id_card_number"]
