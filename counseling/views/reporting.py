"""The reporting side of the crisis network: report a worry, follow its status, answer the station.

Two rules shape every view here:

- A reporter never learns whether a typed student exists (no roster probing) and never sees clinical
  detail, level or owner, only received / being handled / closed.
- Anonymous reports work without signing in: the receipt code is the reporter's only key.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import access as counseling_access
from counseling import selectors, services
from counseling.forms.reporting import ABOUT_ME, AnswerForm, ReceiptAnswerForm, ReceiptLookupForm, ReportForm
from counseling.models import Relation, Report, ReporterQuestion
from portal.models import Student, User
from portal.services import DomainError

logger = logging.getLogger(__name__)

RECEIPT_FAILURE_LIMIT = 10
RECEIPT_FAILURE_WINDOW = 10 * 60  # seconds
RECEIPT_REDISPLAY_WINDOW = 10 * 60  # seconds: a reload or double submit in the same browser
RECEIPT_SHOWN_TTL = 90 * 24 * 3600  # how long the server remembers that a code was shown
SESSION_RECEIPTS = "counseling_receipts_shown"


# --- Home ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "counseling/index.html",
        {
            "is_counselling_staff": counseling_access.is_counselling_staff(user),
            "may_triage": counseling_access.may_triage(user),
            "may_see_dashboard": counseling_access.may_triage(user),
            "may_file_zero_report": counseling_access.may_file_zero_report(user),
            "may_book": counseling_access.may_book(user),
            "may_screen": counseling_access.may_screen(user),
            "may_see_agenda": counseling_access.may_see_agenda(user),
            "may_manage_availability": counseling_access.may_manage_availability(user),
            "may_follow_campaigns": counseling_access.may_follow_campaigns(user),
            "screening_campaigns": selectors.open_campaigns_for(getattr(user, "student", None)),
            "journal_new_issue": selectors.journal_new_issue_for(user),
            "may_see_coverage": counseling_access.may_see_coverage(user),
        },
    )


# --- Report a worry -------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """Signed in: named or anonymous. Signed out: anonymous only (the form forces it)."""
    user = request.user
    signed_in = user.is_authenticated
    own_student = getattr(user, "student", None) if signed_in else None
    pick_scope = signed_in and selectors.has_pick_scope(user)
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        pick_queryset=selectors.pickable_students(user) if pick_scope else Student.objects.none(),
        may_report_about_self=own_student is not None,
        signed_in=signed_in,
    )
    refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        student, subject_given, relation = _subject_from(data, own_student)
        reporter = user if signed_in else None
        anonymous = data["anonymous"] or not signed_in
        submission = {
            "reporter": reporter,
            "anonymous": anonymous,
            "student": student,
            "subject_given": subject_given,
            "relation": relation,
            "signs": data["signs"],
            "narrative": data["narrative"],
            "when_where": data["when_where"],
            "in_danger": data["in_danger"],
        }
        send = _anonymous_sender(request, submission) if anonymous else _named_sender(submission)
        try:
            report, created = send(data["idempotency_key"])
            if not created and not _same_submission(report, reporter=reporter, anonymous=anonymous, data=data):
                # The same token with other content: a form reused through the back button, not a
                # double click. It is a new report and must not be dropped.
                report, created = send(uuid.uuid4())
        except services.AnonymousLimitReached as exc:
            # The hotlines first and big: someone in danger must not be left with an error message. The
            # form comes back with everything typed, to send later or with a name.
            form.add_error(None, str(exc))
            refused = True
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            # Matched or not, in scope or not: every reporter lands on the same page.
            return redirect("counseling:report_received", key=report.idempotency_key)
    picks = selectors.quick_picks(user) if pick_scope else []
    chosen = getattr(form, "cleaned_data", {}).get("picked")
    if chosen is not None and chosen not in picks:
        picks = [chosen, *picks]
    return render(
        request,
        "counseling/report_form.html",
        {
            "form": form,
            "signed_in": signed_in,
            "may_report_about_self": own_student is not None,
            "pick_scope": pick_scope,
            "quick_picks": picks,
            "picked_value": str(form["picked"].value() or ""),
            "refused": refused,
        },
        status=429 if refused else 200,
    )


def _named_sender(submission: dict) -> Callable[[uuid.UUID], tuple[Report, bool]]:
    def send(key: uuid.UUID) -> tuple[Report, bool]:
        return services.report_submit(**submission, idempotency_key=key)

    return send


def _anonymous_sender(request: HttpRequest, submission: dict) -> Callable[[uuid.UUID], tuple[Report, bool]]:
    """Anonymous reports go through the flood limits (counseling.services.holds): routed, held or refused."""
    fields = {k: v for k, v in submission.items() if k not in ("reporter", "anonymous")}
    address = request.META.get("REMOTE_ADDR") or "unknown"

    def send(key: uuid.UUID) -> tuple[Report, bool]:
        return services.anonymous_report_submit(address=address, **fields, idempotency_key=key)

    return send


def _same_submission(report: Report, *, reporter: User | None, anonymous: bool, data: dict) -> bool:
    return (
        report.anonymous == anonymous
        and report.reporter_id == (None if anonymous or reporter is None else reporter.pk)
        and report.narrative == data["narrative"].strip()
    )


def _subject_from(data: dict, own_student: Student | None) -> tuple[Student | None, str, str]:
    """(student or None, what the reporter gave, relation). Unmatched is fine: the centre matches it."""
    if data["about"] == ABOUT_ME:
        return own_student, own_student.student_no, Relation.SELF
    relation = data["relation"]
    picked = data.get("picked")
    if picked is not None:
        return picked, picked.student_no, relation
    student_no, name, class_name = data["student_no"], data["subject_name"], data["subject_class"]
    given = " · ".join(part for part in (student_no, name, class_name) if part)
    student = services.subject_resolve(student_no=student_no, name=name, class_name=class_name)
    if student is None and student_no and name:
        # A mistyped 学号 with a correct name and class still finds the student.
        student = services.subject_resolve(name=name, class_name=class_name)
    return student, given, relation


@login_required
@require_GET
def subject_search(request: HttpRequest) -> HttpResponse:
    """htmx: matches within the reporter's pick scope; for anyone else one fixed, neutral answer."""
    user = request.user
    if not selectors.has_pick_scope(user):
        return render(request, "counseling/partials/subject_results.html", {"neutral": True})
    query = request.GET.get("q", "")[:50].strip()
    if len(query) < 2:  # a cleared search box shows the quick picks again
        context = {"matches": selectors.quick_picks(user)}
    else:
        context = {"matches": selectors.subject_search(user, query), "searched": True, "show_class": True}
    return render(request, "counseling/partials/subject_results.html", context)


