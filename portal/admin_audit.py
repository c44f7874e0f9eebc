"""Admin pages for sensitive models: opening a record in the admin is audited like any other read."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from portal.audit import audit_log


class AuditedReadAdmin(admin.ModelAdmin):
    """Writes a `read` audit event whenever an admin opens one record (the change view)."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit_log(
                actor=request.user,
                action="read",
                object_type=self.model._meta.label_lower,
                object_id=object_id,
                changes={"via": "admin"},
            )
        return response
