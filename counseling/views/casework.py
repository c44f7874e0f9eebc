"""Placeholder: being written."""

from django.http import Http404, HttpRequest, HttpResponse


def queue(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def my_cases(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_acknowledge(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_level(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_owner(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_touchpoint(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_status(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_note(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_assessors(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_assessment(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_action_add(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def case_match(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def report_ask(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def action_done(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def care_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def care_file(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def care_level_override(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