@never_cache
@require_GET
def report_received(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """After the form: a named report only for its reporter; an anonymous one for whoever holds the key,
    with the receipt code shown once (again only in the same browser session within 10 minutes)."""
    report = selectors.report_by_key(key)
    if report is None:
        raise Http404
    receipt_code = None
    if report.anonymous:
        if _receipt_display_allowed(request, key):
            receipt_code = services.receipt_code_for(key)
    elif not request.user.is_authenticated or report.reporter_id != request.user.pk:
        raise Http404
    return render(
        request,
        "counseling/report_received.html",
        {"in_danger": report.in_danger, "anonymous": report.anonymous, "receipt_code": receipt_code},
    )


def _receipt_display_allowed(request: HttpRequest, key: uuid.UUID) -> bool:
    """The code is shown the first time the page is opened anywhere, and again only in that same session
    within RECEIPT_REDISPLAY_WINDOW (reload, double submit). A shared computer's later visitor, or a copied
    link in another browser, gets "already shown"."""
    now = time.time()
    shown: dict[str, float] = {
        k: t for k, t in request.session.get(SESSION_RECEIPTS, {}).items() if now - t < RECEIPT_SHOWN_TTL
    }
    first_shown = shown.get(str(key))
    if first_shown is not None:
        allowed = now - first_shown < RECEIPT_REDISPLAY_WINDOW
    else:
        try:
            allowed = cache.add(f"counseling:receipt-shown:{key}", 1, timeout=RECEIPT_SHOWN_TTL)
        except Exception:  # the cache is down: the session record alone still stops re-display here
            logger.warning("cache unavailable: receipt display recorded in the session only")
            allowed = True
        if allowed:
            shown[str(key)] = now
    request.session[SESSION_RECEIPTS] = shown
    return allowed


# --- My reports (named) ----------------------------------------------------------------------------------


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    return _render_my_reports(request)


@login_required
@require_POST
def my_question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.reporter_question_for(request.user, pk)
    form = AnswerForm(request.POST, auto_id=f"id_q{pk}_%s")
    if form.is_valid():
        try:
            services.reporter_question_answer(question=question, answer=form.cleaned_data["answer"], actor=request.user)
        except DomainError as exc:  # e.g. answered a moment ago in another tab
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you. Your answer was sent to the counsellor."))
        return redirect("counseling:my_reports")
    return _render_my_reports(request, failed={pk: form})


MY_REPORTS_PAGE_SIZE = 50


def _render_my_reports(request: HttpRequest, *, failed: dict[int, AnswerForm] | None = None) -> HttpResponse:
    failed = failed or {}
    page = Paginator(selectors.reports_of(request.user), MY_REPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"view": view, "questions": _question_rows(view.questions, failed, AnswerForm)}
        for view in selectors.reporter_views(page)
    ]
    return render(request, "counseling/my_reports.html", {"rows": rows, "page": page})


