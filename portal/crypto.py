"""Encryption at rest for sensitive text (ID numbers, narratives, notes, family finances).

MultiFernet over settings.FIELD_ENCRYPTION_KEYS, newest key first: new values are written with the
newest key, old values stay readable until `manage.py reencrypt_fields` rewrites them.
"""

import hashlib
import hmac
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    # .strip(): FIELD_ENCRYPTION_KEYS="new, old" in the environment leaves a space before the old key.
    return MultiFernet([Fernet(k.strip().encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("cannot decrypt with the configured FIELD_ENCRYPTION_KEYS") from exc


def rotate(stored: str) -> str:
    """The same value encrypted under the newest key."""
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise ValueError("cannot decrypt with the configured FIELD_ENCRYPTION_KEYS") from exc


def is_under_newest_key(stored: str) -> bool:
    """True when the newest key alone decrypts `stored`: `reencrypt_fields` has nothing to do for it."""
    if not stored.startswith(PREFIX):
        return False
    try:
        _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS[:1])).decrypt(stored[len(PREFIX) :].encode("ascii"))
    except InvalidToken:
        return False
    return True


def blind_index(value: str) -> str:
    """A keyed hash for equality look-ups (e.g. find a student by ID number) without storing it."""
    key = hashlib.sha256(("blind-index:" + (settings.BLIND_INDEX_KEY or settings.SECRET_KEY)).encode()).digest()
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column that only ever holds ciphertext; Python code sees plaintext.

    It cannot be filtered or ordered on in SQL (use a blind index for look-ups).
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (a list of codes, say) kept as ciphertext: a dump shows nothing of it.

    For values whose mere presence is sensitive (a report's observed signs: "talk of suicide"). Python
    code sees the decoded value; SQL sees only ciphertext, so it cannot be filtered on.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self.get_default()
        return json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        if value is None:
            return value
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every (model, [field names]) pair in the project that holds encrypted text."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def encrypt_columns_in_place(table: str, *columns: str, json_columns: tuple[str, ...] = ()):
    """The RunPython of a migration that made plain columns encrypted: existing values are encrypted in
    place, and decrypted again when the migration is reversed. Raw SQL, because the model's field would
    try to decrypt the plain values. `json_columns` held JSON (jsonb cast to text by the AlterField)."""
    from django.db import migrations

    def _rewrite(schema_editor, convert) -> None:
        quote = schema_editor.connection.ops.quote_name
        with schema_editor.connection.cursor() as cursor:
            for column in (*columns, *json_columns):
                cursor.execute(f"SELECT id, {quote(column)} FROM {quote(table)}")  # noqa: S608 - fixed names
                for pk, value in cursor.fetchall():
                    new = convert(value, column in json_columns)
                    if new is not None and new != value:
                        cursor.execute(
                            f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
                            [new, pk],
                        )
            if schema_editor.connection.vendor == "postgresql":
                # Fire the deferred foreign-key checks of these UPDATEs now: PostgreSQL refuses an ALTER TABLE
                # later in the same migration transaction while trigger events are pending (on reverse).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def forwards(apps, schema_editor) -> None:
        def convert(value: str | None, is_json: bool) -> str | None:
            if not value or value.startswith(PREFIX):
                return None
            if is_json:  # re-dump in the field's own form
                return encrypt(json.dumps(json.loads(value), ensure_ascii=False, sort_keys=True))
            return encrypt(value)

        _rewrite(schema_editor, convert)

    def backwards(apps, schema_editor) -> None:
        _rewrite(schema_editor, lambda value, is_json: decrypt(value) if value and value.startswith(PREFIX) else None)

    return migrations.RunPython(forwards, backwards)
