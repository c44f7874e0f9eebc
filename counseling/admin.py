"""Admin for the crisis network. Narratives and notes never appear in lists; opening a record is audited.

Django's admin autodiscovery imports this module only; it imports the other areas' admin modules (each registers
its models with the admin site on import).
"""

from django.contrib import admin
from django.http import HttpRequest

from counseling import admin_activities, admin_appointments, admin_instruments, admin_screening  # noqa: F401
from counseling.models import (
    Assessment,
    CareLevelOverride,
    Case,
    CaseEvent,
    InterventionAction,
    Report,
    ReporterQuestion,
    ZeroReport,
)
from portal.admin_audit import AuditedReadAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ("created_at", "relation", "anonymous", "in_danger")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(AuditedReadAdmin):
    list_display = ("pk", "student", "college", "level", "status", "owner", "created_at", "ack_due_at")
    list_filter = ("status", "level", "college")
    search_fields = ("student__student_no", "student__name")
    autocomplete_fields = ("student", "college", "owner", "assessors")
    list_select_related = ("student", "college", "owner")
    readonly_fields = ("created_at", "acknowledged_at", "closed_at")
    inlines = [ReportInline]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(AuditedReadAdmin):
    list_display = ("pk", "case", "created_at", "relation", "anonymous", "in_danger")
    list_filter = ("anonymous", "in_danger", "relation")
    search_fields = ("case__student__student_no", "case__student__name")
    list_select_related = ("case",)
    readonly_fields = ("case", "reporter", "anonymous", "created_at", "idempotency_key")
    exclude = ("receipt_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come in through the form, with routing and alerts

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(AuditedReadAdmin):
    """The timeline is append-only: read-only here, refused by the database too."""

    list_display = ("at", "case", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("case__student__student_no",)
    list_select_related = ("case", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(AuditedReadAdmin):
    list_display = ("pk", "case", "assessor", "conclusion", "created_at")
    list_filter = ("conclusion",)
    search_fields = ("case__student__student_no",)
    autocomplete_fields = ("case", "assessor")
    list_select_related = ("case", "assessor")


@admin.register(InterventionAction)
class InterventionActionAdmin(AuditedReadAdmin):
    list_display = ("pk", "case", "kind", "owner", "due_date", "status")
    list_filter = ("kind", "status")
    search_fields = ("case__student__student_no",)  # hospital is encrypted
    autocomplete_fields = ("case", "owner", "created_by")
    list_select_related = ("case", "owner")


@admin.register(ReporterQuestion)
class ReporterQuestionAdmin(AuditedReadAdmin):
    list_display = ("pk", "report", "asked_by", "asked_at", "answered_at")
    search_fields = ("report__case__student__student_no",)
    autocomplete_fields = ("report", "asked_by")
    list_select_related = ("report", "asked_by")


@admin.register(CareLevelOverride)
class CareLevelOverrideAdmin(AuditedReadAdmin):
    list_display = ("student", "level", "set_by", "set_at", "cleared_at")
    list_filter = ("level",)
    search_fields = ("student__student_no", "student__name")
    autocomplete_fields = ("student", "set_by")
    list_select_related = ("student", "set_by")


@admin.register(ZeroReport)
class ZeroReportAdmin(admin.ModelAdmin):
    list_display = ("class_group", "month", "filed_by", "nothing_to_report", "filed_at")
    list_filter = ("month", "nothing_to_report", "class_group__college")
    search_fields = ("class_group__name",)
    autocomplete_fields = ("class_group", "filed_by")
    list_select_related = ("class_group", "filed_by")
