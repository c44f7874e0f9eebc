"""Admin of work-study. Read-only: posts, placements and timesheets change through the services (the rate
rules, the hour limits, the supervisor's sign-off, audit), so the portal's forms are the way to change them."""

from django.contrib import admin

from aid.models import Timesheet, WorkStudyPlacement, WorkStudyPost


class _NoWrites(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkStudyPost)
class WorkStudyPostAdmin(_NoWrites):
    list_display = ("title", "unit", "kind", "hourly_rate", "hours_per_month", "openings", "supervisor", "active")
    list_filter = ("kind", "active", "year")
    search_fields = ("title", "unit")


@admin.register(WorkStudyPlacement)
class WorkStudyPlacementAdmin(_NoWrites):
    list_display = ("student", "post", "status", "applied_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("student__student_no",)
    list_select_related = ("student", "post")


@admin.register(Timesheet)
class TimesheetAdmin(_NoWrites):
    list_display = ("placement", "month", "total_hours", "pay", "status", "signed_by")
    list_filter = ("status", "month")
    list_select_related = ("placement__student", "placement__post", "signed_by")
