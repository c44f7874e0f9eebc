"""Five-aid cases (五助帮扶档案): the staff list and case page with its actions, and the student's own
"your support plan".

Who may open what:
- list, case page and actions: aid officers (whole school), aid reviewers (their college), admins.
  A case outside the user's scope is a 404; counselling staff and student roles get 403 on the list
  and 404 on a case. "Open cases for all identified students" is for aid officers.
- the psychological aid shows only referred / engaged / declined; the referral note goes to counselling.
- mine: the signed-in student's gentle summary; no tier, no "poverty" label, no term reviews.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aid import access
from aid.forms.fiveaid import CaseFilterForm, EmploymentForm, EntryForm, PlanForm, ReferralForm, ReviewForm
from aid.models import Aid, FiveAidCase
from aid.selectors import fiveaid as selectors
from aid.services import fiveaid as services
from portal import access as portal_access
from portal.models import College
from portal.services import DomainError

PAGE_SIZE = 50
T = "aid/fiveaid/"


def _require_staff(request: HttpRequest) -> None:
    if not access.may_manage_fiveaid(request.user):
        raise PermissionDenied


@login_required
@require_GET
def fiveaid_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    user = request.user
    scope = access.aid_colleges(user)
    colleges = list(College.objects.order_by("name") if scope is None else College.objects.filter(pk__in=scope))
    form = CaseFilterForm(request.GET or None, colleges=colleges)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        messages.warning(request, _("Some filters were not understood and are ignored."))
    year = selectors.fiveaid_current_year()
    cases = selectors.fiveaid_cases(
        user,
        year=year,
        college_id=filters.get("college"),
        missing_aid=filters.get("missing") or "",
        graduates_unplaced=bool(filters.get("graduates")),
        xinjiang=bool(filters.get("xinjiang")),
        query=filters.get("q") or "",
        graduating_from=selectors.graduating_cohort(year),
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        T + "list.html",
        {
            "form": form,
            "page": page,
            "year": year,
            "aids": Aid.choices,
            "may_open_all": access.may_open_fiveaid_cases(user) and year is not None,
        },
    )


@login_required
@require_POST
def fiveaid_open_all(request: HttpRequest) -> HttpResponse:
    if not access.may_open_fiveaid_cases(request.user):
        raise PermissionDenied
    year = selectors.fiveaid_current_year()
    if year is None:
        messages.warning(request, _("There is no academic year yet."))
    else:
        opened = services.fiveaid_open_for_year(actor=request.user, year=year)
        messages.success(
            request,
            _("%(n)s support plans opened for the identified students of %(year)s.") % {"n": opened, "year": year},
        )
    return redirect("aid:fiveaid_list")


def _render_case(
    request: HttpRequest, case: FiveAidCase, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    may_edit = portal_access.can(user, "edit", case)
    psych_status = services.fiveaid_psych_status_sync(case=case)
    sections = selectors.fiveaid_case_sections(case)
    terms = services.fiveaid_terms(case.identification.year)
    plan_rows = [(aid, label, (case.plan or {}).get(aid, "")) for aid, label in Aid.choices]
    context: dict[str, Any] = {
        "case": case,
        "student": case.student,
        "sections": sections,
        "plan_rows": plan_rows,
        "psych_status": psych_status,
        "may_edit": may_edit,
        "may_refer": may_edit and portal_access.can(user, "refer", case) and psych_status in ("", "declined"),
        "plan_form": bound.get("plan") or PlanForm(auto_id="id_plan_%s"),
        "entry_form": bound.get("entry") or EntryForm(auto_id="id_entry_%s"),
        "review_form": bound.get("review") or ReviewForm(auto_id="id_review_%s", terms=terms),
        "employment_form": bound.get("employment")
        or EmploymentForm(
            auto_id="id_employment_%s", initial={"placed": case.placed, "xinjiang_programme": case.xinjiang_programme}
        ),
        "referral_form": bound.get("referral") or ReferralForm(auto_id="id_referral_%s"),
        "aid_labels": dict(Aid.choices),
    }
    return render(request, T + "detail.html", context, status=status)


@login_required
@require_GET
def fiveaid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.fiveaid_case_detail(request.user, pk)
    return _render_case(request, case)


def _case_for_action(request: HttpRequest, pk: int, action: str) -> FiveAidCase:
    qs = FiveAidCase.objects.select_related("student", "student__college", "identification__year")
    return portal_access.get_for_user(request.user, qs, action=action, audit=False, pk=pk)


def _act(request: HttpRequest, case: FiveAidCase, key: str, form: forms.Form, write, done: str) -> HttpResponse:
    """form → service → redirect with a message; invalid input or a refusal re-renders the page."""
    if form.is_valid():
        try:
            message = write(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message or done)
            return redirect("aid:fiveaid_detail", case.pk)
    messages.error(request, _("Nothing was saved: see the form below."))
    return _render_case(request, case, bound={key: form})


@login_required
@require_POST
def fiveaid_plan(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_action(request, pk, "edit")
    form = PlanForm(request.POST, auto_id="id_plan_%s")

    def write(data: dict) -> None:
        services.fiveaid_plan_set(actor=request.user, case=case, aid=data["aid"], text=data["text"])

    return _act(request, case, "plan", form, write, _("The plan is saved."))


@login_required
@require_POST
def fiveaid_entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_action(request, pk, "edit")
    form = EntryForm(request.POST, auto_id="id_entry_%s")

    def write(data: dict) -> None:
        services.fiveaid_entry_add(
            actor=request.user,
            case=case,
            aid=data["aid"],
            kind=data["kind"],
            title=data["title"],
            on=data["on"],
            note=data["note"],
        )

    return _act(request, case, "entry", form, write, _("The entry is added."))


@login_required
@require_POST
def fiveaid_review(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_action(request, pk, "edit")
    form = ReviewForm(request.POST, auto_id="id_review_%s", terms=services.fiveaid_terms(case.identification.year))

    def write(data: dict) -> None:
        services.fiveaid_review_record(actor=request.user, case=case, term=data["term"], summary=data["summary"])

    return _act(request, case, "review", form, write, _("The term review is saved."))


@login_required
@require_POST
def fiveaid_employment(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_action(request, pk, "edit")
    form = EmploymentForm(request.POST, auto_id="id_employment_%s")

    def write(data: dict) -> None:
        services.fiveaid_employment_set(
            actor=request.user, case=case, placed=data["placed"], xinjiang_programme=data["xinjiang_programme"]
        )

    return _act(request, case, "employment", form, write, _("Employment follow-up saved."))


@login_required
@require_POST
def fiveaid_refer(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_action(request, pk, "refer")
    form = ReferralForm(request.POST, auto_id="id_referral_%s")

    def write(data: dict) -> str:
        _case, referred = services.fiveaid_refer(
            actor=request.user, case=case, note=data["note"], idempotency_key=data["key"]
        )
        if referred:
            return _("The student is referred to their college's counselling station.")
        return _("The student is already referred; the counselling station is in touch.")

    return _act(request, case, "referral", form, write, "")


@login_required
@require_GET
def fiveaid_mine(request: HttpRequest) -> HttpResponse:
    """The student's own support plan. Anyone signed in may open it; it shows only their own."""
    case = selectors.fiveaid_my_summary(request.user)
    sections = selectors.fiveaid_case_sections(case, with_reviews=False) if case else None
    plan_rows = []
    if case is not None:
        plan_rows = [(aid, label, text) for aid, label in Aid.choices if (text := (case.plan or {}).get(aid))]
    return render(request, T + "mine.html", {"case": case, "sections": sections, "plan_rows": plan_rows})
