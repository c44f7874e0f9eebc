"""Writes of the identification of financially difficult students (家庭经济困难认定).

The state machine is `Identification.flow` (portal.kernel.workflow); there is one service per transition.
Each locks the row (`locked`), checks the current status, changes it with `move` (saved with update_fields,
an IdentificationEvent appended, an audit event written with field names only, never values) and tells the
student the outcome through the outbox. Access is checked by the caller through portal.access; the state and domain
rules are checked here and raise DomainError.

Decisions (see also the views and the access module):
- Class evaluation concludes when every effective member has recorded a suggestion, or when the college
  closes it early (at least one suggestion is needed). The class suggestion is the most frequent tier;
  a tie goes to the higher need (the college decides anyway).
- A member who applies after the group was set is not refused the application (nobody may be kept from
  applying); they stop counting as a member for the year and the college is told to replace them.
- Notices list only rows with a hardship tier. Rows with "not identified" still move through the notice
  state silently and are then rejected by the school.
- One appeal per identification; its answer is due N working days after it is lodged.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from aid.models import (
    HARDSHIP_TIERS,
    TIER_RANK,
    AcademicYear,
    Appeal,
    ClassEvaluation,
    EvaluationGroup,
    FamilyMember,
    Identification,
    IdentificationDocument,
    IdentificationEvent,
    Notice,
    Objection,
    SpecialStatus,
    Tier,
)
from aid.selectors.identification import current_year, effective_members
from portal import config
from portal.audit import audit_log
from portal.kernel.dates import add_working_days, working_days_between
from portal.kernel.files import check_document, clean_original_name, private_name
from portal.kernel.workflow import locked, locked_rows, move
from portal.models import ClassGroup, College, MessageKind, Role, Staff, Student, User
from portal.selectors import role_holders
from portal.services import DomainError, notify, notify_each, reminder_schedule

__all__ = [
    "MAX_DOCUMENTS",
    "MAX_FAMILY_MEMBERS",
    "REASON_MAX",
    "STATEMENT_MAX",
    "appeal_answer",
    "appeal_lodge",
    "class_evaluation_record",
    "current_year",
    "document_add",
    "document_delete",
    "evaluation_group_minimum",
    "evaluation_group_set",
    "identification_adjust",
    "identification_approve",
    "identification_class_close",
    "identification_college_review",
    "identification_reject",
    "identification_return",
    "identification_review_request",
    "identification_revoke",
    "identification_save",
    "identification_school_review",
    "identification_submit",
    "identifications_expire",
    "notice_publish",
    "notice_remind_ending",
    "objection_answer",
    "objection_lodge",
    "remind_overdue_reviews",
    "remind_window",
    "window_is_open",
]

config.declare("aid.notice_working_days", 5, gettext_lazy("Minimum length of a school notice, in working days."))
config.declare(
    "aid.appeal_answer_working_days", 10, gettext_lazy("Working days within which an appeal must be answered.")
)
config.declare(
    "aid.review_overdue_days",
    7,
    gettext_lazy("Days an identification may wait for the class or college before reviewers are reminded."),
)
config.declare(
    "aid.window_closing_days", 2, gettext_lazy("Days before the identification window closes to remind students.")
)

STATEMENT_MAX = 5000
REASON_MAX = 2000
EVALUATION_REASON_MAX = 300
MAX_DOCUMENTS = 5
MAX_FAMILY_MEMBERS = 15
MONEY_MAX = Decimal("9999999999.99")

S = Identification.Status


# --- Helpers -------------------------------------------------------------------------------------------


def window_is_open(year: AcademicYear, *, mid_year: bool, today: date | None = None) -> bool:
    """In the year's window; a mid-year application (after a sudden change) any day of the year."""
    today = today or timezone.localdate()
    if year.window_opens_on <= today <= year.window_closes_on:
        return True
    return mid_year and year.starts_on <= today <= year.ends_on


def _mine_url() -> str:
    return reverse("aid:identification_mine")


def _detail_url(identification: Identification) -> str:
    return reverse("aid:identification_detail", args=[identification.pk])


def aid_reviewers(college_id: int) -> list[User]:
    return role_holders(Role.AID_REVIEWER, college_id=college_id)


def aid_officers() -> list[User]:
    return role_holders(Role.AID_OFFICER)


def _tell_student(identification: Identification, title: str, key: str) -> None:
    notify(
        recipient=identification.student.user,
        title=title,
        url=_mine_url(),
        dedupe_key=f"aid:ident:{identification.pk}:{key}",
    )


