"""Writes of five-aid cases (五助帮扶档案): opening them, the plan per aid, entries, term reviews, the
employment follow-up and the psychological referral into counselling.

Access is checked by the caller through portal.access (aid.access.fiveaid); the rules of the domain are
checked here and raise DomainError, which views show as a message, never a 500.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from aid.models import (
    HARDSHIP_TIERS,
    IDENTIFIED_STATUSES,
    AcademicYear,
    Aid,
    FiveAidCase,
    FiveAidEntry,
    Identification,
    TermReview,
)
from counseling.services.crisis import referral_from_aid, referral_status
from portal.audit import audit_log
from portal.kernel.text import clean_text
from portal.models import User
from portal.services import DomainError

__all__ = [
    "fiveaid_employment_set",
    "fiveaid_entry_add",
    "fiveaid_open_for",
    "fiveaid_open_for_year",
    "fiveaid_plan_set",
    "fiveaid_psych_status_sync",
    "fiveaid_psych_statuses_sync",
    "fiveaid_refer",
    "fiveaid_review_record",
    "fiveaid_terms",
]

FIVEAID_PLAN_MAX = 500
FIVEAID_TITLE_MAX = 200
FIVEAID_NOTE_MAX = 2000
FIVEAID_REVIEW_MAX = 4000
XINJIANG = "新疆"


def _fiveaid_locked(case: FiveAidCase) -> FiveAidCase:
    return FiveAidCase.objects.select_for_update().select_related("student", "identification__year").get(pk=case.pk)


def _fiveaid_identified(identification: Identification) -> bool:
    return identification.status in IDENTIFIED_STATUSES and identification.tier in HARDSHIP_TIERS


@transaction.atomic
def fiveaid_open_for(identification: Identification, *, actor: User | None = None) -> FiveAidCase:
    """The five-aid case of an identified student (approved or adjusted, with a hardship tier).

    Idempotent: a second call returns the case the first opened. Called by the identification services
    on approval, inside their transaction; the identification row is locked so two calls at once open
    one case. Raises DomainError when the identification does not identify the student.
    """
    existing = FiveAidCase.objects.filter(identification_id=identification.pk).first()
    if existing is not None:
        return existing
    identification = (
        Identification.objects.select_for_update(of=("self",)).select_related("student").get(pk=identification.pk)
    )
    existing = FiveAidCase.objects.filter(identification_id=identification.pk).first()
    if existing is not None:
        return existing
    if not _fiveaid_identified(identification):
        raise DomainError(_("A support plan is opened only for an approved identification."))
    case = FiveAidCase.objects.create(
        student=identification.student,
        identification=identification,
        xinjiang_programme=identification.student.hometown_province.startswith(XINJIANG),
    )
    audit_log(actor=actor, action="fiveaid.opened", obj=case, changes={"identification": identification.pk})
    return case


@transaction.atomic
def fiveaid_open_for_year(*, actor: User, year: AcademicYear) -> int:
    """Open the missing cases of every identified student of the year; returns how many were opened.

    Caller checked `may_open_fiveaid_cases`. Safe to run twice and alongside `fiveaid_open_for`: the
    one-to-one on the identification settles races (conflicts are skipped).
    """
    missing = (
        Identification.objects.filter(
            year=year,
            status__in=IDENTIFIED_STATUSES,
            tier__in=HARDSHIP_TIERS,
        )
        .filter(~Exists(FiveAidCase.objects.filter(identification_id=OuterRef("pk"))))
        .values_list("pk", "student_id", "student__hometown_province")
    )
    rows = [
        FiveAidCase(
            identification_id=pk, student_id=student_id, xinjiang_programme=(province or "").startswith(XINJIANG)
        )
        for pk, student_id, province in missing
    ]
    before = FiveAidCase.objects.filter(identification__year=year).count()
    FiveAidCase.objects.bulk_create(rows, ignore_conflicts=True)
    opened = FiveAidCase.objects.filter(identification__year=year).count() - before
    audit_log(actor=actor, action="fiveaid.opened_for_year", obj=year, changes={"opened": opened})
    return opened


def fiveaid_terms(year: AcademicYear) -> list[tuple[str, str]]:
    """The terms a review may be recorded for: (code, label) of the case's academic year."""
    return [
        (f"{year.name}-1", _("%(year)s, first term") % {"year": year.name}),
        (f"{year.name}-2", _("%(year)s, second term") % {"year": year.name}),
    ]


@transaction.atomic
def fiveaid_plan_set(*, actor: User, case: FiveAidCase, aid: str, text: str) -> FiveAidCase:
    """Set the short plan of one aid (empty text clears it). Caller checked `can(actor, "edit", case)`."""
    if aid not in Aid.values:
        raise DomainError(_("Choose one of the five aids."))
    text = clean_text(text, limit=FIVEAID_PLAN_MAX, required=False)
    case = _fiveaid_locked(case)
    plan = dict(case.plan or {})
    if text:
        plan[aid] = text
    else:
        plan.pop(aid, None)
    if plan != case.plan:
        case.plan = plan
        case.save(update_fields=["plan"])
        audit_log(actor=actor, action="fiveaid.plan_set", obj=case, changes={"aid": aid})
    return case


