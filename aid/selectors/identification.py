"""Reads of the identification area, scoped through portal.access.

`current_tier(student)` is the approved or adjusted tier of the current academic year, or None (the rule is
aid.eligibility.identified_tier). Other apps learn about identifications through aid.services.students.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aid import eligibility
from aid.access.identification import student_of
from aid.models import (
    HARDSHIP_TIERS,
    AcademicYear,
    ClassEvaluation,
    EvaluationGroup,
    Identification,
    IdentificationEvent,
    Notice,
    Objection,
    SpecialStatus,
    Tier,
)
from portal import access
from portal.models import ClassGroup, Student, User

__all__ = [
    "EvaluationRow",
    "NoticeRow",
    "current_tier",
    "current_year",
    "effective_members",
    "evaluation_classes",
    "evaluation_rows_for_member",
    "identification_for_student",
    "identification_timeline",
    "identifications_for_review",
    "is_evaluation_member",
    "notice_is_running",
    "notice_rows",
    "notices_for",
    "open_objections",
]


def current_year() -> AcademicYear | None:
    return AcademicYear.objects.filter(is_current=True).first()


def current_tier(student: Student) -> str | None:
    """The approved (or adjusted mid-year) tier of the current academic year; None when not identified."""
    return eligibility.identified_tier(student)


def identification_for_student(student: Student, year: AcademicYear) -> Identification | None:
    return (
        Identification.objects.filter(student=student, year=year)
        .prefetch_related("family_members", "documents")
        .first()
    )


def identification_timeline(identification: Identification) -> QuerySet[IdentificationEvent]:
    return identification.events.select_related("actor").order_by("at", "id")


def identifications_for_review(
    user: User, *, year: AcademicYear, status: str = "", class_group_id: int | None = None, query: str = ""
) -> QuerySet[Identification]:
    """The staff list: identifications of the year in the user's colleges (all of them for officers)."""
    qs = access.visible(user, Identification).filter(year=year).exclude(status=Identification.Status.DRAFT)
    if status:
        qs = qs.filter(status=status)
    if class_group_id:
        qs = qs.filter(student__class_group_id=class_group_id)
    if query:
        qs = qs.filter(Q(student__name__icontains=query) | Q(student__student_no=query))
    return qs.select_related("student", "student__class_group", "student__college").order_by(
        "student__college__code", "student__class_group__name", "student__student_no"
    )


def open_objections(identification: Identification) -> QuerySet[Objection]:
    return identification.objections.select_related("lodged_by", "notice").order_by("created_at")


# --- Class evaluation (评议小组) ----------------------------------------------------------------------


def effective_members(group: EvaluationGroup) -> QuerySet[User]:
    """Members who may evaluate: a member who has applied this year (a student who applied after the
    group was set) is left out until the college replaces them."""
    applicants = Identification.objects.filter(year_id=group.year_id).values("student__user_id")
    return group.members.exclude(pk__in=applicants)


def is_evaluation_member(user: User, year: AcademicYear) -> bool:
    if not user.is_authenticated:
        return False
    groups = EvaluationGroup.objects.filter(year=year, members=user)
    return groups.exists() and not Identification.objects.filter(year=year, student__user_id=user.pk).exists()


def _income_band(income: Decimal | None, size: int | None) -> Promise:
    if income is None or not size:
        return _("not given")
    per_person = income / size
    if per_person < 3000:
        return _("below 3,000 yuan a person a year")
    if per_person < 6000:
        return _("3,000–6,000 yuan a person a year")
    if per_person < 12000:
        return _("6,000–12,000 yuan a person a year")
    return _("12,000 yuan or more a person a year")


@dataclass
class EvaluationRow:
    """What a class evaluation member sees of an application: enough to suggest a tier, nothing more."""

    identification_id: int
    class_name: str
    name: str
    household_size: int | None
    special_statuses: list[Promise]
    income_band: Promise
    debt_exceeds_income: bool
    mid_year: bool
    my_tier: str = ""
    my_reason: str = ""


