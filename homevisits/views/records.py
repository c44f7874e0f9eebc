"""Views of visit records made in the field, their drafts, photos and follow-ups. Thin: access → form →
service → redirect. Outside the user's scope → 404; visible but not allowed → 403."""

from __future__ import annotations

import json
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from homevisits import access as hv_access
from homevisits.forms.records import FollowUpForm, PhotoForm, VisitRecordForm
from homevisits.models import FollowUp, TripStudent, VisitPhoto, VisitRecord
from homevisits.selectors.records import (
    draft_data,
    draft_for,
    follow_ups_owned_by,
    record_for_trip_student,
    trip_student_for,
)
from homevisits.services.records import (
    NEEDS,
    RECORD_FIELDS,
    follow_up_add,
    follow_up_complete,
    follow_up_owner_candidates,
    visit_draft_save,
    visit_photo_add,
    visit_record_create,
)
from portal import access
from portal.services import DomainError

__all__ = [
    "draft_save",
    "follow_up_add_view",
    "follow_up_done",
    "my_follow_ups",
    "photo",
    "photo_add",
    "record_detail",
    "record_new",
]


def _storage_key(trip_student_id: int) -> str:
    return f"nuanxin:visit-draft:{trip_student_id}"


def _writable_trip_student(request: HttpRequest, pk: int):
    trip_student = trip_student_for(request.user, pk)
    if not hv_access.may_write_records(request.user, trip_student.trip):
        raise PermissionDenied
    return trip_student


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit form for one planned student (pk: TripStudent)."""
    trip_student = _writable_trip_student(request, pk)
    existing = record_for_trip_student(trip_student)
    if existing is not None and request.method == "GET":
        return redirect("homevisits:record_detail", pk=existing.pk)
    draft = draft_for(request.user, trip_student)
    if request.method == "POST":
        form = VisitRecordForm(request.POST)
        if form.is_valid():
            try:
                record, created = visit_record_create(
                    actor=request.user,
                    trip_student=trip_student,
                    data={k: form.cleaned_data.get(k) for k in RECORD_FIELDS},
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                if created:
                    messages.success(request, _("The visit record was saved."))
                else:
                    messages.info(request, _("This visit record had already been saved."))
                return redirect("homevisits:record_detail", pk=record.pk)
        else:
            messages.error(request, _("The record was not saved: correct the fields marked below."))
    else:
        initial = {k: v for k, v in draft_data(draft).items() if k in (*RECORD_FIELDS, "idempotency_key")}
        form = VisitRecordForm(initial=initial)
    return render(
        request,
        "homevisits/record_form.html",
        {
            "form": form,
            "trip_student": trip_student,
            "trip": trip_student.trip,
            "student": trip_student.student,
            "storage_key": _storage_key(trip_student.pk),
            "draft_saved_at": int(draft.updated_at.timestamp() * 1000) if draft else 0,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def draft_save(request: HttpRequest, pk: int) -> JsonResponse:
    """Keep the author's draft (pk: TripStudent). Accepts the form's fields, form-encoded or as JSON."""
    trip_student = _writable_trip_student(request, pk)
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"ok": False, "error": _("The draft could not be read.")}, status=400)
        if not isinstance(data, dict):
            return JsonResponse({"ok": False, "error": _("The draft could not be read.")}, status=400)
    else:
        data = {k: (request.POST.getlist(k) if k == "needs" else request.POST.get(k)) for k in request.POST}
    try:
        draft = visit_draft_save(actor=request.user, trip_student=trip_student, data=data)
    except DomainError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    return JsonResponse({"ok": True, "saved_at": int(draft.updated_at.timestamp() * 1000)})


@login_required
@require_GET
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access.get_for_user(
        request.user, VisitRecord.objects.select_related("trip", "student", "created_by"), pk=pk
    )
    may_write = hv_access.may_write_records(request.user, record.trip)
    trip_student = TripStudent.objects.filter(trip_id=record.trip_id, student_id=record.student_id).first()
    context = {
        "record": record,
        "photos": record.photos.order_by("pk"),
        "follow_ups": record.follow_ups.select_related("owner").order_by("due_on", "pk"),
        "may_write": may_write,
        "photo_form": PhotoForm() if may_write else None,
        "follow_up_form": FollowUpForm(owners=follow_up_owner_candidates(record)) if may_write else None,
        "storage_key": _storage_key(trip_student.pk) if trip_student else "",
        "needs": [label for code, label in NEEDS if code in record.needs],
    }
    return render(request, "homevisits/record_detail.html", context)


@login_required
@require_POST
def photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    record = access.get_for_user(
        request.user, VisitRecord.objects.select_related("trip"), action="add_photo", pk=pk, audit=False
    )
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo and record that the family agreed to it."))
    else:
        try:
            visit_photo_add(
                actor=request.user,
                record=record,
                upload=form.cleaned_data["image"],
                consent=form.cleaned_data["consent"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The photo was added; its location data was removed."))
    return redirect("homevisits:record_detail", pk=record.pk)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo from private media, for those who may see its record (each view audited)."""
    item = access.get_for_user(request.user, VisitPhoto, pk=pk)
    try:
        handle = item.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(item.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def follow_up_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = access.get_for_user(
        request.user, VisitRecord.objects.select_related("trip", "student"), action="add_follow_up", pk=pk, audit=False
    )
    form = FollowUpForm(request.POST, owners=follow_up_owner_candidates(record))
    if not form.is_valid():
        messages.error(request, _("The follow-up was not added: %(errors)s") % {"errors": _errors_text(form)})
    else:
        try:
            follow_up_add(actor=request.user, record=record, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The follow-up was added and its owner told."))
    return redirect("homevisits:record_detail", pk=record.pk)


def _errors_text(form: FollowUpForm) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items() if name in form.fields
    )


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = access.get_for_user(
        request.user, FollowUp.objects.select_related("record__trip"), action="complete", pk=pk
    )
    try:
        follow_up_complete(actor=request.user, follow_up=follow_up)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The follow-up is done."))
    nxt = request.POST.get("next", "")
    if nxt == "record" and hv_access.may_see_record(request.user, follow_up.record_id):
        return redirect("homevisits:record_detail", pk=follow_up.record_id)
    return redirect("homevisits:my_follow_ups")


@login_required
@require_GET
def my_follow_ups(request: HttpRequest) -> HttpResponse:
    """The signed-in user's follow-ups: title, due date, student, what it opened; a link to the record only
    when they may see it."""
    include_done = request.GET.get("all") == "1"
    items = list(follow_ups_owned_by(request.user, include_done=include_done)[:500])
    visible_records = set(
        access.visible(request.user, VisitRecord)
        .filter(pk__in={f.record_id for f in items})
        .values_list("pk", flat=True)
    )
    today = timezone.localdate()
    return render(
        request,
        "homevisits/follow_ups.html",
        {"items": items, "visible_records": visible_records, "today": today, "include_done": include_done},
    )
