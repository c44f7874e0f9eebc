"""Views of the identification area: the student's application, the review pages, the class evaluation,
public notices with objections.

Thin: access (portal.access: 404 outside the scope, 403 when visible but not allowed) → form → service →
redirect. A refused change (DomainError or bad input) comes back as a message with nothing changed,
never a 500. Every action endpoint is POST only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aid import services
from aid.access.core import aid_colleges, is_aid_officer
from aid.access.identification import may_review_identifications, student_of
from aid.forms.identification import (
    PLEDGE_TEXT,
    AdjustForm,
    AppealAnswerForm,
    AppealForm,
    ApplicationForm,
    ApproveForm,
    ConfirmForm,
    DocumentForm,
    EvaluationForm,
    EvaluationGroupForm,
    FamilyMemberFormSet,
    NoticeForm,
    ObjectionAnswerForm,
    ObjectionForm,
    ReasonForm,
    ReviewFilterForm,
    SchoolTierForm,
    TierForm,
)
from aid.models import EvaluationGroup, Identification, IdentificationDocument, Notice, Objection, SpecialStatus
from aid.selectors import identification as selectors
from portal import access
from portal.forms import form_errors_text
from portal.models import ClassGroup, College, Staff, User
from portal.services import DomainError

PAGE_SIZE = 50
S = Identification.Status


def _refuse(request: HttpRequest, text: str) -> None:
    messages.error(request, _("Nothing was changed: %(why)s") % {"why": text})


def _require_year(request: HttpRequest):
    year = selectors.current_year()
    if year is None:
        raise Http404(_("No academic year is open."))
    return year


# --- The student's own application -------------------------------------------------------------------


def _own_student(request: HttpRequest):
    student = student_of(request.user)
    if student is None:
        raise PermissionDenied
    return student


@login_required
@require_GET
def identification_mine(request: HttpRequest) -> HttpResponse:
    student = _own_student(request)
    year = selectors.current_year()
    identification = selectors.identification_for_student(student, year) if year else None
    context: dict[str, Any] = {
        "year": year,
        "identification": identification,
        "window_open": bool(year) and services.window_is_open(year, mid_year=False),
        "mid_year_open": bool(year) and services.window_is_open(year, mid_year=True),
    }
    if identification is not None:
        context["timeline"] = selectors.identification_timeline(identification)
        context["editable"] = identification.status in (S.DRAFT, S.RETURNED)
        context["may_appeal"] = identification.status == S.REJECTED and not identification.appeals.exists()
        context["appeal_form"] = AppealForm()
        context["appeals"] = identification.appeals.all()
    return render(request, "aid/identification/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def identification_edit(request: HttpRequest) -> HttpResponse:
    student = _own_student(request)
    year = _require_year(request)
    identification = selectors.identification_for_student(student, year)
    if identification is not None:
        access.get_for_user(request.user, Identification, action="edit", pk=identification.pk)
        if identification.status not in (S.DRAFT, S.RETURNED):
            messages.info(request, _("Your application has been submitted and can no longer be changed."))
            return redirect("aid:identification_mine")
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        formset = FamilyMemberFormSet(request.POST, prefix="family")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                identification = services.identification_save(
                    actor=request.user,
                    student=student,
                    year=year,
                    mid_year=data["mid_year"],
                    household_size=data["household_size"],
                    household_income=data["household_income"],
                    household_debt=data["household_debt"],
                    special_statuses=data["special_statuses"],
                    statement=data["statement"],
                    family_members=formset.members(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                _refuse(request, str(exc))
            else:
                if "submit" not in request.POST:
                    messages.success(request, _("Your draft was saved."))
                    return redirect("aid:identification_edit")
                try:
                    services.identification_submit(
                        actor=request.user, identification=identification, pledge=data["pledge"]
                    )
                except DomainError as exc:
                    # The draft is saved; the form is shown again as sent, the reason next to the pledge box
                    # when the pledge is what is missing (a redirect would put it only at the top).
                    messages.error(request, _("Your draft was saved but not submitted: %(why)s") % {"why": exc})
                    form.add_error(None if data["pledge"] else "pledge", str(exc))
                else:
                    messages.success(request, _("Your application was submitted."))
                    return redirect("aid:identification_mine")
        else:
            _refuse(request, form_errors_text(form) or form_errors_text(formset) or _("check the form."))
    else:
        initial: dict[str, Any] = {}
        members: list[dict[str, Any]] = []
        if identification is not None:
            initial = {
                "mid_year": identification.mid_year,
                "household_size": identification.household_size,
                "household_income": identification.household_income,
                "household_debt": identification.household_debt,
                "special_statuses": identification.special_statuses,
                "statement": identification.statement,
            }
            members = [
                {"relation": m.relation, "age": m.age, "occupation": m.occupation, "annual_income": m.annual_income}
                for m in identification.family_members.all()
            ]
        form = ApplicationForm(initial=initial)
        formset = FamilyMemberFormSet(initial=members, prefix="family")
    return render(
        request,
        "aid/identification/edit.html",
        {
            "year": year,
            "identification": identification,
            "form": form,
            "formset": formset,
            "pledge_text": PLEDGE_TEXT,
            "document_form": DocumentForm(),
            "documents": identification.documents.all() if identification else [],
            "max_documents": services.MAX_DOCUMENTS,
        },
    )


@login_required
@require_POST
def identification_document_add(request: HttpRequest) -> HttpResponse:
    student = _own_student(request)
    year = _require_year(request)
    identification = selectors.identification_for_student(student, year)
    if identification is None:
        _refuse(request, _("save your application as a draft first."))
        return redirect("aid:identification_edit")
    identification = access.get_for_user(request.user, Identification, action="edit", pk=identification.pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
        return redirect("aid:identification_edit")
    try:
        services.document_add(actor=request.user, identification=identification, upload=form.cleaned_data["file"])
    except DomainError as exc:
        _refuse(request, str(exc))
    else:
        messages.success(request, _("The document was added."))
    return redirect("aid:identification_edit")


@login_required
@require_POST
def identification_document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = access.get_for_user(request.user, IdentificationDocument.objects.select_related("identification"), pk=pk)
    if not access.can(request.user, "edit", document.identification):
        raise PermissionDenied
    try:
        services.document_delete(actor=request.user, document=document)
    except DomainError as exc:
        _refuse(request, str(exc))
    else:
        messages.success(request, _("The document was removed."))
    return redirect("aid:identification_edit")


@login_required
@require_GET
def identification_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to the student and the aid staff in scope only (404 to anyone else); the read is audited."""
    document = access.get_for_user(request.user, IdentificationDocument, pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Staff review -------------------------------------------------------------------------------------


def _require_reviewer(request: HttpRequest) -> None:
    if not may_review_identifications(request.user):
        raise PermissionDenied


@login_required
@require_GET
def identification_list(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    year = selectors.current_year()
    form = ReviewFilterForm(request.GET or None, statuses=Identification.Status.choices)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = (
        selectors.identifications_for_review(
            request.user, year=year, status=filters.get("status") or "", query=filters.get("q") or ""
        )
        if year
        else Identification.objects.none()
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "aid/identification/list.html", {"year": year, "form": form, "page": page})


@dataclass(frozen=True)
class ActionSpec:
    permission: str
    title: Promise
    form_class: type[forms.Form]
    statuses: tuple[str, ...]
    danger: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "class_close": ActionSpec("class_close", gettext_lazy("Close the class evaluation"), ConfirmForm, (S.SUBMITTED,)),
    "return": ActionSpec(
        "return",
        gettext_lazy("Return for more information"),
        ReasonForm,
        (S.SUBMITTED, S.CLASS_REVIEWED, S.COLLEGE_REVIEWED),
    ),
    "college_review": ActionSpec("college_review", gettext_lazy("College decision"), TierForm, (S.CLASS_REVIEWED,)),
    "school_review": ActionSpec("school_review", gettext_lazy("School review"), SchoolTierForm, (S.COLLEGE_NOTICE,)),
    "approve": ActionSpec("approve", gettext_lazy("Approve"), ApproveForm, (S.SCHOOL_NOTICE,)),
    "reject": ActionSpec(
        "reject", gettext_lazy("Not identified"), ReasonForm, (S.SCHOOL_REVIEWED, S.SCHOOL_NOTICE), danger=True
    ),
    "appeal_answer": ActionSpec("appeal_answer", gettext_lazy("Answer the appeal"), AppealAnswerForm, (S.APPEAL,)),
    "adjust": ActionSpec("adjust", gettext_lazy("Adjust the tier"), AdjustForm, (S.APPROVED, S.ADJUSTED)),
    "revoke": ActionSpec("revoke", gettext_lazy("Revoke"), ReasonForm, (S.APPROVED, S.ADJUSTED), danger=True),
}


def _apply(name: str, user: User, identification: Identification, data: dict[str, Any]) -> str:
    if name == "class_close":
        services.identification_class_close(actor=user, identification=identification)
        return _("The class evaluation was closed.")
    if name == "return":
        services.identification_return(actor=user, identification=identification, reason=data["reason"])
        return _("The application was returned to the student.")
    if name == "college_review":
        services.identification_college_review(
            actor=user, identification=identification, tier=data["tier"], note=data["note"]
        )
        return _("The college decision was recorded.")
    if name == "school_review":
        services.identification_school_review(actor=user, identification=identification, tier=data["tier"])
        return _("The school review was recorded.")
    if name == "approve":
        services.identification_approve(actor=user, identification=identification, tier=data["tier"])
        return _("The identification was approved.")
    if name == "reject":
        services.identification_reject(actor=user, identification=identification, reason=data["reason"])
        return _("The application was not identified.")
    if name == "appeal_answer":
        appeal = identification.appeals.filter(answered_at__isnull=True).first()
        if appeal is None:
            raise DomainError(_("There is no open appeal."))
        services.appeal_answer(
            actor=user,
            appeal=appeal,
            approve=data["decision"] == "approve",
            answer=data["answer"],
            tier=data.get("tier") or "",
        )
        return _("The appeal was answered.")
    if name == "adjust":
        services.identification_adjust(
            actor=user, identification=identification, tier=data["tier"], reason=data["reason"]
        )
        return _("The tier was adjusted.")
    if name == "revoke":
        services.identification_revoke(actor=user, identification=identification, reason=data["reason"])
        return _("The identification was revoked.")
    raise Http404


def _identification_qs():
    return Identification.objects.select_related(
        "student", "student__class_group", "student__college", "year", "college_notice", "school_notice"
    )


@login_required
@require_GET
def identification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    identification = access.get_for_user(request.user, _identification_qs(), pk=pk)
    if not may_review_identifications(request.user):
        return redirect("aid:identification_mine")  # the student's own: their page
    user = request.user
    panels = [
        {
            "name": name,
            "spec": spec,
            "form": spec.form_class(auto_id=f"id_{name}_%s"),
            "url": reverse(f"aid:identification_{name}", args=[pk]),
        }
        for name, spec in ACTIONS.items()
        if identification.status in spec.statuses and access.can(user, spec.permission, identification)
    ]
    objections = []
    if identification.objections.exists():
        college_notice = True
        for objection in selectors.open_objections(identification):
            college_notice = objection.notice.kind == Notice.Kind.COLLEGE
            permission = "objection_answer_college" if college_notice else "objection_answer_school"
            objection.may_answer = objection.status == Objection.Status.OPEN and access.can(
                user, permission, identification
            )
            objection.form = ObjectionAnswerForm(auto_id=f"id_objection{objection.pk}_%s")
            objections.append(objection)
    evaluations = identification.evaluations.select_related("member").order_by("created_at")
    return render(
        request,
        "aid/identification/detail.html",
        {
            "identification": identification,
            "student": identification.student,
            "family_members": identification.family_members.all(),
            "special_statuses": [
                SpecialStatus(s).label for s in identification.special_statuses if s in SpecialStatus.values
            ],
            "documents": identification.documents.all(),
            "timeline": selectors.identification_timeline(identification),
            "evaluations": evaluations,
            "appeals": identification.appeals.all(),
            "objections": objections,
            "panels": panels,
        },
    )


def _identification_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    spec = ACTIONS[name]
    identification = access.get_for_user(request.user, _identification_qs(), action=spec.permission, pk=pk, audit=False)
    form = spec.form_class(request.POST, auto_id=f"id_{name}_%s")
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
    else:
        try:
            message = _apply(name, request.user, identification, form.cleaned_data)
        except DomainError as exc:
            _refuse(request, str(exc))
        else:
            messages.success(request, message)
    return redirect("aid:identification_detail", pk=pk)


def _action_view(name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _identification_action(request, pk, name)

    view.__name__ = f"identification_{name}"
    return view


action_views = {name: _action_view(name) for name in ACTIONS}


@login_required
@require_POST
def identification_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    identification = access.get_for_user(request.user, Identification, action="appeal", pk=pk, audit=False)
    form = AppealForm(request.POST)
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
    else:
        try:
            services.appeal_lodge(actor=request.user, identification=identification, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _refuse(request, str(exc))
        else:
            messages.success(request, _("Your appeal was lodged."))
    return redirect("aid:identification_mine")


@login_required
@require_POST
def identification_objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = access.get_for_user(
        request.user, Objection.objects.select_related("notice", "identification__student"), pk=pk, audit=False
    )
    kind = "objection_answer_college" if objection.notice.kind == Notice.Kind.COLLEGE else "objection_answer_school"
    if not access.can(request.user, kind, objection.identification):
        raise PermissionDenied
    form = ObjectionAnswerForm(request.POST, auto_id=f"id_objection{objection.pk}_%s")
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
    else:
        data = form.cleaned_data
        try:
            services.objection_answer(
                actor=request.user,
                objection=objection,
                uphold=data["decision"] == "uphold",
                answer=data["answer"],
                tier=data.get("tier") or "",
            )
        except DomainError as exc:
            _refuse(request, str(exc))
        else:
            messages.success(request, _("The objection was answered."))
    return redirect("aid:identification_detail", pk=objection.identification_id)


# --- Class evaluation group ------------------------------------------------------------------------------


@login_required
@require_GET
def evaluation_groups(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    year = selectors.current_year()
    rows = selectors.evaluation_classes(request.user, year) if year else []
    return render(request, "aid/identification/evaluation_groups.html", {"year": year, "rows": rows})


def _managed_class(request: HttpRequest, pk: int) -> ClassGroup:
    _require_reviewer(request)
    colleges = aid_colleges(request.user)
    qs = ClassGroup.objects.select_related("college")
    if colleges is not None:
        qs = qs.filter(college_id__in=colleges)
    return get_object_or_404(qs, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    class_group = _managed_class(request, pk)
    year = _require_year(request)
    group = EvaluationGroup.objects.filter(class_group=class_group, year=year).first()
    students = User.objects.filter(student__class_group=class_group).order_by("student__student_no")
    staff = User.objects.filter(
        pk__in=Staff.objects.filter(college_id=class_group.college_id).values("user_id")
    ).order_by("username")
    if request.method == "POST":
        form = EvaluationGroupForm(request.POST, students=students, staff=staff)
        if form.is_valid():
            try:
                services.evaluation_group_set(
                    actor=request.user, class_group=class_group, year=year, members=form.members()
                )
            except DomainError as exc:
                _refuse(request, str(exc))
            else:
                messages.success(request, _("The evaluation group was saved."))
                return redirect("aid:evaluation_groups")
        else:
            _refuse(request, form_errors_text(form))
    else:
        chosen = set(group.members.values_list("pk", flat=True)) if group else set()
        form = EvaluationGroupForm(
            initial={
                "students": [u for u in students if u.pk in chosen],
                "staff": [u for u in staff if u.pk in chosen],
            },
            students=students,
            staff=staff,
        )
    return render(
        request,
        "aid/identification/evaluation_group_edit.html",
        {
            "class_group": class_group,
            "year": year,
            "form": form,
            "group": group,
            "minimum": services.evaluation_group_minimum(class_group),
        },
    )


@login_required
@require_GET
def evaluation_mine(request: HttpRequest) -> HttpResponse:
    year = selectors.current_year()
    member = year is not None and selectors.is_evaluation_member(request.user, year)
    if not member and student_of(request.user) is None:
        raise PermissionDenied
    rows = selectors.evaluation_rows_for_member(request.user, year) if member else []
    for row in rows:
        row.form = EvaluationForm(
            initial={"suggested_tier": row.my_tier, "reason": row.my_reason},
            auto_id=f"id_eval{row.identification_id}_%s",
        )
    return render(request, "aid/identification/evaluation_mine.html", {"year": year, "rows": rows})


@login_required
@require_POST
def evaluation_record(request: HttpRequest, pk: int) -> HttpResponse:
    year = selectors.current_year()
    if year is None or not selectors.is_evaluation_member(request.user, year):
        raise PermissionDenied
    if pk not in {row.identification_id for row in selectors.evaluation_rows_for_member(request.user, year)}:
        raise Http404
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
    else:
        try:
            services.class_evaluation_record(
                actor=request.user,
                identification=Identification.objects.get(pk=pk),
                suggested_tier=form.cleaned_data["suggested_tier"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refuse(request, str(exc))
        else:
            messages.success(request, _("Your suggestion was recorded."))
    return redirect("aid:evaluation_mine")


# --- Public notices --------------------------------------------------------------------------------------


def _may_see_notices(user: User) -> bool:
    return student_of(user) is not None or may_review_identifications(user)


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    if not _may_see_notices(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    notices = [n for n in selectors.notices_for(request.user) if n.starts_on <= today <= n.ends_on]
    return render(request, "aid/identification/notice_list.html", {"notices": notices})


def _running_notice(request: HttpRequest, pk: int) -> Notice:
    """Only while it runs, for everyone: after its last day a notice is gone (404)."""
    notice = access.get_for_user(request.user, Notice.objects.select_related("college"), pk=pk)
    if not selectors.notice_is_running(notice):
        raise Http404
    return notice


@login_required
@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _running_notice(request, pk)
    viewer = student_of(request.user)
    page = Paginator(selectors.notice_rows(notice, request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # One objection form per row, each with its own ids, so every label points at its own text box.
    page.object_list = [
        (row, ObjectionForm(auto_id=f"id_objection{row.identification_id}_%s") if viewer else None)
        for row in page.object_list
    ]
    return render(
        request,
        "aid/identification/notice_detail.html",
        {
            "notice": notice,
            "page": page,
            "may_object": viewer is not None,
            "own_identification_ids": set(
                Identification.objects.filter(student=viewer).values_list("pk", flat=True) if viewer else []
            ),
        },
    )


@login_required
@require_POST
def notice_object(request: HttpRequest, pk: int, identification_pk: int) -> HttpResponse:
    notice = _running_notice(request, pk)
    if student_of(request.user) is None:
        raise PermissionDenied
    if identification_pk not in {row.identification_id for row in selectors.notice_rows(notice, request.user)}:
        raise Http404
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        _refuse(request, form_errors_text(form))
    else:
        try:
            services.objection_lodge(
                actor=request.user,
                notice=notice,
                identification=Identification.objects.get(pk=identification_pk),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refuse(request, str(exc))
        else:
            messages.success(request, _("Your objection was received. Only the aid staff see who lodged it."))
    return redirect("aid:notice_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def notice_publish(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    year = _require_year(request)
    colleges = aid_colleges(request.user)
    college_qs = College.objects.all() if colleges is None else College.objects.filter(pk__in=colleges)
    kinds = None if is_aid_officer(request.user) else [Notice.Kind.COLLEGE]
    form = NoticeForm(request.POST or None, colleges=list(college_qs), kinds=kinds)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.notice_publish(
                    actor=request.user,
                    year=year,
                    college=data["college"],
                    kind=data["kind"],
                    title=data["title"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except DomainError as exc:
                _refuse(request, str(exc))
            else:
                messages.success(request, _("The notice was published: %(title)s") % {"title": notice.title})
                return redirect("aid:identification_list")
        else:
            _refuse(request, form_errors_text(form))
    return render(request, "aid/identification/notice_publish.html", {"form": form, "year": year})
