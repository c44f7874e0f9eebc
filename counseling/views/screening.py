"""Screening: a student's PHQ-9/GAD-7 self-screening and results, freshman campaigns (心理普查) for the
centre and the stations, interview invitations (邀约) and their answers.

Results are seen by the student and by the counsellors in scope only (counseling.access.screening):
aid staff, the home-visit team and student roles get 403 on the staff pages and 404 on any result.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import instruments
from counseling.access import screening as screening_access
from counseling.access import screening_care as care_access
from counseling.forms.screening import CampaignForm, InvitationAcceptForm, InvitationForm, ScreeningForm
from counseling.forms.screening_care import OutcomeForm, ReopenForm
from counseling.models import Instrument, Invitation, ScreeningResult
from counseling.selectors import screening as selectors
from counseling.selectors import screening_care as care_selectors
from counseling.selectors.instruments import definitions_by_code
from counseling.services import screening as services
from portal import access
from portal.audit import audit_log
from portal.models import Student, User
from portal.services import DomainError


def booking_url() -> str:
    """Where "book a talk" goes: the appointments page once it exists, else the counselling home."""
    try:
        return reverse("counseling:slots")
    except NoReverseMatch:
        return reverse("counseling:index")


def _own_student(user: User) -> Student:
    student = selectors.student_of(user)
    if student is None:
        raise PermissionDenied
    return student


def _require_campaign_staff(user: User) -> None:
    if not screening_access.may_follow_campaigns(user):
        raise PermissionDenied


# --- The student's side ------------------------------------------------------------------------------------


@login_required
@require_GET
def screening_mine(request: HttpRequest) -> HttpResponse:
    """My screenings: open campaigns, the two questionnaires, my results and invitations."""
    student = _own_student(request.user)
    return render(
        request,
        "counseling/screening/mine.html",
        {
            "campaigns": selectors.open_campaigns_for(student),
            "questionnaires": instruments.available_definitions(),
            "results": selectors.my_results(student)[:50],
            "invitations": selectors.my_invitations(student)[:20],
            "retests": care_selectors.my_retests_waiting(student),
            "booking_url": booking_url(),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def screening_take(request: HttpRequest, instrument: str) -> HttpResponse:
    """The questionnaire on one page. Bad input comes back with a message and nothing is saved."""
    definition = next((d for d in instruments.available_definitions() if d.code == instrument), None)
    if definition is None:
        raise Http404
    student = _own_student(request.user)
    campaign = selectors.campaign_pending_for(student, instrument)
    form = ScreeningForm(
        request.POST if request.method == "POST" else None, instrument=instrument, definition=definition
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.screening_submit(
                student=student,
                instrument=instrument,
                answers=form.answers(),
                idempotency_key=form.cleaned_data["idempotency_key"],
                campaign=campaign,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("counseling:screening_result", pk=result.pk)
    return render(
        request,
        "counseling/screening/take.html",
        {
            "form": form,
            "spec": definition,
            "title": definition.title.pick(),
            "stem": definition.stem.pick(),
            "campaign": campaign,
        },
    )


@login_required
@require_GET
def screening_result(request: HttpRequest, pk: int) -> HttpResponse:
    """The student's own result: the band in kind words, booking and the hotlines, always."""
    result = selectors.result_for_owner(request.user, pk)  # 404 for anyone but the student; audited
    definition = instruments.definition_of(result)  # the version it was scored with
    try:
        outcome = definition.score(result.answers)
    except instruments.ScoringError:  # a row that never went through the service (an import): show it plainly
        outcome = None
    item9 = instruments.item9(result.instrument, result.answers)
    band = definition.band(result.band)
    shipped = result.instrument in Instrument.values
    # A loaded instrument's urgent rules speak in their own kind words (PHQ-9 item 9 keeps its reviewed text).
    urgent_messages = [m.pick() for m in outcome.messages] if outcome and not shipped else []
    return render(
        request,
        "counseling/screening/result.html",
        {
            "result": result,
            "spec": definition,
            "item9": item9,
            "urgent_messages": urgent_messages,
            "urgent": outcome is not None and outcome.level is not None and outcome.level >= 3,
            "band_message": band.message.pick() if band and band.message else "",
            "band_label": band.label.pick() if band else result.band,
            "shipped": shipped,
            "positive": instruments.result_is_positive(result),
            "booking_url": booking_url(),
            "campaigns": selectors.open_campaigns_for(result.student),
        },
    )


# --- Invitations: the student's answer ---------------------------------------------------------------------


def _invitation_for_answer(request: HttpRequest, pk: int) -> Invitation:
    """404 outside the user's scope; 403 for a counsellor in scope: only the student answers."""
    invitation = selectors.invitation_for_student(request.user, pk)
    if invitation.student.user_id != request.user.pk or not access.can(request.user, "respond", invitation):
        raise PermissionDenied
    return invitation