@transaction.atomic
def fiveaid_entry_add(
    *, actor: User, case: FiveAidCase, aid: str, kind: str, title: str, on: date, note: str = ""
) -> FiveAidEntry:
    """Record employment help (coaching, a job referral, an offer) or growth help (a mentor, a training,
    an activity attended). Money and self-help are derived; psychological aid is a referral."""
    kinds = FiveAidEntry.KINDS_BY_AID.get(aid)
    if kinds is None:
        raise DomainError(_("Entries are recorded for employment help and growth help only."))
    if kind not in kinds:
        raise DomainError(_("Choose a kind that belongs to this aid."))
    title = clean_text(title, limit=FIVEAID_TITLE_MAX, required=True, empty_message=_("Say what was done."))
    note = clean_text(note, limit=FIVEAID_NOTE_MAX, required=False)
    if on > timezone.localdate():
        raise DomainError(_("Record what has happened: the date cannot be in the future."))
    case = _fiveaid_locked(case)
    entry = FiveAidEntry.objects.create(case=case, aid=aid, kind=kind, title=title, on=on, note=note, created_by=actor)
    audit_log(actor=actor, action="fiveaid.entry_added", obj=case, changes={"aid": aid, "kind": kind})
    return entry


@transaction.atomic
def fiveaid_employment_set(*, actor: User, case: FiveAidCase, placed: bool, xinjiang_programme: bool) -> FiveAidCase:
    """Employment follow-up: graduates are followed until placed; the Xinjiang graduates' programme."""
    case = _fiveaid_locked(case)
    changed = [
        name
        for name, value in (("placed", placed), ("xinjiang_programme", xinjiang_programme))
        if getattr(case, name) != value
    ]
    if changed:
        case.placed, case.xinjiang_programme = placed, xinjiang_programme
        case.save(update_fields=changed)
        audit_log(actor=actor, action="fiveaid.employment_set", obj=case, changes={"fields": changed})
    return case


@transaction.atomic
def fiveaid_review_record(*, actor: User, case: FiveAidCase, term: str, summary: str) -> TermReview:
    """The term review of a case: one per term; recording it again replaces the summary."""
    case = _fiveaid_locked(case)
    if term not in dict(fiveaid_terms(case.identification.year)):
        raise DomainError(_("Choose a term of the case's academic year."))
    summary = clean_text(
        summary, limit=FIVEAID_REVIEW_MAX, required=True, empty_message=_("Write a short summary of the term.")
    )
    review, created = TermReview.objects.update_or_create(
        case=case, term=term, defaults={"summary": summary, "reviewed_by": actor, "reviewed_at": timezone.now()}
    )
    audit_log(actor=actor, action="fiveaid.review_recorded", obj=case, changes={"term": term, "new": created})
    return review


@transaction.atomic
def fiveaid_refer(*, actor: User, case: FiveAidCase, note: str, idempotency_key: uuid.UUID) -> tuple[FiveAidCase, bool]:
    """Psychological aid: refer the student to their counselling station (counseling.services).

    Returns (case, referred now). The note goes to counselling only; the aid side keeps the report id
    and learns referred / engaged / declined. A student already referred (and not declined) is not
    referred twice: the second request (a double click, a colleague) returns False.
    Caller checked `can(actor, "refer", case)`.
    """
    case = _fiveaid_locked(case)
    if case.psych_referral_report_id is not None:
        status = referral_status(case.psych_referral_report_id)
        if status != "declined":
            _fiveaid_store_status(case, status)
            return case, False
    report = referral_from_aid(actor=actor, student=case.student, note=note, idempotency_key=idempotency_key)
    case.psych_referral_report_id = report.pk
    case.psych_status = referral_status(report.pk)
    case.save(update_fields=["psych_referral_report_id", "psych_status"])
    audit_log(actor=actor, action="fiveaid.referred", obj=case)  # never the note: it is counselling's
    return case, True


def _fiveaid_store_status(case: FiveAidCase, status: str) -> None:
    if case.psych_status != status:
        FiveAidCase.objects.filter(pk=case.pk).update(psych_status=status)
        case.psych_status = status


def fiveaid_psych_status_sync(*, case: FiveAidCase) -> str:
    """Ask counselling where the referral stands and keep the answer on the case (for lists and the
    dashboard). One conditional UPDATE, safe to run from a page view and from the beat task."""
    if case.psych_referral_report_id is None:
        return ""
    status = referral_status(case.psych_referral_report_id)
    _fiveaid_store_status(case, status)
    return status


def fiveaid_psych_statuses_sync() -> int:
    """Beat: refresh the referral status of every referred case not yet settled; returns changes."""
    changed = 0
    for case in FiveAidCase.objects.filter(psych_referral_report_id__isnull=False).exclude(psych_status="declined"):
        before = case.psych_status
        if fiveaid_psych_status_sync(case=case) != before:
            changed += 1
    return changed
