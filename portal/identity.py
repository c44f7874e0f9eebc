"""Who a campus identity is in the portal: one function for every single sign-on protocol.

The campus identity provider (CAS today, OIDC if a college ever runs one) vouches for a campus id, the 学号 of a
student or the 工号 of a staff member. The portal never creates an account from it: the roster import and the
admin create people, and a campus id only ever signs in as the User of an existing Student (`student_no`) or
Staff (`employee_no`) record.

Refused, with a reason the sign-in page explains and the audit trail records:
- "unknown": no student or staff record has that number (or the provider sent no number at all);
- "ambiguous": a student and a staff record with that number belong to different users (a data error);
- "inactive": the user's account is switched off (User.is_active), as for a password sign-in;
- "graduated": the student has graduated. The portal's services are for current students; a graduate's records
  stay with the college, and a copy of them is asked for at the student affairs office.
Students on leave sign in as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Staff, Student, User

UNKNOWN = "unknown"
AMBIGUOUS = "ambiguous"
INACTIVE = "inactive"
GRADUATED = "graduated"


@dataclass(frozen=True)
class CampusMatch:
    """The outcome of matching a campus id: the user to sign in, or why nobody is signed in."""

    campus_id: str
    user: User | None
    refusal: str = ""


def normalise_campus_id(value: object) -> str:
    """The id as the roster writes it: a string without surrounding blanks (a provider may send a list of one)."""
    if isinstance(value, list | tuple):
        value = value[0] if len(value) == 1 else ""
    return str(value or "").strip()[:150]


def match_campus_id(campus_id: str) -> CampusMatch:
    """Find the portal user of a campus id (学号 or 工号), or the reason there is none (see the module docstring)."""
    campus_id = normalise_campus_id(campus_id)
    if not campus_id:
        return CampusMatch(campus_id, None, UNKNOWN)
    # Case-insensitively: some providers lower-case account names; a number that matches two rows is ambiguous.
    students = list(Student.objects.select_related("user").filter(student_no__iexact=campus_id)[:2])
    staff = list(Staff.objects.select_related("user").filter(employee_no__iexact=campus_id)[:2])
    users = {row.user_id: row.user for row in [*students, *staff]}
    if not users:
        return CampusMatch(campus_id, None, UNKNOWN)
    if len(users) > 1:
        return CampusMatch(campus_id, None, AMBIGUOUS)
    user = next(iter(users.values()))
    if not user.is_active:
        return CampusMatch(campus_id, None, INACTIVE)
    if students and not staff and students[0].status == Student.Status.GRADUATED:
        return CampusMatch(campus_id, None, GRADUATED)
    return CampusMatch(campus_id, user)


def user_for_campus_id(campus_id: str) -> User | None:
    """The portal user a campus id signs in as, or None (unknown, ambiguous, inactive or graduated)."""
    return match_campus_id(campus_id).user


def is_student(user: User) -> bool:
    """Does this login belong to a student record (whatever other roles it has)?"""
    return Student.objects.filter(user=user).exists()
