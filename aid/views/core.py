"""The aid home page: what each role can do here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aid import access


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not access.may_use_aid(request.user):
        raise PermissionDenied
    return render(request, "aid/index.html")
