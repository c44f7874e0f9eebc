"""Supervised session notes: the note page (draft, signature, amendments, co-signature) and the supervisor's
queue.

Access: only counsellors reach these views (students, aid and home-visit staff, admins: 404). The booking is
looked up in the user's scope (404 outside it); the note is readable by its author and centre counsellors
(404 for anyone else); each action is refused with 403 to someone who may read the note but not act on it
(a centre counsellor signing another's note, a counsellor co-signing a trainee they do not supervise). Every
read of a note is audited by the selector; actions read the note without decrypting it for display.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import selectors, services
from counseling.access import appointments as appt_access
from counseling.access.session_notes import is_trainee, may_cosign
from counseling.forms.session_notes import AmendmentForm, SessionNoteForm
from counseling.models import Booking, NoteFormat, SessionNote
from counseling.selectors.session_notes import ENCRYPTED_NOTE_FIELDS
from counseling.session_note_rules import cosign_overdue_after, session_note_format
from portal.forms import form_errors_text
from portal.models import User
from portal.services import DomainError


def _booking_or_404(user: User, pk: int) -> Booking:
    if not appt_access.is_counsellor_user(user):
        raise Http404
    return selectors.booking_for(user, pk)


def _note_to_act_on(user: User, booking: Booking) -> SessionNote:
    """The note, for an action: 404 when there is none or the user may not read it; its text not decrypted."""
    note = SessionNote.objects.filter(booking=booking).defer(*ENCRYPTED_NOTE_FIELDS).first()
    if note is None or not appt_access.may_read_session_note(user, note):
        raise Http404
    return note


@login_required
@require_http_methods(["GET", "POST"])
def session_note(request: HttpRequest, pk: int) -> HttpResponse:
    """The note of one session: the counsellor who held it writes the draft and signs it; afterwards the
    author adds amendments and the trainee's supervisor co-signs. Centre counsellors read it."""
    user = request.user
    booking = _booking_or_404(user, pk)
    is_holder = booking.slot.counsellor_id == user.pk
    note = selectors.session_note_for(user, booking)
    if note is None and not is_holder:
        raise Http404
    may_edit = is_holder and (note is None or (note.author_id == user.pk and not note.is_locked))
    note_format = note.format if note is not None else session_note_format()
    initial = {name: getattr(note, name) for name in ENCRYPTED_NOTE_FIELDS} if note else {}
    form = SessionNoteForm(request.POST or None, note_format=note_format, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.session_note_save(
                    actor=user, booking=booking, body=form.cleaned_data.get("body", ""), sections=form.sections()
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Draft saved. Sign it when it is complete."))
                return redirect("counseling:session_note", pk=booking.pk)
        else:
            messages.error(request, form_errors_text(form))
    is_author = note is not None and note.author_id == user.pk
    context = {
        "booking": booking,
        "note": note,
        "note_format_label": NoteFormat(note_format).label,
        "form": form,
        "may_edit": may_edit,
        "may_sign": is_author and not note.is_locked,
        "author_is_trainee": is_trainee(note.author) if note is not None else is_trainee(user),
        "amendment_form": AmendmentForm() if is_author and note.is_locked else None,
        "may_cosign": note is not None and note.status == SessionNote.Status.AWAITING_COSIGN and may_cosign(user, note),
    }
    return render(request, "counseling/session_notes/note.html", context)


@login_required
@require_POST
def session_note_sign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    note = _note_to_act_on(user, _booking_or_404(user, pk))
    if note.author_id != user.pk:
        raise PermissionDenied
    try:
        note = services.session_note_sign(actor=user, note=note)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if note.status == SessionNote.Status.AWAITING_COSIGN:
            messages.success(request, _("Note signed and locked. It now waits for your supervisor's co-signature."))
        else:
            messages.success(request, _("Note signed and locked. Later changes are added as amendments."))
    return redirect("counseling:session_note", pk=pk)


@login_required
@require_POST
def session_note_amend(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    note = _note_to_act_on(user, _booking_or_404(user, pk))
    if note.author_id != user.pk:
        raise PermissionDenied
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("counseling:session_note", pk=pk)
    try:
        services.session_note_amend(
            actor=user,
            note=note,
            text=form.cleaned_data["text"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Amendment added."))
    return redirect("counseling:session_note", pk=pk)


@login_required
@require_POST
def session_note_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    note = _note_to_act_on(user, _booking_or_404(user, pk))
    if not may_cosign(user, note):
        raise PermissionDenied
    try:
        services.session_note_cosign(actor=user, note=note)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Note co-signed."))
    return redirect("counseling:cosign_queue")


@login_required
@require_GET
def cosign_queue(request: HttpRequest) -> HttpResponse:
    """The supervisor's queue: their trainees' signed notes waiting for co-signature, overdue ones marked."""
    notes = list(selectors.notes_awaiting_my_cosign(request.user))
    return render(
        request,
        "counseling/session_notes/queue.html",
        {
            "notes": notes,
            "overdue_count": sum(1 for n in notes if n.overdue),
            "overdue_hours": int(cosign_overdue_after().total_seconds() // 3600),
        },
    )
