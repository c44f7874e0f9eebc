"""Financial aid's sections of a student's data copy (portal.personal_data).

What the student sees in the portal: their identifications (what they declared, family members, the
documents' names, objections they lodged; the tier once decided), applications, payments, the bank account
(masked), work-study placements and timesheets, hidden-aid subsidies once approved (a candidate under review
is never shown: the student is not told before the decision), and their support plan. Never the class
evaluation group's suggestions, reviewers' notes or anything about another student.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from aid.models import (
    Aid,
    Application,
    BankAccount,
    FiveAidCase,
    HiddenAidBatch,
    HiddenAidCandidate,
    Identification,
    Objection,
    Payment,
    SpecialStatus,
    Timesheet,
    WorkStudyPlacement,
)
from portal.models import Student
from portal.personal_data import Row, register_section

# The tier is the student's to know once the school has decided (as on their identification page).
TIER_SHOWN = (Identification.Status.APPROVED, Identification.Status.ADJUSTED)


def _identifications(student: Student) -> list[Row]:
    rows = (
        Identification.objects.filter(student=student)
        .select_related("year")
        .prefetch_related(
            "family_members",
            "documents",
            Prefetch("objections", queryset=Objection.objects.filter(lodged_by_id=student.user_id)),
        )
        .order_by("-year__starts_on")
    )
    statuses = dict(SpecialStatus.choices)
    return [
        {
            _("year"): i.year.name,
            _("status"): i.get_status_display(),
            _("tier"): i.get_tier_display() if i.status in TIER_SHOWN else "",
            _("mid-year application after a sudden change"): i.mid_year,
            _("household size"): i.household_size,
            _("household income per year (yuan)"): i.household_income,
            _("household debt (yuan)"): i.household_debt,
            _("special statuses"): [str(statuses.get(s, s)) for s in i.special_statuses],
            _("family situation in your own words"): i.statement,
            _("pledge signed"): i.pledge_signed_at,
            _("submitted"): i.submitted_at,
            _("family members"): [
                {
                    _("relation"): m.relation,
                    _("age"): m.age,
                    _("occupation"): m.occupation,
                    _("income per year (yuan)"): m.annual_income,
                }
                for m in i.family_members.all()
            ],
            _("documents"): [d.original_name for d in i.documents.all()],
            _("objections"): [
                {_("reason"): o.reason, _("status"): o.get_status_display(), _("answer"): o.answer}
                for o in i.objections.all()
            ],
        }
        for i in rows
    ]


def _applications(student: Student) -> list[Row]:
    rows = Application.objects.filter(student=student).select_related("programme", "year").order_by("-created_at")
    return [
        {
            _("programme"): a.programme.name,
            _("year"): a.year.name,
            _("status"): a.get_status_display(),
            _("amount (yuan)"): a.amount,
            _("why you are applying"): a.statement,
            _("submitted"): a.submitted_at,
            _("decided"): a.decided_at,
        }
        for a in rows
    ]


def _payments(student: Student) -> list[Row]:
    rows = Payment.objects.filter(student=student).select_related("application__programme").order_by("due_on", "id")
    return [
        {
            _("programme"): p.application.programme.name if p.application else "",
            _("amount (yuan)"): p.amount,
            _("due"): p.due_on,
            _("status"): p.get_status_display(),
            _("paid"): p.paid_at,
        }
        for p in rows
    ]


def _bank_account(student: Student) -> list[Row]:
    return [{_("bank"): b.bank, _("card number"): b.card_masked} for b in BankAccount.objects.filter(student=student)]


def _work_study(student: Student) -> list[Row]:
    rows = (
        WorkStudyPlacement.objects.filter(student=student)
        .select_related("post")
        .prefetch_related(Prefetch("timesheets", queryset=Timesheet.objects.order_by("month")))
        .order_by("-applied_at")
    )
    return [
        {
            _("post"): p.post.title,
            _("unit"): p.post.unit,
            _("status"): p.get_status_display(),
            _("applied"): p.applied_at,
            _("decided"): p.decided_at,
            _("timesheets"): [
                {
                    _("month"): t.month.strftime("%Y-%m"),
                    _("hours"): t.total_hours,
                    _("pay (yuan)"): t.pay,
                    _("status"): t.get_status_display(),
                }
                for t in p.timesheets.all()
            ],
        }
        for p in rows
    ]


def _meal_subsidies(student: Student) -> list[Row]:
    rows = HiddenAidCandidate.objects.filter(
        student=student,
        included=True,
        batch__status__in=[HiddenAidBatch.Status.APPROVED, HiddenAidBatch.Status.PAID],
    ).select_related("batch")
    return [
        {
            _("month"): c.batch.month.strftime("%Y-%m"),
            _("amount (yuan)"): c.amount,
            _("status"): c.get_status_display(),
        }
        for c in rows.order_by("-batch__month")
    ]


def _support_plan(student: Student) -> list[Row]:
    cases = FiveAidCase.objects.filter(student=student).select_related("identification__year")
    labels = dict(Aid.choices)
    return [
        {
            _("year"): c.identification.year.name,
            _("opened"): c.opened_at,
            _("plan per aid"): {str(labels.get(aid, aid)): text for aid, text in (c.plan or {}).items() if text},
        }
        for c in cases.order_by("-opened_at")
    ]


register_section("aid_identifications", _("Hardship identifications"), _identifications, order=30)
register_section("aid_applications", _("Aid applications"), _applications, order=31)
register_section("aid_payments", _("Payments"), _payments, order=32)
register_section("aid_bank_account", _("Bank account"), _bank_account, order=33)
register_section("aid_work_study", _("Work-study"), _work_study, order=34)
register_section("aid_meal_subsidies", _("Meal subsidies"), _meal_subsidies, order=35)
register_section("aid_support_plan", _("Support plan"), _support_plan, order=36)
