"""Writes of visit records made in the field: records, drafts, photos and follow-ups.

Access (trip member, office) is checked by the caller through portal.access / homevisits.access; the
domain rules are checked here and raise DomainError, which views render as a message.

- A record is created once per trip and student. The form carries an idempotency key generated once per
  draft: a resubmitted form (a retry after a timeout on a poor connection) returns the record the first
  submission created. An advisory lock on the key makes two simultaneous submissions wait for each other.
- Drafts are the author's JSON of the form, encrypted at rest, one per trip-student and author.
- Photos are JPEG or PNG by content, at most 10 MB, re-encoded with Pillow so EXIF (with GPS) is dropped.
- Follow-ups may open an item in aid or counselling through those apps' services; `linked` names it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from homevisits.access import RECORDING_STATUSES
from homevisits.models import FollowUp, Trip, TripStudent, VisitDraft, VisitPhoto, VisitRecord
from portal import config
from portal.audit import audit_log
from portal.kernel import files
from portal.models import User
from portal.services import DomainError, lock_idempotency_key, notify

__all__ = [
    "DRAFT_MAX_BYTES",
    "NARRATIVE_MAX",
    "NEEDS",
    "PHOTO_MAX_BYTES",
    "RECORD_FIELDS",
    "follow_up_add",
    "follow_up_complete",
    "follow_up_owner_candidates",
    "follow_ups_remind",
    "gift_limit",
    "visit_draft_save",
    "visit_photo_add",
    "visit_record_create",
]

config.declare(
    "homevisits.gift_limit",
    "2000.00",
    gettext_lazy("Most money or gifts (yuan) a home-visit team may give one household on a visit."),
)

NEEDS: list[tuple[str, Any]] = VisitRecord.Need.choices
NEED_CODES = {code for code, _label in NEEDS}
NARRATIVE_MAX = 5000
SHORT_MAX = 300
DRAFT_MAX_BYTES = 200_000
PHOTO_MAX_BYTES = files.PHOTO.max_bytes
PHOTOS_PER_RECORD = 30
NOTE_MAX = 2000

# The record's form fields, as the form, the draft and the service know them.
RECORD_FIELDS = (
    "outcome",
    "not_reached_reason",
    "visited_on",
    "place",
    "form",
    "people_present",
    "interpreter_needed",
    "family_members",
    "income_and_spending",
    "hardship_causes",
    "housing",
    "role_at_home",
    "policies_explained",
    "aid_received",
    "parents_views",
    "gift_amount",
    "gift_note",
    "needs",
    "summary",
)
_TEXT_FIELDS = (
    "not_reached_reason",
    "place",
    "people_present",
    "family_members",
    "income_and_spending",
    "hardship_causes",
    "housing",
    "role_at_home",
    "policies_explained",
    "aid_received",
    "parents_views",
    "gift_note",
    "summary",
)
_SHORT_LIMITS = {"not_reached_reason": 300, "place": 200, "people_present": 300, "gift_note": 200}


def gift_limit() -> Decimal:
    try:
        return Decimal(str(config.get("homevisits.gift_limit")))
    except InvalidOperation:
        return Decimal("2000.00")


def check_gift(value: object) -> Decimal:
    """A non-negative amount with at most two decimals, within the configured limit per household."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0").strip())
    except InvalidOperation:
        raise DomainError(_("Enter the money or gifts given as an amount in yuan, e.g. 500.00.")) from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DomainError(_("Enter the money or gifts given as an amount in yuan, e.g. 500.00."))
    limit = gift_limit()
    if amount > limit:
        raise DomainError(
            _("Money or gifts given are limited to %(limit)s yuan per household.") % {"limit": f"{limit:.2f}"}
        )
    return amount.quantize(Decimal("0.01"))


def _clean(text: object, *, limit: int) -> str:
    value = str(text or "").strip()
    if "\x00" in value:
        raise DomainError(_("The text contains control characters; remove them and try again."))
    if len(value) > limit:
        raise DomainError(_("Each text is limited to %(max)s characters.") % {"max": limit})
    return value


