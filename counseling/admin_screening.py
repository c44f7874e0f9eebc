"""Admin of the screening area, imported by counseling/admin.py.

Results and invitations are read-only here (they come in through the questionnaire and the services,
with their safety rules); answers never appear in a list, and opening a record is audited.
"""

from django.contrib import admin
from django.http import HttpRequest

from counseling.models import InterviewOutcome, Invitation, Retest, ScreeningCampaign, ScreeningResult
from portal.admin_audit import AuditedReadAdmin


class _ReadOnly(AuditedReadAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ScreeningCampaign)
class ScreeningCampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "enrolment_year", "opens_on", "closes_on", "created_by")
    list_filter = ("enrolment_year",)
    search_fields = ("title",)
    # Ending early and reopening go through counseling.services.screening_care (checks, audit).
    readonly_fields = ("created_by", "created_at", "ended_early_at", "ended_early_by", "reopened_at", "reopened_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened on the campaign page, through the service (validation, audit)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ScreeningResult)
class ScreeningResultAdmin(_ReadOnly):
    list_display = ("pk", "student", "instrument", "completed_at", "campaign")
    list_filter = ("instrument", "campaign")
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "campaign")
    exclude = ("idempotency_key",)


@admin.register(Invitation)
class InvitationAdmin(_ReadOnly):
    list_display = ("pk", "student", "status", "invited_by", "invited_at", "responded_at")
    list_filter = ("status",)
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "invited_by")


@admin.register(InterviewOutcome)
class InterviewOutcomeAdmin(_ReadOnly):
    """Recorded on the positive list or in the care file; the note shows only on the (audited) record page."""

    list_display = ("pk", "student", "outcome", "campaign", "recorded_by", "recorded_at")
    list_filter = ("outcome", "campaign")
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "campaign", "recorded_by")


@admin.register(Retest)
class RetestAdmin(_ReadOnly):
    list_display = ("pk", "student", "instrument", "due_on", "invited_at", "result")
    list_filter = ("instrument",)
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "result")
