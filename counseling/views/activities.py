"""Events (sign-up, waitlist, check-in), the coverage report and the e-journal 《心之专列》.

Views are thin: access (portal.access: 404 outside the scope, 403 when the action is not allowed) →
form → service → redirect, or a partial for htmx. A refused change (DomainError) comes back as a
message or a form error, never a 500. Every change is POST only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import selectors, services
from counseling.academic_year import academic_year_of
from counseling.access.activities import may_manage_events, may_manage_journal, may_see_coverage, student_of
from counseling.forms.activities import (
    CheckinCodeForm,
    CheckinSearchForm,
    CoverageYearForm,
    EventForm,
    JournalArticleForm,
    JournalImageForm,
    JournalIssueForm,
)
from counseling.models import Event, EventSignup, JournalArticle, JournalImage, JournalIssue
from portal import access
from portal.access import colleges_for, has_role, is_admin
from portal.kernel.spreadsheets import append_row, xlsx_response
from portal.models import College, Role, Student, User
from portal.services import DomainError

CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = 10 * 60  # seconds
T = "counseling/activities/"


# --- Events: lists and pages ---------------------------------------------------------------------------


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """Students: the events open to them and their past ones. Staff: the events they may see."""
    user = request.user
    student = student_of(user)
    manager = may_manage_events(user)
    context = {
        "student": student,
        "may_manage": manager,
        "may_see_coverage": may_see_coverage(user),
        "upcoming": list(selectors.events_for_student(student)) if student else [],
        "past": list(selectors.events_for_student(student, past=True)[:20]) if student else [],
        "staff_upcoming": list(selectors.events_for_staff(user)) if manager else [],
        "staff_past": list(selectors.events_for_staff(user, past=True)[:50]) if manager else [],
    }
    return render(request, T + "event_list.html", context)


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    event = access.get_for_user(user, Event, pk=pk)
    student = student_of(user)
    signup = selectors.event_my_signup(event, student)
    now = timezone.now()
    manage = access.can(user, "manage", event)
    seated = event.signups.filter(status__in=(EventSignup.Status.SIGNED_UP, EventSignup.Status.ATTENDED)).count()
    waiting = event.signups.filter(status=EventSignup.Status.WAITLISTED).count()
    context = {
        "event": event,
        "signup": signup,
        "student": student,
        "may_manage": manage,
        "seated": seated,
        "waiting": waiting,
        "free": max(event.capacity - seated, 0),
        "signup_open": not event.cancelled and event.signup_opens_at <= now < event.signup_closes_at,
        "checkin_open": not event.cancelled
        and event.starts_at - services.CHECKIN_GRACE <= now <= event.ends_at + services.CHECKIN_GRACE,
        "code_form": CheckinCodeForm(),
        "colleges": list(event.colleges.all()) if event.audience == Event.Audience.COLLEGES else [],
    }
    return render(request, T + "event_detail.html", context)


def _event_form(request: HttpRequest, user: User, *, initial: dict | None = None) -> EventForm:
    if has_role(user, Role.CENTRE_COUNSELLOR) or is_admin(user):
        colleges, invitable = College.objects.all(), Student.objects.all()
    else:
        own = colleges_for(user, Role.STATION_COUNSELLOR)
        colleges, invitable = College.objects.filter(pk__in=own), Student.objects.filter(college_id__in=own)
    return EventForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        colleges=colleges.order_by("name"),
        invitable=invitable,
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_manage_events(user):
        raise PermissionDenied
    form = _event_form(request, user)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(actor=user, data=form.event_data())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Event created."))
            return redirect("counseling:event_detail", pk=event.pk)
    return render(request, T + "event_form.html", {"form": form, "event": None})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    event = access.get_for_user(user, Event, action="manage", pk=pk)
    form = _event_form(request, user, initial=EventForm.initial_for(event))
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(actor=user, event=event, data=form.event_data())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Event saved."))
            return redirect("counseling:event_detail", pk=event.pk)
    return render(request, T + "event_form.html", {"form": form, "event": event})


@login_required
@require_POST
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_for_user(request.user, Event, action="manage", pk=pk)
    try:
        services.event_cancel(actor=request.user, event=event)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event was cancelled; everyone signed up was told."))
    return redirect("counseling:event_detail", pk=event.pk)


# --- Events: the student's side ------------------------------------------------------------------------


def _own_student(user: User) -> Student:
    """Signing up and checking in by code are a student's own acts: admins pass every access rule but
    have no student record, so they are refused here too."""
    student = student_of(user)
    if student is None:
        raise PermissionDenied
    return student


@login_required
@require_POST
def event_signup(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_for_user(request.user, Event, action="sign_up", pk=pk)
    student = _own_student(request.user)
    try:
        signup = services.event_signup(student=student, event=event)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if signup.status == EventSignup.Status.SIGNED_UP:
            messages.success(request, _("You are signed up."))
        else:
            messages.info(
                request, _("The event is full: you are on the waitlist and will be told if a place frees up.")
            )
    return redirect("counseling:event_detail", pk=event.pk)


@login_required
@require_POST
def event_signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_for_user(request.user, Event, action="sign_up", pk=pk)
    student = _own_student(request.user)
    try:
        services.event_signup_cancel(student=student, event=event)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("counseling:event_detail", pk=event.pk)


@login_required
@require_POST
def event_checkin_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The student types the code shown at the event. Failed attempts are limited per student and event,
    so the 6-character code cannot be guessed by trying."""
    user = request.user
    event = access.get_for_user(user, Event, action="check_in_by_code", pk=pk)
    student = _own_student(user)
    form = CheckinCodeForm(request.POST)
    failures_key = f"counseling:event-code-failures:{event.pk}:{user.pk}"
    if _cache_get(failures_key) >= CODE_FAILURE_LIMIT:
        messages.error(request, _("Too many wrong codes. Wait a few minutes or check in at the staff desk."))
    elif not form.is_valid():
        messages.error(request, _("Enter the code shown at the event."))
    else:
        try:
            services.event_check_in_by_code(student=student, event=event, code=form.cleaned_data["code"])
        except DomainError as exc:
            _cache_incr(failures_key)
            messages.error(request, str(exc))
        else:
            messages.success(request, _("You are checked in. Welcome!"))
    return redirect("counseling:event_detail", pk=event.pk)