def _slots_for(user: User, student: Student):
    from counseling.selectors.appointments import slots_open_for_booking  # the appointments area

    return slots_open_for_booking(user, student=student)  # the configured booking window


def _invitation_page(
    request: HttpRequest, invitation: Invitation, form: InvitationAcceptForm | None = None, status: int = 200
) -> HttpResponse:
    if form is None and invitation.status == Invitation.Status.INVITED:
        form = InvitationAcceptForm(slots=_slots_for(request.user, invitation.student))
    return render(
        request,
        "counseling/screening/invitation.html",
        {"invitation": invitation, "form": form, "booking_url": booking_url()},
        status=status,
    )


@login_required
@require_GET
def invitation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _invitation_page(request, _invitation_for_answer(request, pk))


@login_required
@require_POST
def invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_for_answer(request, pk)
    if invitation.status != Invitation.Status.INVITED:
        messages.error(request, _("This invitation has already been answered."))
        return redirect("counseling:invitation_detail", pk=invitation.pk)
    form = InvitationAcceptForm(request.POST, slots=_slots_for(request.user, invitation.student))
    if form.is_valid():
        try:
            services.invitation_accept(
                actor=request.user,
                invitation=invitation,
                slot=form.cleaned_data["slot"],
                consent=form.cleaned_data["consent"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you. Your talk is booked."))
            return redirect("counseling:invitation_detail", pk=invitation.pk)
    return _invitation_page(request, invitation, form)


@login_required
@require_POST
def invitation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_for_answer(request, pk)
    try:
        services.invitation_decline(actor=request.user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you for letting us know. You can still book a talk whenever you wish."))
    return redirect("counseling:invitation_detail", pk=invitation.pk)


# --- Staff: campaigns ------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    _require_campaign_staff(request.user)
    return render(
        request,
        "counseling/screening/campaign_list.html",
        {
            "campaigns": selectors.campaigns_for_staff(request.user)[:100],
            "may_manage": screening_access.may_manage_campaigns(request.user),
            "today": timezone.localdate(),
        },
    )


def _enrolment_years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - 6, -1))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not screening_access.may_manage_campaigns(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST if request.method == "POST" else None, years=_enrolment_years())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=request.user,
                title=data["title"],
                enrolment_year=data["enrolment_year"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                instruments_chosen=data["instruments"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The campaign is open. Its students will be reminded every few days."))
            return redirect("counseling:campaign_detail", pk=campaign.pk)
    return render(request, "counseling/screening/campaign_form.html", {"form": form})


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion per college and class (the station sees its college), with a chart."""
    _require_campaign_staff(request.user)
    campaign = selectors.campaign_for_staff(request.user, pk)
    completion = selectors.campaign_completion(request.user, campaign)
    found = definitions_by_code(list(campaign.instruments))
    return render(
        request,
        "counseling/screening/campaign_detail.html",
        {
            "campaign": campaign,
            "completion": completion,
            "chart": completion["chart"],
            "instrument_names": [found[c].name for c in campaign.instruments if c in found],
            "school_wide": screening_access.screening_scope_q(request.user) == access.EVERYTHING,
            # The lifecycle, the summary and the exports (counseling.views.screening_care).
            "may_manage": screening_access.may_manage_campaigns(request.user),
            "may_export_positives": care_access.may_export_positives(request.user),
            "is_open": campaign.is_open(),
            "has_opened": campaign.opens_on <= timezone.localdate(),
            "reopen_form": ReopenForm(),
        },
    )


@login_required
@require_GET
def campaign_positives(request: HttpRequest, pk: int) -> HttpResponse:
    """Positive screens of the campaign in the user's scope, to invite to an interview."""
    _require_campaign_staff(request.user)
    campaign = selectors.campaign_for_staff(request.user, pk)
    rows = care_selectors.attach_outcomes(campaign, selectors.campaign_positives(request.user, campaign))
    # A list of results is a read of results: one audit entry naming the students shown.
    audit_log(
        actor=request.user,
        action="read",
        object_type="counseling.screeningcampaign.positives",
        object_id=campaign.pk,
        changes={"students": [row.student.pk for row in rows]},
    )
    return render(
        request,
        "counseling/screening/campaign_positives.html",
        {"campaign": campaign, "rows": rows, "form": InvitationForm(), "outcome_form": OutcomeForm()},
    )


@login_required
@require_POST
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite the student of a positive result (404 outside the scope, 403 for the student themself)."""
    result: ScreeningResult = access.get_for_user(
        request.user, ScreeningResult.objects.select_related("student"), action="invite", pk=pk
    )
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was sent: the message is too long or contains invalid characters."))
    else:
        try:
            services.invitation_create(actor=request.user, result=result, message=form.cleaned_data["message"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The invitation was sent."))
    if result.campaign_id and screening_access.may_follow_campaigns(request.user):
        return redirect("counseling:campaign_positives", pk=result.campaign_id)
    return redirect("counseling:care_file", pk=result.student_id)