# --- Records ------------------------------------------------------------------------------------------------


@transaction.atomic
def visit_record_create(
    *, actor: User, trip_student: TripStudent, data: dict[str, Any], idempotency_key: uuid.UUID
) -> tuple[VisitRecord, bool]:
    """(record, created). Caller has checked that the actor may write records of the trip.

    Idempotent by key: a resubmission returns the first record (created False). A second record for the
    same trip and student (another member, another key) is refused. The trip must be approved, travelling
    or reporting (locked while checking). The author's draft is deleted with the record's creation.
    """
    lock_idempotency_key(idempotency_key)
    existing = VisitRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.trip_id != trip_student.trip_id or existing.student_id != trip_student.student_id:
            raise DomainError(_("This form was already used for another student. Reload the page and try again."))
        return existing, False
    trip = Trip.objects.select_for_update().get(pk=trip_student.trip_id)
    if trip.status not in RECORDING_STATUSES:
        raise DomainError(
            _("Visit records can be written while the trip is approved, travelling or reporting; it is “%(s)s”.")
            % {"s": trip.get_status_display()}
        )
    if VisitRecord.objects.filter(trip=trip, student_id=trip_student.student_id).exists():
        raise DomainError(_("This student's visit has already been recorded for this trip."))
    values = _record_values(data)
    record = VisitRecord(
        trip=trip,
        student_id=trip_student.student_id,
        idempotency_key=idempotency_key,
        created_by=actor,
        **values,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise DomainError(_("This student's visit has already been recorded for this trip.")) from None
    VisitDraft.objects.filter(trip_student=trip_student, author=actor).delete()
    audit_log(
        actor=actor,
        action="visit_record.created",
        obj=record,
        changes={"trip": trip.pk, "outcome": record.outcome, "fields": sorted(k for k, v in values.items() if v)},
    )
    return record, True


def _record_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        values[name] = _clean(data.get(name, ""), limit=_SHORT_LIMITS.get(name, NARRATIVE_MAX))
    outcome = data.get("outcome") or VisitRecord.Outcome.VISITED
    if outcome not in VisitRecord.Outcome.values:
        raise DomainError(_("Choose whether the student was visited or not reached."))
    if outcome == VisitRecord.Outcome.NOT_REACHED and not values["not_reached_reason"]:
        raise DomainError(_("Say why the family was not reached."))
    form = data.get("form") or VisitRecord.Form.HOME
    if form not in VisitRecord.Form.values:
        raise DomainError(_("Choose how the visit took place."))
    visited_on = data.get("visited_on")
    if not isinstance(visited_on, date):
        raise DomainError(_("Enter the date of the visit."))
    if visited_on > timezone.localdate():
        raise DomainError(_("The visit date cannot be in the future."))
    needs = list(dict.fromkeys(data.get("needs") or []))
    if not set(needs) <= NEED_CODES:
        raise DomainError(_("Choose needs from the list."))
    values.update(
        outcome=outcome,
        form=form,
        visited_on=visited_on,
        interpreter_needed=bool(data.get("interpreter_needed")),
        gift_amount=check_gift(data.get("gift_amount")),
        needs=needs,
    )
    if outcome == VisitRecord.Outcome.NOT_REACHED and values["gift_amount"]:
        raise DomainError(_("Nothing can have been given to a family that was not reached."))
    return values


# --- Drafts ---------------------------------------------------------------------------------------------------


def visit_draft_save(*, actor: User, trip_student: TripStudent, data: dict[str, Any]) -> VisitDraft:
    """Keep what the actor typed (their draft only; caller has checked they may write the trip's records).

    Only the form's fields (and the idempotency key) are kept, as strings or lists of strings, at most
    DRAFT_MAX_BYTES in all. Nothing is validated beyond that: a draft may be half-typed.
    """
    clean: dict[str, Any] = {}
    for name in (*RECORD_FIELDS, "idempotency_key"):
        if name not in data:
            continue
        value = data[name]
        value = [str(v) for v in value][:20] if isinstance(value, list) else str(value)
        if any("\x00" in v for v in (value if isinstance(value, list) else [value])):
            raise DomainError(_("The text contains control characters; remove them and try again."))
        clean[name] = value
    payload = json.dumps(clean, ensure_ascii=False)
    if len(payload.encode()) > DRAFT_MAX_BYTES:
        raise DomainError(_("The draft is too long to keep."))
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                draft, _created = VisitDraft.objects.update_or_create(
                    trip_student=trip_student, author=actor, defaults={"data": payload, "updated_at": now}
                )
            return draft
        except IntegrityError:  # two saves of a new draft at once: the second becomes an update
            continue
    raise DomainError(_("The draft could not be saved; try again."))


# --- Photos ---------------------------------------------------------------------------------------------------


@transaction.atomic
def visit_photo_add(*, actor: User, record: VisitRecord, upload: UploadedFile, consent: bool) -> VisitPhoto:
    """Store a photo of the visit in private media (served by the `photo` view). Caller has checked
    "add_photo". The family's consent must be recorded; the stored name is random."""
    if not consent:
        raise DomainError(_("Record that the family agreed to the photo before uploading it."))
    if record.photos.count() >= PHOTOS_PER_RECORD:
        raise DomainError(_("A visit record can have at most %(n)s photos.") % {"n": PHOTOS_PER_RECORD})
    try:  # JPEG or PNG by content, re-encoded: EXIF, GPS and anything after the image data are dropped
        checked = files.check_image(upload, rules=files.PHOTO)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from exc
    data, ext = checked.data, checked.extension
    photo = VisitPhoto(record=record, consent_recorded=True, uploaded_by=actor)
    photo.image.save(f"{secrets.token_hex(16)}.{ext}", ContentFile(data), save=False)
    photo.save()
    audit_log(actor=actor, action="visit_photo.added", obj=photo, changes={"record": record.pk, "bytes": len(data)})
    return photo


# --- Follow-ups ------------------------------------------------------------------------------------------------


def follow_up_owner_candidates(record: VisitRecord) -> list[User]:
    """Who may own a follow-up: the trip's leader and members, aid staff (the office, the student's college's
    reviewers) and counselling staff (the centre, the student's college's station). Active users only."""
    from portal.models import Role, RoleAssignment

    college_id = record.student.college_id
    roles = RoleAssignment.objects.current().filter(user__is_active=True)
    staff_ids = set(roles.filter(role__in=(Role.AID_OFFICER, Role.CENTRE_COUNSELLOR)).values_list("user_id", flat=True))
    staff_ids |= set(
        roles.filter(role__in=(Role.AID_REVIEWER, Role.STATION_COUNSELLOR), college_id=college_id).values_list(
            "user_id", flat=True
        )
    )
    team_ids = {record.trip.leader_id, *record.trip.members.values_list("pk", flat=True)}
    return list(User.objects.filter(pk__in=staff_ids | team_ids, is_active=True).order_by("username"))


def _referral_key(record: VisitRecord) -> uuid.UUID:
    """One counselling referral per visit record, however often the follow-up form is sent."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"nuanxin:homevisits:record:{record.pk}:referral")


def _my_follow_ups_url() -> str:
    return reverse("homevisits:my_follow_ups")


@transaction.atomic
def follow_up_add(
    *, actor: User, record: VisitRecord, kind: str, title: str, note: str, owner: User, due_on: date
) -> FollowUp:
    """A follow-up of a visit, owned by someone from `follow_up_owner_candidates`. Caller has checked
    "add_follow_up". Kinds other than a plain task open an item through aid's or counselling's services:
    an identification review request, a temporary hardship draft application, a referral (level-1 report).
    The owner is told. Sending the same follow-up twice (same kind, title, owner, due date, still open)
    returns the first."""
    title = _clean(title, limit=200)
    note = _clean(note, limit=NOTE_MAX)
    if not title:
        raise DomainError(_("Say what has to be done."))
    if kind not in FollowUp.Kind.values:
        raise DomainError(_("Choose the kind of follow-up."))
    if kind != FollowUp.Kind.TASK and not note:
        raise DomainError(_("Add a note: it goes with the request to aid or counselling."))
    if due_on < timezone.localdate():
        raise DomainError(_("The due date cannot be in the past."))
    if owner.pk not in {u.pk for u in follow_up_owner_candidates(record)}:
        raise DomainError(_("Choose an owner from the trip team, aid staff or counselling staff."))
    VisitRecord.objects.select_for_update().filter(pk=record.pk).first()
    duplicate = FollowUp.objects.filter(
        record=record, kind=kind, title=title, owner=owner, due_on=due_on, status=FollowUp.Status.OPEN
    ).first()
    if duplicate is not None:
        return duplicate
    student = record.student
    linked = ""
    if kind == FollowUp.Kind.IDENTIFICATION_REVIEW:
        from aid.services.identification import identification_review_request

        identification = identification_review_request(actor=actor, student=student, note=note)
        linked = f"aid.identification:{identification.pk}" if identification is not None else ""
    elif kind == FollowUp.Kind.TEMPORARY_HARDSHIP:
        from aid.services.funds import temporary_hardship_open

        application = temporary_hardship_open(actor=actor, student=student, note=note)
        linked = f"aid.application:{application.pk}"
    elif kind == FollowUp.Kind.COUNSELLING_REFERRAL:
        from counseling.services.crisis import referral_from_home_visit

        report = referral_from_home_visit(
            actor=actor, student=student, note=note, idempotency_key=_referral_key(record)
        )
        linked = f"counseling.report:{report.pk}"
    follow_up = FollowUp.objects.create(
        record=record, kind=kind, title=title, note=note, owner=owner, due_on=due_on, linked=linked, created_by=actor
    )
    audit_log(
        actor=actor,
        action="follow_up.created",
        obj=follow_up,
        changes={"record": record.pk, "kind": kind, "owner": owner.pk, "linked": linked},
    )
    with override(settings.LANGUAGE_CODE):
        subject = _("A home-visit follow-up is yours: %(title)s (due %(due)s)") % {"title": title, "due": due_on}
    notify(
        recipient=owner,
        title=subject,
        url=_my_follow_ups_url(),
        dedupe_key=f"homevisits:followup:{follow_up.pk}:assigned",
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, actor: User, follow_up: FollowUp) -> FollowUp:
    """open → done. Caller has checked "complete"."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status != FollowUp.Status.OPEN:
        raise DomainError(_("This follow-up is already %(s)s.") % {"s": follow_up.get_status_display()})
    follow_up.status = FollowUp.Status.DONE
    follow_up.done_at = timezone.now()
    follow_up.save(update_fields=["status", "done_at"])
    audit_log(actor=actor, action="follow_up.done", obj=follow_up, changes={"from": "open", "to": "done"})
    return follow_up


def follow_ups_remind(*, today: date | None = None) -> int:
    """Daily: tell owners of open follow-ups due today, and once more when they are overdue.
    Each message has a dedupe key (follow-up and occasion), so running this twice sends nothing twice."""
    today = today or timezone.localdate()
    sent = 0
    open_ups = FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_on__lte=today, owner__is_active=True)
    with override(settings.LANGUAGE_CODE):
        for follow_up in open_ups.select_related("owner").order_by("pk").iterator():
            if follow_up.due_on == today:
                occasion = "due"
                title = _("A home-visit follow-up is due today: %(title)s") % {"title": follow_up.title}
            else:
                occasion = "overdue"
                title = _("A home-visit follow-up is overdue (due %(due)s): %(title)s") % {
                    "due": follow_up.due_on,
                    "title": follow_up.title,
                }
            notify(
                recipient=follow_up.owner,
                title=title,
                url=_my_follow_ups_url(),
                dedupe_key=f"homevisits:followup:{follow_up.pk}:{occasion}",
            )
            sent += 1
    return sent
