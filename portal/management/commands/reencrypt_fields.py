"""Rewrite every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS.

Key rotation: put the new key first in FIELD_ENCRYPTION_KEYS and keep the old ones after it, deploy,
run this command, then drop the old keys. Values already under the newest key are left alone, so the
command is idempotent and may be interrupted and run again. Rows are locked batch by batch
(SELECT … FOR UPDATE), so a concurrent edit is neither lost nor overwritten with a stale value.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from portal import crypto
from portal.audit import audit_log


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows locked and rewritten per transaction.")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        counts: dict[str, dict[str, int]] = {}
        for model, names in crypto.encrypted_fields():
            counts.update(self._reencrypt_model(model, names, batch_size))
        for column, numbers in counts.items():
            self.stdout.write(
                f"{column}: {numbers['rewritten']} rewritten, {numbers['current']} already current, "
                f"{numbers['empty']} empty"
            )
        total = sum(numbers["rewritten"] for numbers in counts.values())
        # Counts only: never a value, not even a masked one.
        audit_log(actor=None, action="crypto.fields_reencrypted", object_type="crypto", changes={"counts": counts})
        self.stdout.write(self.style.SUCCESS(f"{total} values rewritten under the newest key."))

    def _reencrypt_model(
        self, model: type[models.Model], names: list[str], batch_size: int
    ) -> dict[str, dict[str, int]]:
        label = model._meta.label_lower
        counts = {name: {"rewritten": 0, "current": 0, "empty": 0} for name in names}
        # The raw column through a plain TextField cast, so the ORM hands us the ciphertext undecrypted.
        raw = {f"_raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
        last_pk = None
        while True:
            with transaction.atomic():
                rows = model._base_manager.select_for_update().order_by("pk").only("pk").annotate(**raw)
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows[:batch_size])
                if not batch:
                    break
                for name in names:
                    changed = []
                    for obj in batch:
                        stored = getattr(obj, f"_raw_{name}")
                        if not stored:
                            counts[name]["empty"] += 1
                        elif crypto.is_under_newest_key(stored):
                            counts[name]["current"] += 1
                        else:
                            setattr(obj, name, self._rewritten(stored, label, name, obj.pk))
                            changed.append(obj)
                    if changed:
                        model._base_manager.bulk_update(changed, [name])
                        counts[name]["rewritten"] += len(changed)
                last_pk = batch[-1].pk
        return {f"{label}.{name}": numbers for name, numbers in counts.items()}

    @staticmethod
    def _rewritten(stored: str, label: str, name: str, pk: object) -> models.Value:
        try:
            # A value without the prefix is plaintext written around the ORM: encrypt it now.
            value = crypto.rotate(stored) if stored.startswith(crypto.PREFIX) else crypto.encrypt(stored)
        except ValueError as exc:
            raise CommandError(f"{label}.{name} of row {pk}: {exc}; add the key it was written with.") from exc
        # A plain TextField value: the encrypted field would otherwise encrypt the ciphertext again.
        return models.Value(value, output_field=models.TextField())
