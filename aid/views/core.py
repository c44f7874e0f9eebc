"""The aid home page: what each role can do here (links only to pages the role can open)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aid import access
from portal.access import has_role
from portal.models import Role


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_use_aid(user):
        raise PermissionDenied
    return render(
        request,
        "aid/index.html",
        {
            "is_student": has_role(user, Role.STUDENT) and hasattr(user, "student"),
            "may_review_identifications": access.may_review_identifications(user),
            "may_manage_evaluation_groups": access.may_manage_evaluation_groups(user),
            "may_review_applications": access.may_review_applications(user),
            "may_manage_funds": access.may_manage_funds(user),
            "may_manage_fiveaid": access.may_manage_fiveaid(user),
            "may_see_aid_dashboard": access.may_see_aid_dashboard(user),
            "may_use_workstudy": access.may_use_workstudy(user),
            "may_manage_hidden_aid": access.may_manage_hidden_aid(user),
            "may_review_hidden_aid": access.may_review_hidden_aid(user),
        },
    )