def _reason(text: str, *, required: bool = True, limit: int = REASON_MAX) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DomainError(_("Give a reason."))
    if len(text) > limit:
        raise DomainError(_("The text is limited to %(max)s characters.") % {"max": limit})
    if "\x00" in text:
        raise DomainError(_("The text contains control characters; remove them and try again."))
    return text


def _tier(tier: str, *, hardship_only: bool = False) -> str:
    choices = HARDSHIP_TIERS if hardship_only else Tier.values
    if tier not in choices:
        raise DomainError(_("Choose a tier."))
    return tier


def _money(value: Decimal | None, label: str) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        raise DomainError(_("%(field)s cannot be negative.") % {"field": label})
    if value > MONEY_MAX:
        raise DomainError(_("%(field)s is too large.") % {"field": label})
    return value


# --- The student's application -------------------------------------------------------------------------


@transaction.atomic
def identification_save(
    *,
    actor: User,
    student: Student,
    year: AcademicYear,
    mid_year: bool,
    household_size: int | None,
    household_income: Decimal | None,
    household_debt: Decimal | None,
    special_statuses: list[str],
    statement: str,
    family_members: list[dict[str, Any]],
) -> Identification:
    """Create or update the student's application (draft or returned). One per student per year."""
    statement = _reason(statement, required=False, limit=STATEMENT_MAX)
    household_income = _money(household_income, _("Household income"))
    household_debt = _money(household_debt, _("Household debt"))
    if household_size is not None and not 1 <= household_size <= 30:
        raise DomainError(_("A household has between 1 and 30 people."))
    unknown = set(special_statuses) - set(SpecialStatus.values)
    if unknown:
        raise DomainError(_("Choose special statuses from the list."))
    if len(family_members) > MAX_FAMILY_MEMBERS:
        raise DomainError(_("At most %(max)s family members.") % {"max": MAX_FAMILY_MEMBERS})
    for member in family_members:
        _money(member.get("annual_income"), _("Income"))
        if not (member.get("relation") or "").strip():
            raise DomainError(_("Give each family member's relation to you."))

    identification = (
        Identification.objects.select_for_update().filter(student=student, year=year).select_related("student").first()
    )
    fields = {
        "mid_year": mid_year,
        "household_size": household_size,
        "household_income": household_income,
        "household_debt": household_debt,
        "special_statuses": sorted(set(special_statuses)),
        "statement": statement,
    }
    if identification is None:
        if not window_is_open(year, mid_year=mid_year):
            raise DomainError(
                _("The identification window is closed. After a sudden change in your family, apply mid-year.")
            )
        try:
            with transaction.atomic():
                identification = Identification.objects.create(student=student, year=year, **fields)
        except IntegrityError as exc:
            raise DomainError(_("You already have an application for this academic year.")) from exc
        IdentificationEvent.objects.create(identification=identification, actor=actor, to_status=S.DRAFT)
        action = "identification.created"
    else:
        if identification.status not in (S.DRAFT, S.RETURNED):
            raise DomainError(_("Your application has been submitted and can no longer be changed."))
        for name, value in fields.items():
            setattr(identification, name, value)
        identification.save(update_fields=list(fields))
        action = "identification.changed"
    identification.family_members.all().delete()
    FamilyMember.objects.bulk_create(
        FamilyMember(
            identification=identification,
            relation=m["relation"].strip(),
            age=m.get("age"),
            occupation=(m.get("occupation") or "").strip(),
            annual_income=m.get("annual_income") or Decimal("0"),
        )
        for m in family_members
    )
    audit_log(actor=actor, action=action, obj=identification, changes={"fields": [*sorted(fields), "family_members"]})
    return identification


@transaction.atomic
def identification_submit(*, actor: User, identification: Identification, pledge: bool) -> Identification:
    """draft | returned → submitted. Needs the signed pledge and the essentials filled in."""
    identification = locked(identification)
    Identification.flow.check(identification, S.SUBMITTED)
    if not pledge:
        raise DomainError(_("Read and accept the pledge to submit your application."))
    if identification.household_size is None or identification.household_income is None:
        raise DomainError(_("Fill in the household size and income before submitting."))
    if identification.status == S.DRAFT and not window_is_open(identification.year, mid_year=identification.mid_year):
        raise DomainError(_("The identification window is closed."))
    now = timezone.now()
    identification.pledge_signed_at, identification.submitted_at = now, now
    identification.class_tier = identification.college_tier = ""
    move(
        identification,
        S.SUBMITTED,
        actor=actor,
        fields=["pledge_signed_at", "submitted_at", "class_tier", "college_tier"],
    )
    _tell_student(
        identification, _("Your identification application was submitted"), f"submitted:{int(now.timestamp())}"
    )
    _check_group_after_application(identification)
    return identification


