"""Self-service account activation and password reset by a code sent to the phone on record (portal.activation).

Step 1 (activate/, reset/) asks for the details and always answers the same way: a redirect to step 2, no sooner
than ACCOUNT_CODE_MIN_RESPONSE_SECONDS, whether or not the details matched and a code went out (or a 429 with the
same page for everyone when the address asked too often). Step 2 (…/code/) takes the code and the new password;
on success the browser's own session ends too and the user signs in with the new password on the sign-in page,
where the sign-in rules (lockouts, campus sign-in) apply as to everyone.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal import activation
from portal.forms_account import ActivationRequestForm, CodeRequestForm, SetPasswordByCodeForm
from portal.models import PhoneCode

SESSION_LOGIN = "account_code_login"  # the number typed in step 1, to fill in step 2 (the visitor's own input)


def campus_sign_in_only() -> bool:
    """CAS is on and students may not use portal passwords: a portal password would open nothing, so these pages
    only send people to the campus sign-in (whose own service resets campus passwords)."""
    return bool(settings.CAS_SERVER_URL) and not settings.STUDENTS_MAY_USE_LOCAL_PASSWORD


def _campus_only_page(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/account_campus_only.html")


def _pad(started: float) -> None:
    """Answer no sooner than the floor: a match (an SMS gateway call) and a non-match take the same time."""
    remaining = settings.ACCOUNT_CODE_MIN_RESPONSE_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def _request_step(
    request: HttpRequest, *, purpose: str, form_class: type, template: str, next_url: str
) -> HttpResponse:
    if campus_sign_in_only():
        return _campus_only_page(request)
    if request.method == "GET":
        return render(request, template, {"form": form_class()})
    form = form_class(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form})
    started = time.monotonic()
    try:
        activation.phone_code_request(
            purpose=purpose,
            login=form.cleaned_data["login"],
            id_tail=form.cleaned_data.get("id_tail", ""),
            address=request.META.get("REMOTE_ADDR"),
        )
    except activation.CodeRequestThrottled as exc:
        form.add_error(None, str(exc))
        return render(request, template, {"form": form, "throttled": True}, status=429)
    request.session[f"{SESSION_LOGIN}_{purpose}"] = form.cleaned_data["login"]
    _pad(started)
    return redirect(next_url)


def _confirm_step(request: HttpRequest, *, purpose: str, template: str, login_label: str) -> HttpResponse:
    if campus_sign_in_only():
        return _campus_only_page(request)
    if request.method == "GET":
        initial = {"login": request.session.get(f"{SESSION_LOGIN}_{purpose}", "")}
        form = SetPasswordByCodeForm(initial=initial, login_label=login_label)
        return render(request, template, {"form": form, "code_minutes": settings.ACCOUNT_CODE_TTL_MINUTES})
    form = SetPasswordByCodeForm(request.POST, login_label=login_label)
    if form.is_valid():
        try:
            activation.phone_code_use(
                purpose=purpose,
                login=form.cleaned_data["login"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["new_password1"],
            )
        except activation.PasswordRefused as exc:
            for message in exc.messages:
                form.add_error("new_password1", message)
        except activation.CodeRefused as exc:
            form.add_error("code", str(exc))
        else:
            if request.user.is_authenticated:
                logout(request)  # whoever was signed in here: the new password is the way in now
            request.session.pop(f"{SESSION_LOGIN}_{purpose}", None)
            if purpose == PhoneCode.Purpose.ACTIVATE:
                messages.success(request, _("Your account is active. Sign in with your number and new password."))
            else:
                messages.success(
                    request,
                    _("Your password was changed and you were signed out everywhere. Sign in with the new password."),
                )
            return redirect("login")
    return render(request, template, {"form": form, "code_minutes": settings.ACCOUNT_CODE_TTL_MINUTES})


@never_cache
@require_http_methods(["GET", "POST"])
def activate_request(request: HttpRequest) -> HttpResponse:
    return _request_step(
        request,
        purpose=PhoneCode.Purpose.ACTIVATE,
        form_class=ActivationRequestForm,
        template="registration/activate.html",
        next_url="account_activate_confirm",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def activate_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm_step(
        request,
        purpose=PhoneCode.Purpose.ACTIVATE,
        template="registration/activate_confirm.html",
        login_label=_("Student number"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    return _request_step(
        request,
        purpose=PhoneCode.Purpose.RESET,
        form_class=CodeRequestForm,
        template="registration/reset.html",
        next_url="account_reset_confirm",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reset_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm_step(
        request,
        purpose=PhoneCode.Purpose.RESET,
        template="registration/reset_confirm.html",
        login_label=_("Student or employee number"),
    )
