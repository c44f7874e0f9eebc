"""Which channels carry a message to a person: one Reminder row per channel (portal.services.notify).

The rules, in order:

1. The in-app inbox, always.
2. A crisis alert to a member of staff goes to every channel the person can be reached on, whatever their
   preferences: e-mail if they have an address, SMS if they have a phone (and SMS is on), WeCom if WeCom is on
   and they have a WeCom id. Nobody can switch it off.
3. Any other message follows the person's MessagePreference row for its kind; without a row, the defaults:
   - e-mail: what the sender asked for (`notify(email=True)`), as before there were preferences;
   - SMS: on for a student's appointment reminders, off for everything else (an SMS costs money and is
     limited per phone per day);
   - WeCom: on whenever WeCom is configured and the person has a WeCom id (it is free and it is where staff
     read their work messages).
   A channel the person cannot be reached on (no address, no phone, no WeCom id, the channel off for the
   school) is never chosen, so the outbox does not fill with rows that can only fail.

SMS is "on" when a real gateway is configured (settings.SMS_GATEWAY other than "log", or a legacy
SMS_BACKEND callable); WeCom when WECOM_CORP_ID, WECOM_AGENT_ID and WECOM_SECRET are set.
A person's WeCom userid is their 学号 (Student.student_no) or 工号 (Staff.employee_no): the school's WeCom
directory must use the same ids (docs/messaging.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from portal.models import MessageKind, MessagePreference, Reminder, User

IN_APP, EMAIL, SMS, WECOM = (
    Reminder.Channel.IN_APP,
    Reminder.Channel.EMAIL,
    Reminder.Channel.SMS,
    Reminder.Channel.WECOM,
)
LEGACY_SMS_BACKEND = "portal.sms.log_only"

# The kinds each group may choose channels for on the preferences page (crisis alerts are fixed for staff).
STUDENT_KINDS = (MessageKind.APPOINTMENT, MessageKind.NOTICE)
STAFF_KINDS = (MessageKind.TASK, MessageKind.NOTICE)


def wecom_enabled() -> bool:
    return bool(
        getattr(settings, "WECOM_CORP_ID", "")
        and getattr(settings, "WECOM_AGENT_ID", "")
        and getattr(settings, "WECOM_SECRET", "")
    )


def sms_enabled() -> bool:
    """A gateway that actually sends (the "log" gateway only writes a line to the log)."""
    gateway = getattr(settings, "SMS_GATEWAY", "log")
    legacy = getattr(settings, "SMS_BACKEND", LEGACY_SMS_BACKEND) or LEGACY_SMS_BACKEND
    return gateway != "log" or legacy != LEGACY_SMS_BACKEND


def _profile(user: User, name: str):
    return getattr(user, name, None)  # a missing reverse one-to-one is an AttributeError: None


def is_staff_member(user: User) -> bool:
    return _profile(user, "staff") is not None


def phone_of(user: User | None) -> str:
    if user is None:
        return ""
    for name in ("student", "staff"):
        profile = _profile(user, name)
        if profile is not None and profile.phone:
            return profile.phone
    return ""


def wecom_userid(user: User | None) -> str:
    """The person's WeCom userid: their 学号, else their 工号; "" for a user with neither (no WeCom)."""
    if user is None:
        return ""
    student = _profile(user, "student")
    if student is not None and student.student_no:
        return student.student_no
    staff = _profile(user, "staff")
    if staff is not None and staff.employee_no:
        return staff.employee_no
    return ""


def reachable(user: User) -> set[str]:
    """The channels this person can be reached on at all."""
    channels = {IN_APP}
    if user.email:
        channels.add(EMAIL)
    if sms_enabled() and phone_of(user):
        channels.add(SMS)
    if wecom_enabled() and wecom_userid(user):
        channels.add(WECOM)
    return channels


@dataclass(frozen=True)
class Choice:
    """The channels besides the inbox chosen for one kind of message."""

    by_email: bool
    by_sms: bool
    by_wecom: bool


def defaults(user: User, kind: str, *, email: bool) -> Choice:
    """The choice when the person has no MessagePreference row for `kind` (see the module docstring)."""
    is_student = _profile(user, "student") is not None
    return Choice(
        by_email=email,
        by_sms=is_student and kind == MessageKind.APPOINTMENT,
        by_wecom=True,
    )


def is_fixed(user: User, kind: str) -> bool:
    """True when the person's preferences do not apply: crisis alerts to staff go everywhere."""
    return kind == MessageKind.CRISIS_ALERT and is_staff_member(user)


def choice_for(user: User, kind: str, *, email: bool, rows: dict[str, MessagePreference] | None = None) -> Choice:
    if is_fixed(user, kind):
        return Choice(True, True, True)
    row = MessagePreference.objects.filter(user=user, kind=kind).first() if rows is None else rows.get(kind)
    if row is None:
        return defaults(user, kind, email=email)
    return Choice(row.by_email, row.by_sms, row.by_wecom)


def channels_for(
    user: User, kind: str, *, email: bool = False, rows: dict[str, MessagePreference] | None = None
) -> list[str]:
    """The channels a message of `kind` goes to, in-app first. `email` is the sender's wish (the default when
    the person has no preference row). `rows`: the person's preference rows by kind, when the caller loaded
    them (portal.services.notify_each); otherwise they are read here."""
    choice = choice_for(user, kind, email=email, rows=rows)
    wanted = [IN_APP]
    if choice.by_email:
        wanted.append(EMAIL)
    if choice.by_sms:
        wanted.append(SMS)
    if choice.by_wecom:
        wanted.append(WECOM)
    can = reachable(user)
    return [channel for channel in wanted if channel in can]


def kinds_for(user: User) -> tuple[str, ...]:
    """The kinds this person may choose channels for on the preferences page."""
    return STAFF_KINDS if is_staff_member(user) else STUDENT_KINDS