def _cache_get(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception:  # the cache is down: no throttle rather than no check-in
        return 0


def _cache_incr(key: str) -> None:
    try:
        if not cache.add(key, 1, timeout=CODE_FAILURE_WINDOW):
            cache.incr(key)
    except Exception:  # noqa: S110 - the cache is down; the failure is simply not counted
        pass


# --- Events: staff check-in list -----------------------------------------------------------------------


@login_required
@require_GET
def event_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone with a place or waiting, searchable by name or 学号; with a search, walk-ins of the
    audience too. htmx searches get the rows only."""
    event = access.get_for_user(request.user, Event, action="check_in", pk=pk)
    form = CheckinSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    rows, walk_ins = selectors.event_checkin_rows(event, query=query)
    context = {
        "event": event,
        "form": form,
        "rows": rows,
        "walk_ins": walk_ins,
        "query": query,
        "attended": sum(1 for r in rows if r.status == EventSignup.Status.ATTENDED),
    }
    if request.htmx:
        return render(request, T + "partials/checkin_rows.html", context)
    return render(request, T + "event_checkin.html", context)


def _checkin_student(event: Event, student_pk: int) -> Student:
    """A student on the list, or (a walk-in) of the event's audience; anyone else is a 404."""
    on_list = event.signups.filter(student_id=student_pk).exclude(status=EventSignup.Status.CANCELLED)
    student = Student.objects.filter(pk=student_pk).select_related("class_group").first()
    if student is None:
        raise Http404
    if not on_list.exists() and not selectors.event_audience_students(event).filter(pk=student_pk).exists():
        raise Http404
    return student


def _checkin_row_response(request: HttpRequest, event: Event, student: Student, error: str = "") -> HttpResponse:
    signup = EventSignup.objects.filter(event=event, student=student).select_related("student__class_group").first()
    if request.htmx:
        return render(
            request,
            T + "partials/checkin_row.html",
            {"event": event, "row": signup, "student": student, "error": error},
        )
    if error:
        messages.error(request, error)
    return redirect("counseling:event_checkin", pk=event.pk)


@login_required
@require_POST
def event_checkin_mark(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    event = access.get_for_user(request.user, Event, action="check_in", pk=pk)
    student = _checkin_student(event, student_pk)
    try:
        services.event_check_in(actor=request.user, event=event, student=student)
    except DomainError as exc:
        return _checkin_row_response(request, event, student, str(exc))
    return _checkin_row_response(request, event, student)


@login_required
@require_POST
def event_checkin_undo(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    event = access.get_for_user(request.user, Event, action="check_in", pk=pk)
    student = _checkin_student(event, student_pk)
    try:
        services.event_check_in_undo(actor=request.user, event=event, student=student)
    except DomainError as exc:
        return _checkin_row_response(request, event, student, str(exc))
    return _checkin_row_response(request, event, student)


# --- Coverage -------------------------------------------------------------------------------------------


def _coverage_year(request: HttpRequest) -> int:
    form = CoverageYearForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["year"]:
        return form.cleaned_data["year"]
    return academic_year_of(timezone.localdate())


def _require_coverage(user: User) -> None:
    if not may_see_coverage(user):
        raise PermissionDenied


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """Share of enrolled students per college who attended at least one event this academic year."""
    _require_coverage(request.user)
    year = _coverage_year(request)
    rows = selectors.coverage_by_college(request.user, year=year)
    total = selectors.CoverageRow(0, _("Total"), sum(r.students for r in rows), sum(r.covered for r in rows))
    return render(request, T + "coverage.html", {"rows": rows, "total": total, "year": year, "college": None})


@login_required
@require_GET
def coverage_college(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coverage(request.user)
    college = selectors.coverage_colleges(request.user).filter(pk=pk).first()
    if college is None:
        raise Http404
    year = _coverage_year(request)
    rows = selectors.coverage_by_class(request.user, year=year, college=college)
    total = selectors.CoverageRow(0, _("Total"), sum(r.students for r in rows), sum(r.covered for r in rows))
    return render(request, T + "coverage.html", {"rows": rows, "total": total, "year": year, "college": college})


@login_required
@require_GET
def coverage_export(request: HttpRequest) -> HttpResponse:
    """XLSX: a sheet of colleges and a sheet of classes, for the user's scope."""
    from openpyxl import Workbook

    user = request.user
    _require_coverage(user)
    year = _coverage_year(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Colleges")[:31]
    append_row(sheet, [_("College"), _("Students"), _("Attended at least one event"), _("Share")])
    for row in selectors.coverage_by_college(user, year=year):
        # College and class names are typed by people: append_row writes "=..." as text, never a formula.
        append_row(sheet, [row.name, row.students, row.covered, round(row.share, 4)])
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.0%"
    classes = workbook.create_sheet(_("Classes")[:31])
    append_row(classes, [_("College"), _("Class"), _("Students"), _("Attended at least one event"), _("Share")])
    for row in selectors.coverage_by_class(user, year=year):
        append_row(classes, [row.extra["college"], row.name, row.students, row.covered, round(row.share, 4)])
        classes.cell(row=classes.max_row, column=5).number_format = "0.0%"
    for ws in (sheet, classes):
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 24
    return xlsx_response(workbook, filename=f"activity-coverage-{year}.xlsx")


# --- Journal --------------------------------------------------------------------------------------------


@login_required
@require_GET
def journal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        T + "journal_list.html",
        {"issues": list(selectors.journal_issues_for(user)), "may_manage": may_manage_journal(user)},
    )


@login_required
@require_GET
def journal_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    issue = access.get_for_user(user, JournalIssue, pk=pk)
    manage = may_manage_journal(user)
    return render(
        request,
        T + "journal_issue.html",
        {
            "issue": issue,
            "articles": list(selectors.journal_articles_with_reads(issue, user)),
            "may_manage": manage,
            "images": list(issue.images.order_by("-uploaded_at")) if manage else [],
            "image_form": JournalImageForm() if manage else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def journal_issue_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_manage_journal(user):
        raise PermissionDenied
    form = JournalIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issue = services.journal_issue_save(actor=user, issue=None, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Issue created. Add articles, then publish it."))
            return redirect("counseling:journal_issue", pk=issue.pk)
    return render(request, T + "journal_form.html", {"form": form, "heading": _("New issue"), "issue": None})


@login_required
@require_http_methods(["GET", "POST"])
def journal_issue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    issue = access.get_for_user(user, JournalIssue, action="edit", pk=pk)
    form = JournalIssueForm(request.POST or None, initial={"number": issue.number, "title": issue.title})
    if request.method == "POST" and form.is_valid():
        try:
            services.journal_issue_save(actor=user, issue=issue, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Issue saved."))
            return redirect("counseling:journal_issue", pk=issue.pk)
    return render(request, T + "journal_form.html", {"form": form, "heading": _("Edit issue"), "issue": issue})


@login_required
@require_POST
def journal_issue_publish(request: HttpRequest, pk: int) -> HttpResponse:
    issue = access.get_for_user(request.user, JournalIssue, action="edit", pk=pk)
    unpublish = request.POST.get("unpublish") == "1"
    try:
        if unpublish:
            services.journal_issue_unpublish(actor=request.user, issue=issue)
        else:
            services.journal_issue_publish(actor=request.user, issue=issue)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The issue is back to draft.") if unpublish else _("The issue is published."))
    return redirect("counseling:journal_issue", pk=issue.pk)


@login_required
@require_GET
def journal_article(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    article = access.get_for_user(user, JournalArticle.objects.select_related("issue"), pk=pk)
    services.article_mark_read(reader=user, article=article)
    manage = may_manage_journal(user)
    return render(
        request,
        T + "journal_article.html",
        {
            "article": article,
            "issue": article.issue,
            "may_manage": manage,
            "read_count": article.reads.count() if manage else None,
        },
    )


def _article_form_view(request: HttpRequest, issue: JournalIssue, article: JournalArticle | None) -> HttpResponse:
    initial = None
    if article is not None:
        initial = {"title": article.title, "author": article.author, "body": article.body, "position": article.position}
    form = JournalArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.journal_article_save(
                actor=request.user, issue=issue, article=article, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Article saved."))
            return redirect("counseling:journal_article", pk=article.pk)
    heading = _("Edit article") if article else _("New article")
    return render(request, T + "journal_form.html", {"form": form, "heading": heading, "issue": issue})


@login_required
@require_http_methods(["GET", "POST"])
def journal_article_new(request: HttpRequest, pk: int) -> HttpResponse:
    issue = access.get_for_user(request.user, JournalIssue, action="edit", pk=pk)
    return _article_form_view(request, issue, None)


@login_required
@require_http_methods(["GET", "POST"])
def journal_article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.get_for_user(request.user, JournalArticle.objects.select_related("issue"), action="edit", pk=pk)
    return _article_form_view(request, article.issue, article)


@login_required
@require_POST
def journal_image_upload(request: HttpRequest, pk: int) -> HttpResponse:
    issue = access.get_for_user(request.user, JournalIssue, action="edit", pk=pk)
    form = JournalImageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image to upload."))
    else:
        try:
            image = services.journal_image_upload(actor=request.user, issue=issue, upload=form.cleaned_data["image"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _('Image uploaded. Use it in an article as <img src="%(url)s">.')
                % {"url": reverse("counseling:journal_image", args=[image.pk])},
            )
    return redirect("counseling:journal_issue", pk=issue.pk)


@login_required
@require_GET
def journal_image(request: HttpRequest, pk: int) -> FileResponse:
    """An image from private media: any signed-in user for a published issue, editors for drafts."""
    image = access.get_for_user(request.user, JournalImage, pk=pk)
    try:
        handle = image.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=image.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=300"
    return response
