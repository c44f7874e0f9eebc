"""Receipt codes of anonymous reports: pure functions, used by the services that file a report and by the
selectors that look a receipt up (selectors import no services).

The anonymous reporter's code is derived from the form's token with the server's secret, so a resubmitted
form shows the same code again; only its hash is stored (Report.receipt_hash, HeldReport.receipt_hash).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings

__all__ = ["normalise_receipt", "receipt_code_for", "receipt_hash"]

_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def receipt_code_for(idempotency_key: uuid.UUID) -> str:
    """The anonymous reporter's receipt: derived from the form's token with the server's secret, so a
    resubmitted form shows the same code again, and only its hash is stored."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"receipt:" + idempotency_key.bytes, hashlib.sha256).digest()
    chars = [_RECEIPT_ALPHABET[b % len(_RECEIPT_ALPHABET)] for b in digest[:12]]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))


def normalise_receipt(code: str) -> str:
    """What the reporter typed, as the code was issued: upper case, groups of four joined by "-"."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def receipt_hash(code: str) -> str:
    return hashlib.sha256(normalise_receipt(code).encode()).hexdigest()
