"""Self-service account activation and password reset with a one-time code sent by SMS to the phone on record.

Activation: 学号 + the last 6 characters of the ID-card number → a code to the roster phone (Student.phone) →
code + a new password. Only for an account that has never had a password (the roster import's unusable one):
an active account cannot be "activated" again to take it over. Reset: 学号/工号 → a code to the phone on record
(a student's roster phone; a staff member's Staff.phone when ACCOUNT_RESET_FOR_STAFF) → code + a new password.
Only for an account that has a usable password: otherwise reset would skip the ID check of activation.
Graduated students, inactive accounts and Django-admin accounts (is_staff / is_superuser) get no codes.

What a visitor can learn: nothing about whether a 学号 exists, whether the ID digits matched, whether the
account is active or which phone is on record. `phone_code_request` answers every request that passes the
per-address limit the same way (the view shows one page), leaves a PhoneCode row for every one of them (with
user=None when nothing matched, so the address limit counts it), hashes a code in every case, and the view
pads its answer to ACCOUNT_CODE_MIN_RESPONSE_SECONDS so the SMS gateway's delay does not tell either. The per-number
limits and a gateway failure are therefore silent: the answer is the same, the failure is logged and audited.
`phone_code_use` gives one message for an unknown 学号, no code, a wrong, expired, replaced, used or dead code.

Codes: 6 digits from `secrets`; only an HMAC (keyed by SECRET_KEY, bound to the user and the purpose) is stored;
live ACCOUNT_CODE_TTL_MINUTES; ACCOUNT_CODE_MAX_ATTEMPTS wrong tries kill a code; a new code for the same user
and purpose replaces the live one. The phone number is never shown, not even masked.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from portal.audit import audit_log
from portal.channels.sms import SmsError, send_template
from portal.login_limits import address_allow_listed
from portal.models import PhoneCode, Staff, Student, User
from portal.services import DomainError
from portal.validators import normalise_id_card, normalise_phone

logger = logging.getLogger(__name__)

Purpose = PhoneCode.Purpose
CODE_DIGITS = 6
SMS_TEMPLATE = "verification_code"
_HASH_SALT = "portal.activation.phone-code"
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Compared against when there is nothing to compare with, so a miss costs what a hit costs.
_DUMMY_TAIL = "\x00" * 6
_DUMMY_HASH = "0" * 64


class CodeRequestThrottled(DomainError):
    """Too many code requests from this address: the same answer whatever the details typed."""


class CodeRefused(DomainError):
    """The code cannot be used: one message for every reason (unknown 学号, wrong, expired, dead, used)."""


class PasswordRefused(DomainError):
    """The code is right but the new password fails the validators; the code is not used up."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class CodeRequest:
    """What happened to a request. Only for the audit trail and tests: the view shows the same page for all."""

    outcome: str  # "sent", "no_match", "number_limit", "send_failed"
    code_row: PhoneCode


# --- Input ------------------------------------------------------------------------------------------------


