"""Message preferences: each signed-in user chooses the channels of the messages they get (portal.channels)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal import services
from portal.channels import preferences
from portal.forms_messaging import MessagePreferencesForm


@login_required
def message_preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Bound on every POST: unticking every box sends no field at all.
    form = MessagePreferencesForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_preferences_set(actor=user, choices=form.choices())
        except services.DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your message preferences were saved."))
            return redirect("message_preferences")
    context = {
        "form": form,
        "crisis_fixed": preferences.is_staff_member(user),
        "has_phone": bool(preferences.phone_of(user)),
        "has_email": bool(user.email),
        "has_wecom": bool(preferences.wecom_userid(user)),
        "sms_on": preferences.sms_enabled(),
        "wecom_on": preferences.wecom_enabled(),
    }
    return render(request, "portal/message_preferences.html", context)