def _check_group_after_application(identification: Identification) -> None:
    """A member of their class's evaluation group who applies stops counting; the college is told."""
    student = identification.student
    group = EvaluationGroup.objects.filter(
        class_group_id=student.class_group_id, year=identification.year, members=student.user
    ).first()
    if group is None:
        return
    notify_each(
        recipients=aid_reviewers(student.college_id),
        title=_("An evaluation group member of %(class)s has applied: replace them")
        % {"class": student.class_group.name},
        url=reverse("aid:evaluation_group_edit", args=[student.class_group_id]),
        dedupe_prefix=f"aid:group:{group.pk}:applicant:{student.pk}",
    )


@transaction.atomic
def document_add(*, actor: User, identification: Identification, upload: UploadedFile) -> IdentificationDocument:
    """Add a checked file (PDF/JPEG/PNG by content, ≤ 5 MB, at most 5) while the application is editable."""
    from django.core.exceptions import ValidationError

    identification = locked(identification)
    if identification.status not in (S.DRAFT, S.RETURNED):
        raise DomainError(_("Documents can be added only while the application is a draft or returned."))
    if identification.documents.count() >= MAX_DOCUMENTS:
        raise DomainError(_("At most %(max)s documents.") % {"max": MAX_DOCUMENTS})
    try:
        checked = check_document(upload)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from exc
    document = IdentificationDocument(
        identification=identification,
        original_name=clean_original_name(upload.name or ""),
        content_type=checked.content_type,
        size=checked.size,
    )
    upload.seek(0)
    document.file.save(private_name(checked), upload, save=False)
    document.save()
    audit_log(
        actor=actor, action="identification.document_added", obj=identification, changes={"document": document.pk}
    )
    return document


@transaction.atomic
def document_delete(*, actor: User, document: IdentificationDocument) -> None:
    identification = locked(document.identification)
    if identification.status not in (S.DRAFT, S.RETURNED):
        raise DomainError(_("Documents can be removed only while the application is a draft or returned."))
    name = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))
    audit_log(actor=actor, action="identification.document_removed", obj=identification)


# --- Class evaluation group (评议小组) -------------------------------------------------------------------


def evaluation_group_minimum(class_group: ClassGroup) -> int:
    enrolled = Student.objects.filter(class_group=class_group, status=Student.Status.ENROLLED).count()
    return max(1, math.ceil(enrolled * 0.1))


@transaction.atomic
def evaluation_group_set(
    *, actor: User, class_group: ClassGroup, year: AcademicYear, members: Iterable[User]
) -> EvaluationGroup:
    """Set the members: ≥ 10% of the class (rounded up), ≥ 50% students of the class, no applicants."""
    members = list({m.pk: m for m in members}.values())
    needed = evaluation_group_minimum(class_group)
    if len(members) < needed:
        raise DomainError(_("The group needs at least %(n)s members (10%% of the class, rounded up).") % {"n": needed})
    member_ids = [m.pk for m in members]
    students = dict(Student.objects.filter(user_id__in=member_ids).values_list("user_id", "class_group_id"))
    if any(class_id != class_group.pk for class_id in students.values()):
        raise DomainError(_("Student members must belong to this class."))
    staff = set(Staff.objects.filter(user_id__in=member_ids).values_list("user_id", flat=True))
    if set(member_ids) - set(students) - staff:
        raise DomainError(_("Members must be students of the class or staff."))
    if len(students) * 2 < len(members):
        raise DomainError(_("At least half of the members must be students."))
    applicants = Identification.objects.filter(year=year, student__user_id__in=member_ids).select_related("student")
    names = sorted(i.student.name for i in applicants)
    if names:
        raise DomainError(_("Applicants cannot evaluate their class: %(names)s.") % {"names": ", ".join(names)})
    group, created = EvaluationGroup.objects.select_for_update().get_or_create(
        class_group=class_group, year=year, defaults={"set_by": actor}
    )
    if not created:
        group.set_by, group.set_at = actor, timezone.now()
        group.save(update_fields=["set_by", "set_at"])
    group.members.set(members)
    for member in members:
        notify(
            recipient=member,
            title=_("You are a member of the class evaluation group of %(class)s") % {"class": class_group.name},
            url=reverse("aid:evaluation_mine"),
            dedupe_key=f"aid:group:{group.pk}:member:{member.pk}",
        )
    audit_log(
        actor=actor,
        action="evaluation_group.set",
        obj=group,
        changes={"members": sorted(member_ids), "created": created},
    )
    return group


