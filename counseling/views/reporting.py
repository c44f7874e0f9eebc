"""Placeholder: being written."""

from django.http import Http404, HttpRequest, HttpResponse


def index(request: HttpRequest, **kwargs: object) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import render

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "counseling/index.html")


def report_new(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def subject_search(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def report_received(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def my_reports(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def my_question_answer(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def receipt_lookup(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def receipt_answer(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