def evaluation_rows_for_member(user: User, year: AcademicYear) -> list[EvaluationRow]:
    """Applications under class evaluation in the classes where `user` is an (effective) member.

    Never documents, ID numbers, the statement, family members or exact incomes: values() reads only
    the columns below, so nothing else is loaded or decrypted.
    """
    if not is_evaluation_member(user, year):
        return []
    class_ids = EvaluationGroup.objects.filter(year=year, members=user).values("class_group_id")
    rows = (
        Identification.objects.filter(
            year=year, student__class_group_id__in=class_ids, status=Identification.Status.SUBMITTED
        )
        .exclude(student__user_id=user.pk)
        .order_by("student__class_group__name", "student__student_no")
        .values(
            "pk",
            "student__name",
            "student__class_group__name",
            "household_size",
            "household_income",
            "household_debt",
            "special_statuses",
            "mid_year",
        )
    )
    mine = {
        e.identification_id: e
        for e in ClassEvaluation.objects.filter(member=user, identification__year=year).only(
            "identification_id", "suggested_tier", "reason"
        )
    }
    labels = dict(SpecialStatus.choices)
    result = []
    for row in rows:
        income, debt = row["household_income"], row["household_debt"]
        evaluation = mine.get(row["pk"])
        result.append(
            EvaluationRow(
                identification_id=row["pk"],
                class_name=row["student__class_group__name"],
                name=row["student__name"],
                household_size=row["household_size"],
                special_statuses=[labels[s] for s in row["special_statuses"] if s in labels],
                income_band=_income_band(income, row["household_size"]),
                debt_exceeds_income=bool(debt and (income is None or debt > income)),
                mid_year=row["mid_year"],
                my_tier=evaluation.suggested_tier if evaluation else "",
                my_reason=evaluation.reason if evaluation else "",
            )
        )
    return result


def evaluation_classes(user: User, year: AcademicYear) -> list[tuple[ClassGroup, EvaluationGroup | None]]:
    """Classes whose evaluation group this reviewer manages (enrolled count annotated), with the group."""
    from aid.access.core import aid_colleges

    colleges = aid_colleges(user)
    qs = ClassGroup.objects.select_related("college").annotate(
        enrolled=Count("students", filter=Q(students__status=Student.Status.ENROLLED), distinct=True)
    )
    if colleges is not None:
        qs = qs.filter(college_id__in=colleges)
    groups = {
        g.class_group_id: g
        for g in EvaluationGroup.objects.filter(year=year, class_group__in=qs).annotate(size=Count("members"))
    }
    return [(class_group, groups.get(class_group.pk)) for class_group in qs.order_by("college__code", "name")]


# --- Notices ------------------------------------------------------------------------------------------


def notices_for(user: User) -> QuerySet[Notice]:
    """Notices the user may open now: the running ones of their audience; aid staff also their colleges'."""
    return access.visible(user, Notice).select_related("college", "year").order_by("-starts_on", "-pk")


def notice_is_running(notice: Notice) -> bool:
    return notice.starts_on <= timezone.localdate() <= notice.ends_on


@dataclass(frozen=True)
class NoticeRow:
    identification_id: int
    name: str
    class_name: str
    tier_label: str


def notice_rows(notice: Notice, viewer: User) -> list[NoticeRow]:
    """Name, class and tier: the only three things a notice ever shows.

    A school notice shows a student viewer only the rows of their own class; a college notice the whole
    college. Rows with no hardship tier are never listed (nobody learns who applied and was refused).
    """
    if notice.kind == Notice.Kind.COLLEGE:
        qs = Identification.objects.filter(college_notice=notice)
        tier_field = "college_tier"
        states = (Identification.Status.COLLEGE_NOTICE, Identification.Status.OBJECTION)
    else:
        qs = Identification.objects.filter(school_notice=notice)
        tier_field = "tier"
        states = (Identification.Status.SCHOOL_NOTICE, Identification.Status.OBJECTION)
    qs = qs.filter(status__in=states, **{f"{tier_field}__in": HARDSHIP_TIERS})
    from aid.access.identification import is_identification_reviewer

    if notice.kind == Notice.Kind.SCHOOL and not is_identification_reviewer(viewer, notice.college_id):
        student = student_of(viewer)
        qs = qs.filter(student__class_group_id=student.class_group_id) if student else qs.none()
    labels = dict(Tier.choices)
    rows = qs.order_by("student__class_group__name", "student__student_no").values_list(
        "pk", "student__name", "student__class_group__name", tier_field
    )
    return [NoticeRow(pk, name, class_name, str(labels[tier])) for pk, name, class_name, tier in rows]