def normalise_input(value: str) -> str:
    """Full-width digits and letters (２０２４, Ｘ) to ASCII, surrounding and inner spaces removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


def code_refused_message() -> str:
    return _(
        "This code is wrong, has expired, was replaced by a newer one or was tried too many times. "
        "Check the SMS, or request a new code."
    )


def address_limited_message() -> str:
    return _("Too many code requests from your network. Try again in an hour, or ask your counsellor for help.")


# --- Codes -------------------------------------------------------------------------------------------------


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(purpose: str, user_id: int | None, code: str) -> str:
    """An HMAC of the code bound to the user and the purpose: a code for one account or purpose fits no other."""
    return salted_hmac(_HASH_SALT, f"{purpose}:{user_id or 0}:{code}", algorithm="sha256").hexdigest()


def _valid_address(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _address_limited(address: str | None, now) -> bool:
    if address is None:
        return False
    limit = (
        settings.ACCOUNT_CODES_PER_ALLOWLISTED_ADDRESS_HOUR
        if address_allow_listed(address)
        else settings.ACCOUNT_CODES_PER_ADDRESS_HOUR
    )
    recent = PhoneCode.objects.filter(address=address, created_at__gt=now - timedelta(hours=1)).count()
    return recent >= limit


def _number_limited(phone: str, now) -> bool:
    """Codes actually sent to this number (failed sends and non-matches do not count) over three windows."""
    sent = PhoneCode.objects.filter(phone=phone).exclude(code_hash="")
    if sent.filter(created_at__gt=now - timedelta(seconds=settings.ACCOUNT_CODE_NUMBER_INTERVAL_SECONDS)).exists():
        return True
    if sent.filter(created_at__gt=now - timedelta(hours=1)).count() >= settings.ACCOUNT_CODES_PER_NUMBER_HOUR:
        return True
    return sent.filter(created_at__gt=now - timedelta(days=1)).count() >= settings.ACCOUNT_CODES_PER_NUMBER_DAY


def _mobile(phone: str) -> str:
    phone = normalise_phone(phone or "")
    return phone if _MOBILE_RE.match(phone) else ""


# --- Who may get a code ------------------------------------------------------------------------------------


def _id_tail_matches(student: Student | None, id_tail: str) -> bool:
    """Constant-time comparison of the last 6 characters of the ID-card number (X in either case)."""
    expected = normalise_id_card(student.id_card_number or "")[-6:] if student is not None else ""
    given = normalise_input(id_tail).upper()
    if len(expected) != CODE_DIGITS:
        constant_time_compare(_DUMMY_TAIL, given)
        return False
    return constant_time_compare(expected, given)


def _student_may_use(student: Student | None) -> bool:
    return student is not None and student.status != Student.Status.GRADUATED


def _account_may_use(user: User) -> bool:
    return user.is_active and not user.is_staff and not user.is_superuser


def _locked_user(login: str) -> User | None:
    """The account of a 学号, a 工号 or a user name (in that order), its row locked; None for no account."""
    user_id = (
        Student.objects.filter(student_no=login).values_list("user_id", flat=True).first()
        or Staff.objects.filter(employee_no=login).values_list("user_id", flat=True).first()
        or User.objects.filter(username=login).values_list("pk", flat=True).first()
    )
    return User.objects.select_for_update().filter(pk=user_id).first() if user_id else None


def _activation_match(login: str, id_tail: str) -> tuple[User | None, str]:
    """The locked user and the roster mobile, or (None, "") for anything that must not get an activation code."""
    student = Student.objects.filter(student_no=login).select_related("user").first()
    if not _id_tail_matches(student, id_tail) or not _student_may_use(student):
        return None, ""
    user = User.objects.select_for_update().get(pk=student.user_id)
    phone = _mobile(student.phone)
    if not phone or not _account_may_use(user) or user.has_usable_password():
        return None, ""
    return user, phone


def _reset_phone(user: User) -> str:
    student = Student.objects.filter(user=user).first()
    if student is not None:
        return _mobile(student.phone) if _student_may_use(student) else ""
    if settings.ACCOUNT_RESET_FOR_STAFF:
        staff = Staff.objects.filter(user=user).first()
        if staff is not None:
            return _mobile(staff.phone)
    return ""


def _reset_match(login: str) -> tuple[User | None, str]:
    """The locked user and the mobile on record, or (None, "") for anything that must not get a reset code."""
    user = _locked_user(login)
    if user is None or not _account_may_use(user) or not user.has_usable_password():
        return None, ""
    phone = _reset_phone(user)
    return (user, phone) if phone else (None, "")


def _eligible(user: User, purpose: str) -> bool:
    """Re-checked on the locked user when a code is used: the account may have changed since it was sent."""
    if not _account_may_use(user):
        return False
    if purpose == Purpose.ACTIVATE:
        return not user.has_usable_password() and _student_may_use(Student.objects.filter(user=user).first())
    return user.has_usable_password() and bool(_reset_phone(user))


# --- Services ----------------------------------------------------------------------------------------------


@transaction.atomic
def phone_code_request(*, purpose: str, login: str, id_tail: str = "", address: str | None) -> CodeRequest:
    """Send a code for `purpose` when the details match an account that may use it; the same result otherwise.

    The caller (a public view) checked nothing but the form's format. Raises CodeRequestThrottled when the
    address made too many requests in the last hour (counted before matching, so it says nothing about the
    details). Locks the matched user's row (serialises requests for one account: one live code per user and
    purpose). The SMS goes out inside the transaction; a gateway failure is logged and audited, never shown.
    """
    now = timezone.now()
    address = _valid_address(address)
    if _address_limited(address, now):
        logger.warning("account codes: address limit reached")
        raise CodeRequestThrottled(address_limited_message())
    login = normalise_input(login)
    if purpose == Purpose.ACTIVATE:
        user, phone = _activation_match(login, id_tail)
    elif purpose == Purpose.RESET:
        user, phone = _reset_match(login)
    else:
        raise ValueError(f"unknown purpose {purpose!r}")
    code = new_code()
    hashed = code_hash(purpose, user.pk if user else None, code)  # hashed in every case: the same work
    row = PhoneCode(purpose=purpose, address=address, created_at=now, expires_at=now)
    if user is None:
        outcome = "no_match"
    elif _number_limited(phone, now):
        outcome = "number_limit"
        row.user = user
    else:
        row.user, row.phone = user, phone
        try:
            send_template(phone, SMS_TEMPLATE, {"code": code})
        except SmsError as exc:
            outcome = "send_failed"
            logger.warning("account codes: SMS to …%s not sent (%s)", phone[-4:], type(exc).__name__)
        else:
            outcome = "sent"
            PhoneCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
                expires_at=now
            )
            row.code_hash = hashed
            row.expires_at = now + timedelta(minutes=settings.ACCOUNT_CODE_TTL_MINUTES)
    row.save()
    audit_log(
        actor=None,
        action="account.code_requested",
        obj=row,
        changes={"purpose": purpose, "user": user.pk if user else None, "outcome": outcome},
    )
    return CodeRequest(outcome, row)


def phone_code_use(*, purpose: str, login: str, code: str, password: str) -> User:
    """Check the code for `login` and `purpose` and set the new password: activation or reset.

    The caller (a public view) checked the form's format and the password against the validators without the
    account. Raises CodeRefused (one message for every reason) or PasswordRefused (the code was right; it is not
    used up). A wrong try is counted and committed even though the call fails. Locks the user, then the code.
    Setting the password ends the user's other sessions (Django checks the session's password hash).
    """
    login, code = normalise_input(login), normalise_input(code)
    result = _phone_code_use(purpose=purpose, login=login, code=code, password=password)
    if isinstance(result, DomainError):
        raise result
    return result


@transaction.atomic
def _phone_code_use(*, purpose: str, login: str, code: str, password: str) -> User | DomainError:
    now = timezone.now()
    user = _locked_user(login)
    hashed = code_hash(purpose, user.pk if user else None, code)
    row = None
    if user is not None:
        row = (
            PhoneCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .exclude(code_hash="")
            .order_by("-created_at")
            .first()
        )
    if row is None or row.attempts >= settings.ACCOUNT_CODE_MAX_ATTEMPTS:
        constant_time_compare(hashed, _DUMMY_HASH)
        if row is not None:
            audit_log(actor=None, action="account.code_failed", obj=row, changes={"purpose": purpose, "dead": True})
        return CodeRefused(code_refused_message())
    if not constant_time_compare(hashed, row.code_hash) or not _eligible(user, purpose):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        dead = row.attempts >= settings.ACCOUNT_CODE_MAX_ATTEMPTS
        audit_log(
            actor=None,
            action="account.code_failed",
            obj=row,
            changes={"purpose": purpose, "attempts": row.attempts, "dead": dead},
        )
        return CodeRefused(code_refused_message())
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return PasswordRefused([str(m) for m in exc.messages])
    row.used_at = now
    row.save(update_fields=["used_at"])
    audit_log(actor=user, action="account.code_verified", obj=row, changes={"purpose": purpose})
    user.set_password(password)
    user.save(update_fields=["password"])
    action = "account.activated" if purpose == Purpose.ACTIVATE else "account.password_reset"
    audit_log(actor=user, action=action, obj=user, changes={"fields": ["password"]})
    return user