@transaction.atomic
def class_evaluation_record(
    *, actor: User, identification: Identification, suggested_tier: str, reason: str
) -> ClassEvaluation:
    """A member's suggestion (may be changed while the evaluation is open); the last one concludes it."""
    _tier(suggested_tier)
    reason = _reason(reason, limit=EVALUATION_REASON_MAX)
    identification = locked(identification)
    if identification.status != S.SUBMITTED:
        raise DomainError(_("The class evaluation of this application is closed."))
    group = EvaluationGroup.objects.filter(
        class_group_id=identification.student.class_group_id, year_id=identification.year_id
    ).first()
    if group is None or not effective_members(group).filter(pk=actor.pk).exists():
        raise DomainError(_("You are not a member of this class's evaluation group."))
    evaluation, _created = ClassEvaluation.objects.update_or_create(
        identification=identification,
        member=actor,
        defaults={"suggested_tier": suggested_tier, "reason": reason, "created_at": timezone.now()},
    )
    audit_log(actor=actor, action="identification.class_evaluated", obj=identification)
    members = set(effective_members(group).values_list("pk", flat=True))
    done = set(identification.evaluations.filter(member_id__in=members).values_list("member_id", flat=True))
    if members and members <= done:
        _class_conclude(identification, group, actor=None)
    return evaluation


def _class_conclude(identification: Identification, group: EvaluationGroup, *, actor: User | None) -> Identification:
    members = effective_members(group).values("pk")
    tiers = list(identification.evaluations.filter(member_id__in=members).values_list("suggested_tier", flat=True))
    if not tiers:
        raise DomainError(_("No member of the evaluation group has made a suggestion yet."))
    counts = Counter(tiers)
    identification.class_tier = max(counts, key=lambda t: (counts[t], TIER_RANK[Tier(t)]))
    move(identification, S.CLASS_REVIEWED, actor=actor, fields=["class_tier"])
    return identification


@transaction.atomic
def identification_class_close(*, actor: User, identification: Identification) -> Identification:
    """submitted → class_reviewed before every member has evaluated (the college closes it early)."""
    identification = locked(identification)
    Identification.flow.check(identification, S.CLASS_REVIEWED)
    group = EvaluationGroup.objects.filter(
        class_group_id=identification.student.class_group_id, year_id=identification.year_id
    ).first()
    if group is None:
        raise DomainError(_("Set the class's evaluation group first."))
    return _class_conclude(identification, group, actor=actor)


# --- College review -----------------------------------------------------------------------------------


@transaction.atomic
def identification_return(*, actor: User, identification: Identification, reason: str) -> Identification:
    """submitted | class_reviewed | college_reviewed → returned: the student completes and resubmits."""
    reason = _reason(reason)
    identification = locked(identification)
    Identification.flow.check(identification, S.RETURNED)
    # The class evaluates the completed application again.
    identification.evaluations.all().delete()
    identification.class_tier = identification.college_tier = ""
    move(identification, S.RETURNED, actor=actor, note=reason, fields=["class_tier", "college_tier"])
    _tell_student(
        identification,
        _("Your identification application was returned: please add the information asked for"),
        f"returned:{identification.events.count()}",
    )
    return identification


@transaction.atomic
def identification_college_review(
    *, actor: User, identification: Identification, tier: str, note: str = ""
) -> Identification:
    """class_reviewed → college_reviewed with the college's tier."""
    tier = _tier(tier)
    note = _reason(note, required=False)
    identification = locked(identification)
    Identification.flow.check(identification, S.COLLEGE_REVIEWED, only_from=[S.CLASS_REVIEWED])
    identification.college_tier = tier
    return move(identification, S.COLLEGE_REVIEWED, actor=actor, note=note, fields=["college_tier"])


# --- Notices and objections ------------------------------------------------------------------------------


