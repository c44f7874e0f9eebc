"""Admin of the identification area. Identifications and their sensitive parts are audited when opened;
the timeline is read-only (append-only in the model)."""

from django.contrib import admin

from aid.models import (
    AcademicYear,
    Appeal,
    ClassEvaluation,
    EvaluationGroup,
    Identification,
    IdentificationEvent,
    Notice,
    Objection,
)
from portal.admin_audit import AuditedReadAdmin


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "window_opens_on", "window_closes_on", "is_current")
    list_filter = ("is_current",)
    search_fields = ("name",)
    ordering = ("-starts_on",)


class EventInline(admin.TabularInline):
    model = IdentificationEvent
    fields = ("at", "actor", "from_status", "to_status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Identification)
class IdentificationAdmin(AuditedReadAdmin):
    """Changes go through the services (the state machine); the admin only reads."""

    list_display = ("student", "year", "status", "class_tier", "college_tier", "tier", "mid_year", "submitted_at")
    list_filter = ("year", "status", "tier", "mid_year", "student__college")
    search_fields = ("student__name", "student__student_no")
    list_select_related = ("student", "year")
    raw_id_fields = ("student",)
    readonly_fields = (
        "student",
        "year",
        "status",
        "mid_year",
        "household_size",
        "household_income",
        "household_debt",
        "special_statuses",
        "statement",
        "pledge_signed_at",
        "class_tier",
        "college_tier",
        "tier",
        "submitted_at",
        "decided_at",
        "college_notice",
        "school_notice",
        "created_at",
    )
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IdentificationEvent)
class IdentificationEventAdmin(admin.ModelAdmin):
    list_display = ("identification", "at", "actor", "from_status", "to_status")
    list_filter = ("to_status",)
    search_fields = ("identification__student__name", "identification__student__student_no")
    list_select_related = ("identification__student", "identification__year", "actor")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EvaluationGroup)
class EvaluationGroupAdmin(admin.ModelAdmin):
    list_display = ("class_group", "year", "set_by", "set_at")
    list_filter = ("year", "class_group__college")
    search_fields = ("class_group__name",)
    raw_id_fields = ("members", "set_by")


@admin.register(ClassEvaluation)
class ClassEvaluationAdmin(AuditedReadAdmin):
    list_display = ("identification", "member", "suggested_tier", "created_at")
    list_filter = ("suggested_tier",)
    raw_id_fields = ("identification", "member")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "college", "year", "starts_on", "ends_on", "created_by")
    list_filter = ("kind", "year", "college")
    search_fields = ("title",)
    raw_id_fields = ("created_by",)


@admin.register(Objection)
class ObjectionAdmin(AuditedReadAdmin):
    list_display = ("__str__", "notice", "status", "created_at", "answered_at")
    list_filter = ("status",)
    raw_id_fields = ("identification", "notice", "lodged_by", "answered_by")


@admin.register(Appeal)
class AppealAdmin(AuditedReadAdmin):
    list_display = ("__str__", "identification", "lodged_at", "answer_due_on", "answered_at")
    list_filter = ("answer_due_on",)
    raw_id_fields = ("identification", "answered_by")
