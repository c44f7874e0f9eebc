"""Work-study (勤工助学): posts, applications and placement, monthly hours and the supervisor's sign-off.

Who may open what:
- posts (the index): students (open posts, their applications and hours), supervisors (their posts and
  the hours waiting for them), aid staff (every post). Everyone else: 403.
- new / edit a post: aid officers. Apply: students. Place, turn down, end: aid officers and the post's
  supervisor. Withdraw: the applicant.
- a timesheet: the student enters it; the supervisor, the college's aid reviewer and officers read it;
  only the supervisor signs it off or returns it.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aid import access
from aid.forms.workstudy import DecisionForm, MonthForm, PostForm, ReturnForm, TimesheetForm, week_field_name
from aid.models import Timesheet, WorkStudyPlacement, WorkStudyPost
from aid.selectors import workstudy as selectors
from aid.selectors.fiveaid import fiveaid_current_year
from aid.services import workstudy as services
from portal import access as portal_access
from portal.kernel.dates import month_start
from portal.kernel.workflow import available_moves
from portal.services import DomainError

T = "aid/workstudy/"


@login_required
@require_GET
def workstudy_posts(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_use_workstudy(user):
        raise PermissionDenied
    year = fiveaid_current_year()
    return render(
        request,
        T + "posts.html",
        {
            "posts": list(selectors.workstudy_posts(user, year=year)),
            "year": year,
            "mine": selectors.workstudy_my_placements(user) if access.workstudy_student_of(user) else [],
            "to_sign": list(selectors.workstudy_timesheets_to_sign(user)),
            "may_manage": access.may_manage_workstudy_posts(user) and year is not None,
            "is_student": access.workstudy_student_of(user) is not None,
        },
    )


def _post_form_view(request: HttpRequest, post: WorkStudyPost | None) -> HttpResponse:
    user = request.user
    if not access.may_manage_workstudy_posts(user):
        raise PermissionDenied
    year = post.year if post else fiveaid_current_year()
    if year is None:
        messages.warning(request, _("There is no academic year yet."))
        return redirect("aid:workstudy_posts")
    initial = {}
    if post is not None:
        initial = {
            "unit": post.unit,
            "title": post.title,
            "kind": post.kind,
            "hourly_rate": post.hourly_rate,
            "hours_per_month": post.hours_per_month,
            "openings": post.openings,
            "supervisor": post.supervisor_id,
            "active": post.active,
        }
    form = PostForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.workstudy_post_save(actor=user, post=post, year=year, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The post is saved."))
                return redirect("aid:workstudy_post_detail", saved.pk)
        messages.error(request, _("Nothing was saved: see the form below."))
    minimums = {
        "temporary": services.workstudy_minimum_rate(WorkStudyPost.Kind.TEMPORARY),
        "fixed": services.workstudy_minimum_rate(WorkStudyPost.Kind.FIXED),
    }
    return render(request, T + "post_form.html", {"form": form, "post": post, "minimums": minimums})


@login_required
@require_http_methods(["GET", "POST"])
def workstudy_post_new(request: HttpRequest) -> HttpResponse:
    return _post_form_view(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def workstudy_post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = portal_access.get_for_user(request.user, WorkStudyPost, action="edit", pk=pk)
    return _post_form_view(request, post)


@login_required
@require_GET
def workstudy_post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    post = portal_access.get_for_user(user, WorkStudyPost.objects.select_related("supervisor"), pk=pk)
    placements = list(selectors.workstudy_post_placements(user, post))
    mine = next((p for p in placements if p.student.user_id == user.pk), None)
    return render(
        request,
        T + "post_detail.html",
        {
            "post": post,
            "placements": [p for p in placements if p.student.user_id != user.pk],
            "mine": mine,
            "may_apply": portal_access.can(user, "apply", post) and (mine is None or mine.status == "withdrawn"),
            "may_decide": access.may_manage_workstudy_posts(user) or post.supervisor_id == user.pk,
            "may_edit": portal_access.can(user, "edit", post),
            "placed_count": sum(1 for p in placements if p.status == WorkStudyPlacement.Status.PLACED),
        },
    )


@login_required
@require_POST
def workstudy_apply(request: HttpRequest, pk: int) -> HttpResponse:
    post = portal_access.get_for_user(request.user, WorkStudyPost, action="apply", pk=pk)
    try:
        _placement, created = services.workstudy_apply(actor=request.user, post=post)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, _("Your application is sent."))
        else:
            messages.info(request, _("You have already applied for this post."))
    return redirect("aid:workstudy_post_detail", post.pk)


def _placement(request: HttpRequest, pk: int, action: str) -> WorkStudyPlacement:
    qs = WorkStudyPlacement.objects.select_related("post", "student")
    return portal_access.get_for_user(request.user, qs, action=action, pk=pk)


@login_required
@require_POST
def workstudy_decide(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, "decide")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the application."))
    else:
        try:
            services.workstudy_decide(actor=request.user, placement=placement, decision=form.cleaned_data["decision"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
    return redirect("aid:workstudy_post_detail", placement.post_id)


@login_required
@require_POST
def workstudy_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, "withdraw")
    try:
        services.workstudy_withdraw(actor=request.user, placement=placement)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("aid:workstudy_post_detail", placement.post_id)


def _month(request: HttpRequest) -> date:
    this_month = month_start(timezone.localdate())
    form = MonthForm(request.GET or None)
    if form.is_bound:
        if not form.is_valid() or form.cleaned_data["month"] is None:
            messages.warning(request, _("That is not a month we can show; showing this month instead."))
        elif form.cleaned_data["month"] > this_month:
            messages.warning(request, _("That month has not begun; showing this month instead."))
        else:
            return month_start(form.cleaned_data["month"])
    return this_month


@login_required
@require_http_methods(["GET", "POST"])
def workstudy_timesheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The month's hours of one placement (?month=YYYY-MM): the student enters, others read."""
    user = request.user
    placement = portal_access.get_for_user(
        user, WorkStudyPlacement.objects.select_related("post", "post__supervisor", "student"), pk=pk
    )
    month = _month(request)
    weeks = services.weeks_of_month(month)
    timesheet = (
        Timesheet.objects.filter(placement=placement, month=month)
        .select_related("signed_by", "placement__post", "placement__student")
        .first()
    )
    # What this user may do with the month's hours: the moves Timesheet.flow offers them (enter and submit: the
    # student, while the hours are a draft or returned; sign off or return: the post's supervisor).
    if timesheet is None:
        moves: set[str] = set()
        may_enter = portal_access.can(user, "enter_hours", placement)
    else:
        moves = {m.to for m in available_moves(timesheet, user)}
        may_enter = Timesheet.Status.SUBMITTED in moves
    if request.method == "POST" and not may_enter:
        raise PermissionDenied
    initial = {}
    if timesheet is not None:
        initial = {week_field_name(m): (timesheet.weekly_hours or {}).get(m.isoformat(), "") for m in weeks}
    form = TimesheetForm(request.POST or None, weeks=weeks, month=month, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                services.timesheet_save(
                    actor=user, placement=placement, month=month, weekly_hours=form.hours(), submit=submit
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Your hours are submitted to your supervisor.") if submit else _("Your hours are saved.")
                )
                return redirect(f"{request.path}?month={month:%Y-%m}")
        messages.error(request, _("Nothing was saved: see the form below."))
    return render(
        request,
        T + "timesheet.html",
        {
            "placement": placement,
            "post": placement.post,
            "month": month,
            "month_param": f"{month:%Y-%m}",
            "timesheet": timesheet,
            "form": form,
            "may_enter": may_enter,
            "may_sign": Timesheet.Status.SIGNED_OFF in moves,
            "return_form": ReturnForm(),
            "week_rows": [(m, (timesheet.weekly_hours or {}).get(m.isoformat(), "")) for m in weeks]
            if timesheet
            else [],
        },
    )


@login_required
@require_POST
def workstudy_timesheet_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign off (or return) a submitted timesheet: the post's supervisor only."""
    user = request.user
    timesheet = portal_access.get_for_user(
        user, Timesheet.objects.select_related("placement__post", "placement__student"), pk=pk
    )
    if not access.may_sign_off_timesheet(user, timesheet):
        raise PermissionDenied
    back = redirect(f"{_timesheet_url(timesheet)}?month={timesheet.month:%Y-%m}")
    if "return" in request.POST:
        form = ReturnForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say briefly what should be corrected (500 characters at most)."))
            return back
        try:
            services.timesheet_return(actor=user, timesheet=timesheet, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The hours are returned to the student."))
        return back
    try:
        services.timesheet_sign_off(actor=user, timesheet=timesheet)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The hours are signed off."))
    return back


def _timesheet_url(timesheet: Timesheet) -> str:
    return reverse("aid:workstudy_timesheet", args=[timesheet.placement_id])