@transaction.atomic
def notice_publish(
    *,
    actor: User,
    year: AcademicYear,
    college: College,
    kind: str,
    title: str,
    starts_on: date,
    ends_on: date,
) -> Notice:
    """Put the college's reviewed identifications on a notice: college_reviewed → college_notice, or
    school_reviewed (with a hardship tier) → school_notice. A school notice runs ≥ N working days."""
    title = _reason(title, limit=200)
    if kind not in Notice.Kind.values:
        raise DomainError(_("Choose the kind of notice."))
    if starts_on < timezone.localdate():
        raise DomainError(_("A notice cannot start in the past."))
    if ends_on < starts_on:
        raise DomainError(_("The notice must end on or after its first day."))
    if kind == Notice.Kind.SCHOOL:
        minimum = int(config.get("aid.notice_working_days"))
        if working_days_between(starts_on, ends_on) < minimum:
            raise DomainError(_("A school notice runs at least %(n)s working days.") % {"n": minimum})
        source, target, link = S.SCHOOL_REVIEWED, S.SCHOOL_NOTICE, "school_notice"
        rows = Identification.objects.filter(tier__in=HARDSHIP_TIERS)
    else:
        source, target, link = S.COLLEGE_REVIEWED, S.COLLEGE_NOTICE, "college_notice"
        rows = Identification.objects.all()
    rows = locked_rows(
        rows.select_for_update(of=("self",))
        .filter(year=year, student__college=college, status=source)
        .select_related("student__user")
    )
    if not rows:
        raise DomainError(_("No identification of this college is waiting for this notice."))
    notice = Notice.objects.create(
        kind=kind,
        year=year,
        college=college,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    for identification in rows:
        setattr(identification, link, notice)
        move(identification, target, actor=actor, fields=[link])
        _tell_student(
            identification,
            _("The %(kind)s of your identification runs from %(start)s to %(end)s")
            % {"kind": notice.get_kind_display(), "start": starts_on, "end": ends_on},
            f"notice:{notice.pk}",
        )
    audit_log(actor=actor, action="notice.published", obj=notice, changes={"identifications": len(rows)})
    return notice


def _notice_state(notice: Notice) -> str:
    return S.COLLEGE_NOTICE if notice.kind == Notice.Kind.COLLEGE else S.SCHOOL_NOTICE


@transaction.atomic
def objection_lodge(*, actor: User, notice: Notice, identification: Identification, reason: str) -> Objection:
    """Anyone in the audience objects to one row while the notice runs: the row reopens review.

    The caller has checked that the row is one the actor sees on the notice."""
    reason = _reason(reason)
    today = timezone.localdate()
    if not notice.starts_on <= today <= notice.ends_on:
        raise DomainError(_("This notice is not running."))
    identification = locked(identification)
    linked = identification.college_notice_id if notice.kind == Notice.Kind.COLLEGE else identification.school_notice_id
    if linked != notice.pk or identification.status not in (_notice_state(notice), S.OBJECTION):
        raise DomainError(_("This entry is not on the notice."))
    if identification.student.user_id == actor.pk:
        raise DomainError(_("You cannot object to your own entry."))
    objection = Objection.objects.create(identification=identification, notice=notice, lodged_by=actor, reason=reason)
    if identification.status != S.OBJECTION:
        move(identification, S.OBJECTION, actor=None, action="identification.objection")
        _tell_student(identification, _("Your identification is being reviewed again"), f"objection:{objection.pk}")
    audit_log(actor=actor, action="objection.lodged", obj=objection)
    reviewers = aid_reviewers(identification.student.college_id) if notice.kind == Notice.Kind.COLLEGE else []
    notify_each(
        recipients=reviewers or aid_officers(),
        title=_("An objection was lodged against a notice entry"),
        url=_detail_url(identification),
        dedupe_prefix=f"aid:objection:{objection.pk}",
    )
    return objection


@transaction.atomic
def objection_answer(*, actor: User, objection: Objection, uphold: bool, answer: str, tier: str = "") -> Objection:
    """Answer one objection. When none is left open, the identification goes back to the review step of
    its notice (college_reviewed or school_reviewed), with the tier changed when an objection is upheld."""
    answer = _reason(answer)
    if tier:
        _tier(tier)
    identification = locked(objection.identification)
    objection = Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
    if objection.status != Objection.Status.OPEN:
        raise DomainError(_("This objection has already been answered."))
    if identification.status != S.OBJECTION:
        raise DomainError(_("This identification is not under objection."))
    objection.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
    objection.answer, objection.answered_by, objection.answered_at = answer, actor, timezone.now()
    objection.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    audit_log(actor=actor, action="objection.answered", obj=objection, changes={"status": objection.status})
    college = objection.notice.kind == Notice.Kind.COLLEGE
    fields: list[str] = []
    if uphold and tier:
        field = "college_tier" if college else "tier"
        setattr(identification, field, tier)
        fields.append(field)
    notify(
        recipient=objection.lodged_by,
        title=_("Your objection has been considered. Thank you."),
        dedupe_key=f"aid:objection:{objection.pk}:answered",
    )
    if identification.objections.filter(status=Objection.Status.OPEN).exists():
        if fields:
            identification.save(update_fields=fields)
        return objection
    target = S.COLLEGE_REVIEWED if college else S.SCHOOL_REVIEWED
    move(identification, target, actor=actor, fields=fields, action="identification.objection_answered")
    _tell_student(identification, _("The review of your identification continues"), f"objection-done:{objection.pk}")
    return objection


# --- School review and decision -----------------------------------------------------------------------


def _notice_ended(notice: Notice | None) -> bool:
    return notice is not None and notice.ends_on < timezone.localdate()


@transaction.atomic
def identification_school_review(*, actor: User, identification: Identification, tier: str) -> Identification:
    """college_notice (after it ended) → school_reviewed with the proposed tier."""
    tier = _tier(tier)
    identification = locked(identification)
    Identification.flow.check(identification, S.SCHOOL_REVIEWED, only_from=[S.COLLEGE_NOTICE])
    if not _notice_ended(identification.college_notice):
        raise DomainError(_("The college notice has not ended yet."))
    identification.tier = tier
    return move(identification, S.SCHOOL_REVIEWED, actor=actor, fields=["tier"])


@transaction.atomic
def identification_reject(*, actor: User, identification: Identification, reason: str) -> Identification:
    """school_reviewed, or school_notice after it ended → rejected (not identified)."""
    reason = _reason(reason)
    identification = locked(identification)
    Identification.flow.check(identification, S.REJECTED, only_from=[S.SCHOOL_REVIEWED, S.SCHOOL_NOTICE])
    if identification.status == S.SCHOOL_NOTICE and not _notice_ended(identification.school_notice):
        raise DomainError(_("The school notice has not ended yet."))
    identification.tier, identification.decided_at = Tier.NONE, timezone.now()
    move(identification, S.REJECTED, actor=actor, note=reason, fields=["tier", "decided_at"])
    _tell_student(identification, _("Decision on your identification: not identified"), "rejected")
    return identification


@transaction.atomic
def identification_approve(*, actor: User, identification: Identification, tier: str = "") -> Identification:
    """school_notice (after it ended) → approved with the tier of the notice (or the one given)."""
    identification = locked(identification)
    Identification.flow.check(identification, S.APPROVED, only_from=[S.SCHOOL_NOTICE])
    if not _notice_ended(identification.school_notice):
        raise DomainError(_("The school notice has not ended yet."))
    identification.tier = _tier(tier or identification.tier, hardship_only=True)
    identification.decided_at = timezone.now()
    move(identification, S.APPROVED, actor=actor, fields=["tier", "decided_at"])
    _tell_student(identification, _("Decision on your identification: identified"), "approved")
    _open_support_plan(identification, actor=actor)
    return identification


def _open_support_plan(identification: Identification, *, actor: User) -> None:
    """Every identified student gets a five-aid case (DOMAIN §3), opened in the same transaction."""
    from aid.services.fiveaid import fiveaid_open_for  # five-aid cases build on identification

    fiveaid_open_for(identification, actor=actor)


# --- Appeals, adjustments, revocation, expiry -------------------------------------------------------------


@transaction.atomic
def appeal_lodge(*, actor: User, identification: Identification, reason: str) -> Appeal:
    """rejected → appeal (once per identification); answer due in N working days."""
    reason = _reason(reason)
    identification = locked(identification)
    Identification.flow.check(identification, S.APPEAL, only_from=[S.REJECTED])
    if identification.appeals.exists():
        raise DomainError(_("You have already appealed this decision."))
    due = add_working_days(timezone.localdate(), int(config.get("aid.appeal_answer_working_days")))
    appeal = Appeal.objects.create(identification=identification, reason=reason, answer_due_on=due)
    move(identification, S.APPEAL, actor=actor, action="identification.appealed")
    due_at = timezone.make_aware(datetime.combine(due, datetime.min.time()).replace(hour=9))
    for user in aid_officers():
        notify(
            recipient=user,
            title=_("An identification appeal is waiting for an answer"),
            url=_detail_url(identification),
            kind=MessageKind.TASK,
            dedupe_key=f"aid:appeal:{appeal.pk}:new:{user.pk}",
        )
        reminder_schedule(
            recipient=user,
            channel="in_app",
            subject=_("An identification appeal is due for an answer today"),
            url=_detail_url(identification),
            due_at=due_at,
            kind=MessageKind.TASK,
            dedupe_key=f"aid:appeal:{appeal.pk}:due:{user.pk}",
        )
    return appeal


@transaction.atomic
def appeal_answer(*, actor: User, appeal: Appeal, approve: bool, answer: str, tier: str = "") -> Appeal:
    """appeal → approved (with a tier) or rejected."""
    answer = _reason(answer)
    identification = locked(appeal.identification)
    target = S.APPROVED if approve else S.REJECTED
    Identification.flow.check(identification, target, only_from=[S.APPEAL])
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.answered_at is not None:
        raise DomainError(_("This appeal has already been answered."))
    if approve:
        identification.tier = _tier(tier, hardship_only=True)
    else:
        identification.tier = Tier.NONE
    appeal.answer, appeal.answered_by, appeal.answered_at = answer, actor, timezone.now()
    appeal.save(update_fields=["answer", "answered_by", "answered_at"])
    identification.decided_at = timezone.now()
    move(identification, target, actor=actor, note=answer, fields=["tier", "decided_at"], action="appeal.answered")
    _tell_student(identification, _("Your appeal has been answered"), f"appeal:{appeal.pk}")
    if approve:
        _open_support_plan(identification, actor=actor)
    return appeal


@transaction.atomic
def identification_adjust(*, actor: User, identification: Identification, tier: str, reason: str) -> Identification:
    """approved | adjusted → adjusted: a mid-year change of tier."""
    tier = _tier(tier, hardship_only=True)
    reason = _reason(reason)
    identification = locked(identification)
    Identification.flow.check(identification, S.ADJUSTED, only_from=[S.APPROVED, S.ADJUSTED])
    if tier == identification.tier:
        raise DomainError(_("Choose a different tier to adjust."))
    identification.tier, identification.decided_at = tier, timezone.now()
    move(identification, S.ADJUSTED, actor=actor, note=reason, fields=["tier", "decided_at"])
    _tell_student(
        identification, _("Your identification tier was adjusted"), f"adjusted:{identification.events.count()}"
    )
    return identification


@transaction.atomic
def identification_revoke(*, actor: User, identification: Identification, reason: str) -> Identification:
    """approved | adjusted → revoked."""
    reason = _reason(reason)
    identification = locked(identification)
    Identification.flow.check(identification, S.REVOKED, only_from=[S.APPROVED, S.ADJUSTED])
    identification.decided_at = timezone.now()
    move(identification, S.REVOKED, actor=actor, note=reason, fields=["decided_at"])
    _tell_student(identification, _("Your identification was revoked"), "revoked")
    return identification


def identifications_expire(*, today: date | None = None) -> int:
    """Year ended → approved, adjusted and rejected identifications expire. Safe to run twice."""
    today = today or timezone.localdate()
    done = 0
    candidates = Identification.objects.filter(
        year__ends_on__lt=today, status__in=(S.APPROVED, S.ADJUSTED, S.REJECTED)
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            rows = locked_rows(
                Identification.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                    pk=pk, status__in=(S.APPROVED, S.ADJUSTED, S.REJECTED)
                )
            )
            if not rows:
                continue
            move(rows[0], S.EXPIRED, actor=None)
            done += 1
    return done


# --- Reminders (beat) -------------------------------------------------------------------------------------


def remind_window(*, today: date | None = None) -> int:
    """The current year's window: every enrolled student once when it opens, and once a few days before it
    closes (students who have not submitted)."""
    today = today or timezone.localdate()
    year = current_year()
    if year is None or not year.window_opens_on <= today <= year.window_closes_on:
        return 0
    url = _mine_url()
    students = Student.objects.filter(status=Student.Status.ENROLLED).select_related("user")
    count = 0
    with transaction.atomic():
        for student in students.iterator():
            notify(
                recipient=student.user,
                title=_("Applications for identification of financial difficulty are open until %(date)s")
                % {"date": year.window_closes_on},
                url=url,
                dedupe_key=f"aid:window:{year.pk}:open:{student.user_id}",
            )
            count += 1
        closing_from = year.window_closes_on - timedelta(days=int(config.get("aid.window_closing_days")))
        if today >= closing_from:
            submitted = Identification.objects.filter(year=year).exclude(status=S.DRAFT).values("student_id")
            for student in students.exclude(pk__in=submitted).iterator():
                notify(
                    recipient=student.user,
                    title=_("Applications for identification close on %(date)s") % {"date": year.window_closes_on},
                    url=url,
                    dedupe_key=f"aid:window:{year.pk}:closing:{student.user_id}",
                )
                count += 1
    return count


def remind_overdue_reviews(*, now: datetime | None = None) -> int:
    """Submitted (or class-reviewed) longer than N days without the next step → the college's reviewers,
    once per identification and status."""
    now = now or timezone.now()
    limit = now - timedelta(days=int(config.get("aid.review_overdue_days")))
    waiting = Identification.objects.filter(
        status__in=(S.SUBMITTED, S.CLASS_REVIEWED), submitted_at__lt=limit
    ).select_related("student")
    count = 0
    with transaction.atomic():
        for identification in waiting.iterator():
            for user in aid_reviewers(identification.student.college_id) or aid_officers():
                notify(
                    recipient=user,
                    title=_("An identification is waiting for review"),
                    url=_detail_url(identification),
                    dedupe_key=f"aid:ident:{identification.pk}:overdue:{identification.status}:{user.pk}",
                )
                count += 1
    return count


def notice_remind_ending(*, today: date | None = None) -> int:
    """On a notice's last day: its publisher (and for school notices the officers) are told once."""
    today = today or timezone.localdate()
    count = 0
    with transaction.atomic():
        for notice in Notice.objects.filter(ends_on=today).select_related("created_by"):
            recipients = {notice.created_by.pk: notice.created_by}
            if notice.kind == Notice.Kind.SCHOOL:
                recipients.update({u.pk: u for u in aid_officers()})
            for user in recipients.values():
                notify(
                    recipient=user,
                    title=_("Notice “%(title)s” ends today") % {"title": notice.title},
                    url=reverse("aid:identification_list"),
                    dedupe_key=f"aid:notice:{notice.pk}:ending:{user.pk}",
                )
                count += 1
    return count


# --- Requests from other apps ---------------------------------------------------------------------------


@transaction.atomic
def identification_review_request(*, actor: User, student: Student, note: str) -> Identification | None:
    """Someone outside the aid office (a home-visit team) found that a student's identification may not
    match the family's situation: the college's aid reviewers are told to look at it, and the student is
    asked to apply (or to update a draft or a returned application).

    Decision: this never creates or changes an identification. An identification holds what the student
    declares and pledges is true, so only the student enters it; a review of an approved one goes through
    the existing adjust/revoke services, by the aid staff who decide. Returns the student's identification
    of the current year if there is one, else None. The note stays with the caller (it is not copied into
    notifications, which are not encrypted); reviewers are told who asked and where to look.
    Repeated requests on the same day notify once (dedupe keys).
    """
    note = _reason(note)
    year = current_year()
    identification = Identification.objects.filter(student=student, year=year).order_by("-pk").first() if year else None
    today = timezone.localdate()
    key = f"aid:ident:review-request:{student.pk}:{today.isoformat()}"
    with override(settings.LANGUAGE_CODE):
        reviewer_title = _("Please review the identification of %(name)s (%(number)s): a home visit asks for it") % {
            "name": student.name,
            "number": student.student_no,
        }
        student_title = _("Please apply for identification, or update it, so the aid office can help you")
    url = _detail_url(identification) if identification is not None else reverse("aid:identification_list")
    for reviewer in aid_reviewers(student.college_id) or aid_officers():
        notify(recipient=reviewer, title=reviewer_title, url=url, dedupe_key=f"{key}:{reviewer.pk}")
    notify(recipient=student.user, title=student_title, url=_mine_url(), dedupe_key=f"{key}:student")
    audit_log(
        actor=actor,
        action="identification.review_requested",
        obj=identification if identification is not None else student,
        changes={"student": student.pk, "identification": identification.pk if identification else None},
    )
    return identification
