from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import access, navigation, selectors, services
from portal.celery import app as celery_app
from portal.forms import StudentContactForm, StudentSearchForm
from portal.models import Role

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: one card for each of the user's roles, linking to its work."""
    user = request.user
    roles = {s.role for s in access.scopes(user)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    own_student = getattr(user, "student", None)
    return render(
        request,
        "portal/home.html",
        {
            "roles": [(r, Role(r).label) for r in Role.values if r in roles],
            "own_student": own_student,
            "may_list_students": access.may_list_students(user),
            "latest_notifications": selectors.notifications_for(user)[:5],
            # Panels from other apps, rendered here so each keeps its own template and context.
            "home_panels": [
                render_to_string(panel["template"], panel["context"], request)
                for panel in navigation.home_panels_for(user)
            ],
        },
    )


@login_required
@require_GET
def student_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_list_students(user):
        return render(request, "403.html", status=403)
    form = StudentSearchForm(
        request.GET or None,
        colleges=selectors.colleges_for_filter(user),
        classes=selectors.classes_for_filter(user),
    )
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    students = selectors.students_for_list(
        user,
        query=filters.get("q") or "",
        college_id=filters.get("college"),
        class_group_id=filters.get("class_group"),
    )
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/student_list.html", {"form": form, "page": page})


@login_required
@require_GET
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.student_detail(request.user, pk)
    return render(
        request,
        "portal/student_detail.html",
        {"student": student, "may_edit_contact": access.can(request.user, "change_contact", student)},
    )


@login_required
def student_contact(request: HttpRequest, pk: int) -> HttpResponse:
    student = access.get_for_user(request.user, selectors.Student, action="change_contact", pk=pk)
    form = StudentContactForm(request.POST or None, initial={"phone": student.phone})
    if request.method == "POST" and form.is_valid():
        try:
            services.student_update_contact(actor=request.user, student=student, phone=form.cleaned_data["phone"])
        except services.DomainError as exc:
            form.add_error("phone", str(exc))
        else:
            messages.success(request, _("Contact details saved."))
            return redirect("portal:student_detail", pk=student.pk)
    return render(request, "portal/student_contact.html", {"student": student, "form": form})


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification_id=pk)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("portal:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("portal:notifications")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer; 503 naming what is down."""
    status = {"db": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["db"] = "down"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        status["broker"] = "down"
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