def _question_rows(
    questions: list[ReporterQuestion], failed: dict[int, AnswerForm], form_class: type[AnswerForm], **initial: str
) -> list[tuple[ReporterQuestion, AnswerForm | None]]:
    """Each question with an answer form while it is unanswered (the failed one keeps its input)."""
    return [
        (
            q,
            None
            if q.answered_at
            else failed.get(q.pk) or form_class(initial=initial or None, auto_id=f"id_q{q.pk}_%s"),
        )
        for q in questions
    ]


# --- Anonymous receipt --------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def receipt_lookup(request: HttpRequest) -> HttpResponse:
    """No sign-in: a receipt code opens the status and the station's questions, nothing else."""
    if request.method == "GET":
        return render(request, "counseling/receipt.html", {"form": ReceiptLookupForm()})
    form = ReceiptLookupForm(request.POST)
    # A valid code always opens its report, even from an address that is throttled: a campus NAT puts
    # thousands of reporters behind one address, and one guesser there must not lock them all out.
    view = selectors.report_by_receipt(form.cleaned_data["code"]) if form.is_valid() else None
    if view is not None:
        return _render_receipt(request, view, code=form.cleaned_data["code"])
    if _receipt_throttled(request):
        return _too_many_attempts(request)
    if form.is_valid():
        _receipt_failure(request)
        form.add_error("code", _("There is no report with this code. Check the code and try again."))
    return render(request, "counseling/receipt.html", {"form": form})


@never_cache
@require_POST
def receipt_answer(request: HttpRequest, pk: int) -> HttpResponse:
    code = request.POST.get("code", "")[:40]
    view = selectors.report_by_receipt(code) if code.strip() else None
    if view is None:
        if _receipt_throttled(request):
            return _too_many_attempts(request)
        _receipt_failure(request)
        raise Http404
    question = selectors.receipt_question(view, pk)
    form = ReceiptAnswerForm(request.POST, auto_id=f"id_q{pk}_%s")
    if form.is_valid():
        try:
            # actor=None: answering through the receipt stays anonymous, even when signed in.
            services.reporter_question_answer(question=question, answer=form.cleaned_data["answer"], actor=None)
        except DomainError as exc:  # e.g. answered a moment ago in another tab
            return _render_receipt(request, selectors.report_by_receipt(code), code=code, error=str(exc))
        return _render_receipt(request, selectors.report_by_receipt(code), code=code, answered=True)
    return _render_receipt(request, view, code=code, failed={pk: form})


def _render_receipt(
    request: HttpRequest,
    view: selectors.ReporterView,
    *,
    code: str,
    answered: bool = False,
    error: str = "",
    failed: dict[int, AnswerForm] | None = None,
) -> HttpResponse:
    return render(
        request,
        "counseling/receipt.html",
        {
            "view": view,
            "code": code,
            "answered": answered,
            "error": error,
            "questions": _question_rows(view.questions, failed or {}, ReceiptAnswerForm, code=code),
        },
    )


def _too_many_attempts(request: HttpRequest) -> HttpResponse:
    return render(request, "counseling/receipt_throttled.html", {"form": ReceiptLookupForm()}, status=429)


def _receipt_throttle_key(request: HttpRequest) -> str:
    return f"counseling:receipt-failures:{request.META.get('REMOTE_ADDR') or 'unknown'}"


def _receipt_throttled(request: HttpRequest) -> bool:
    # Fails open when the cache is down: guessing a 12-character code is hopeless anyway, and a
    # reporter must still reach the status page.
    try:
        return (cache.get(_receipt_throttle_key(request)) or 0) >= RECEIPT_FAILURE_LIMIT
    except Exception:
        logger.warning("cache unavailable: receipt throttle not checked")
        return False


def _receipt_failure(request: HttpRequest) -> None:
    key = _receipt_throttle_key(request)
    try:
        cache.add(key, 0, timeout=RECEIPT_FAILURE_WINDOW)  # the window starts at the first failure
        if cache.incr(key) == RECEIPT_FAILURE_LIMIT:
            # Once per window and address: operations can see (and block) a guesser. Never the codes tried.
            logger.warning("receipt codes: %s wrong codes from one address in 10 minutes", RECEIPT_FAILURE_LIMIT)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RECEIPT_FAILURE_WINDOW)
    except Exception:
        logger.warning("cache unavailable: receipt failure not counted")
