"""Admin of screening instruments, imported by counseling/admin.py.

A definition is loaded from a file (every error listed with its line, nothing changed on a bad file) and
never edited afterwards: a change is a new version, so results keep the version they were scored with.
Only `active` can be changed: an inactive instrument can no longer be taken or chosen for a campaign.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext

from counseling.forms.instruments import InstrumentUploadForm
from counseling.models import InstrumentDefinition
from counseling.services.instruments import instrument_definition_load
from portal.audit import audit_log


@admin.register(InstrumentDefinition)
class InstrumentDefinitionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "version", "active", "shipped", "loaded_at", "loaded_by")
    list_filter = ("active", "shipped")
    search_fields = ("code", "name")
    list_select_related = ("loaded_by",)
    fields = ("code", "name", "version", "active", "shipped", "loaded_at", "loaded_by", "checksum", "source")
    readonly_fields = ("code", "name", "version", "shipped", "loaded_at", "loaded_by", "checksum", "source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # loaded from a file (the "Load a definition file" button), never typed in

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # results point at the version they were scored with

    def save_model(self, request: HttpRequest, obj: InstrumentDefinition, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            actor=request.user, action="instrument_definition.active_changed", obj=obj, changes={"active": obj.active}
        )

    def get_urls(self) -> list:
        return [
            path("load/", self.admin_site.admin_view(self.load_view), name="counseling_instrumentdefinition_load"),
            *super().get_urls(),
        ]

    def load_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a definition file: the form checks size and presence, the service checks the content."""
        if not request.user.has_perm("counseling.add_instrumentdefinition"):
            raise PermissionDenied
        result = None
        form = InstrumentUploadForm(request.POST, request.FILES) if request.method == "POST" else InstrumentUploadForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            check_only = form.cleaned_data["check_only"]
            with transaction.atomic():
                result = instrument_definition_load(actor=request.user, data=upload.read(), filename=upload.name)
                if check_only:
                    transaction.set_rollback(True)
            if result.ok:
                row = result.definition
                values = {"name": row.name, "version": row.version}
                if check_only:
                    messages.success(request, gettext("%(name)s version %(version)s has no errors.") % values)
                elif result.created:
                    messages.success(request, gettext("%(name)s version %(version)s was loaded.") % values)
                    return redirect("admin:counseling_instrumentdefinition_changelist")
                else:
                    messages.info(request, gettext("%(name)s version %(version)s is already loaded.") % values)
                    return redirect("admin:counseling_instrumentdefinition_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Load a definition file"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/counseling/instrumentdefinition/load.html", context)
