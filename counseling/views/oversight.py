"""Placeholder: being written."""

from django.http import Http404, HttpRequest, HttpResponse


def dashboard(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def zero_report(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def zero_reports(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
