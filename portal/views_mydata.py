""" "My data": a student downloads a copy of what the portal holds about them (portal.personal_data)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import personal_data
from portal.audit import audit_log
from portal.models import Student, User

FORMATS = {
    "json": ("application/json; charset=utf-8", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def _own_student(user: User) -> Student:
    """The signed-in student's record (the middleware already refused other roles); a student account without
    one (a roster gap) gets 403 too."""
    student = Student.objects.filter(user_id=user.pk).select_related("user", "college", "class_group", "room").first()
    if student is None:
        raise PermissionDenied
    return student


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    student = _own_student(request.user)
    sections = [(s.key, s.title) for s in personal_data.sections()]
    return render(request, "portal/my_data.html", {"student": student, "sections": sections})


@never_cache
@login_required
@require_GET
def my_data_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise PermissionDenied
    student = _own_student(request.user)
    data = personal_data.collect(student)
    body = personal_data.as_json(data) if fmt == "json" else personal_data.as_xlsx(data)
    audit_log(actor=request.user, action="personal_data.export", obj=student, changes={"format": fmt})
    content_type, extension = FORMATS[fmt]
    filename = f"nuanxin-{student.student_no}-{timezone.localdate():%Y%m%d}.{extension}"
    return HttpResponse(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )
