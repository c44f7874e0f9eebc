"""Access rules of funds, programmes, applications and payments, registered with portal.access.

- Applications (and their timeline and payments): the student (own), the aid reviewer of the student's
  college, aid officers and admins. Never counselling staff; student roles (dorm liaisons, class committee
  members) only their own, as students. Opening one is audited (mark_sensitive).
- Bank accounts: the student (own) and aid officers, who pay; every read through `get_for_user` is audited.
- Funds, the ledger and payment batches: aid officers and admins only.
- Programmes: aid staff see all; every other signed-in user sees the active ones (the pre-check page).
- Actions on an application: "withdraw", "appeal", "resubmit" by its student; "review" (return, college
  approval, rejection before the notice, the college notice) by the reviewer of its college and officers;
  "decide" (school approval, rejection, commit, schedule, clawback, close) by officers.
"""

from __future__ import annotations

from django.db.models import Q

from aid.access.core import aid_colleges, is_aid_officer
from aid.models import Application, BankAccount, Fund, LedgerEntry, Payment, PaymentBatch, Programme, Quota
from portal.access import EVERYTHING, has_role, mark_sensitive, permission_rule, visibility_rule
from portal.models import Role, Student, User

__all__ = [
    "may_manage_funds",
    "may_review_applications",
    "own_student",
]

mark_sensitive(Application)
mark_sensitive(BankAccount)


def own_student(user: User) -> Student | None:
    """The user's student record (a student, dorm liaison or committee member), cached per request."""
    if not user.is_authenticated:
        return None
    if "_aid_funds_student" not in user.__dict__:
        user.__dict__["_aid_funds_student"] = (
            Student.objects.filter(user_id=user.pk).select_related("college", "class_group").first()
        )
    return user.__dict__["_aid_funds_student"]


def may_manage_funds(user: User) -> bool:
    """Funds, programmes, quotas, school approval, commitments and payments: aid officers and admins."""
    return is_aid_officer(user)


def may_review_applications(user: User) -> bool:
    colleges = aid_colleges(user)
    return colleges is None or bool(colleges)


def _reviews_college(user: User, college_id: int) -> bool:
    colleges = aid_colleges(user)
    return colleges is None or college_id in colleges


# --- Applications --------------------------------------------------------------------------------------------


@visibility_rule(Application)
def _applications_visible(user: User, action: str) -> Q | None:
    colleges = aid_colleges(user)
    if colleges is None:
        return EVERYTHING
    q = Q(student__user_id=user.pk)
    if colleges:
        q |= Q(student__college_id__in=colleges)
    return q


@permission_rule(Application, "withdraw", "appeal", "resubmit")
def _application_student(user: User, application: Application) -> bool:
    return application.student.user_id == user.pk and has_role(user, Role.STUDENT)


@permission_rule(Application, "review")
def _application_reviewers(user: User, application: Application) -> bool:
    return _reviews_college(user, application.student.college_id)


@permission_rule(Application, "decide")
def _application_deciders(user: User, application: Application) -> bool:
    return is_aid_officer(user)


# --- Payments and bank accounts ---------------------------------------------------------------------------------


@visibility_rule(Payment)
def _payments_visible(user: User, action: str) -> Q | None:
    if is_aid_officer(user):
        return EVERYTHING
    # Students see the payments of their own awards (hidden-aid top-ups have their own private page).
    return Q(student__user_id=user.pk, application__isnull=False)


@permission_rule(Payment, "return")
def _payment_returners(user: User, payment: Payment) -> bool:
    return is_aid_officer(user)


@visibility_rule(BankAccount)
def _bank_accounts_visible(user: User, action: str) -> Q | None:
    if is_aid_officer(user):
        return EVERYTHING
    return Q(student__user_id=user.pk)


@permission_rule(BankAccount, "change")
def _bank_account_owner(user: User, account: BankAccount) -> bool:
    return account.student.user_id == user.pk


# --- Funds, programmes, batches ----------------------------------------------------------------------------------


def _officers_only(user: User, action: str) -> Q | None:
    return EVERYTHING if is_aid_officer(user) else None


for _model in (Fund, LedgerEntry, PaymentBatch, Quota):
    visibility_rule(_model)(_officers_only)
    permission_rule(_model, "change")(lambda user, obj: is_aid_officer(user))


@visibility_rule(Programme)
def _programmes_visible(user: User, action: str) -> Q | None:
    if may_review_applications(user):
        return EVERYTHING
    return Q(active=True)


@permission_rule(Programme, "change")
def _programme_editors(user: User, programme: Programme) -> bool:
    return is_aid_officer(user)
