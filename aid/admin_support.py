"""Admin of the support area."""


# --- Hidden aid (隐形资助) -------------------------------------------------------------------------------
# Read-only: canteen data comes in through the import, batches change only through the services (the
# ledger and the students' notices must follow every change). Candidates are not listed here at all:
# no page lists recipients except the aid officers' batch page.

from django.contrib import admin as _admin
from django.http import HttpRequest as _HttpRequest

from aid.models import CanteenImport as _CanteenImport
from aid.models import HiddenAidBatch as _HiddenAidBatch


class _ReadOnlyAdmin(_admin.ModelAdmin):
    def has_add_permission(self, request: _HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: _HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: _HttpRequest, obj: object = None) -> bool:
        return False


@_admin.register(_CanteenImport)
class CanteenImportAdmin(_ReadOnlyAdmin):
    list_display = ("month", "filename", "rows", "imported_by", "imported_at")
    list_filter = ("month",)
    date_hierarchy = "imported_at"


@_admin.register(_HiddenAidBatch)
class HiddenAidBatchAdmin(_ReadOnlyAdmin):
    list_display = ("month", "status", "fund", "approved_by", "approved_at", "pay_on", "paid_at")
    list_filter = ("status",)
    exclude = ("rules",)
    readonly_fields = (
        *("month", "status", "fund", "created_by", "created_at"),
        *("approved_by", "approved_at", "pay_on", "paid_at"),
    )


# --- Five-aid and work-study ------------------------------------------------------------------------------
# Read-mostly: cases, placements and timesheets change through the services (limits, sign-off, audit).
# Everything is read-only here: the rate rules and limits are the services', so the portal's forms are the
# way to change them.

from django.contrib import admin  # noqa: E402

from aid.models import (  # noqa: E402
    FiveAidCase,
    FiveAidEntry,
    TermReview,
    Timesheet,
    WorkStudyPlacement,
    WorkStudyPost,
)
from portal.admin_audit import AuditedReadAdmin  # noqa: E402


class _NoWrites(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FiveAidEntryInline(admin.TabularInline):
    model = FiveAidEntry
    extra = 0
    can_delete = False
    readonly_fields = ("aid", "kind", "title", "on", "created_by")
    exclude = ("note",)


class TermReviewInline(admin.TabularInline):
    model = TermReview
    extra = 0
    can_delete = False
    readonly_fields = ("term", "reviewed_by", "reviewed_at")
    exclude = ("summary",)


@admin.register(FiveAidCase)
class FiveAidCaseAdmin(_NoWrites, AuditedReadAdmin):
    list_display = ("student", "identification", "opened_at", "psych_status", "placed", "xinjiang_programme")
    list_filter = ("psych_status", "placed", "xinjiang_programme")
    search_fields = ("student__student_no",)
    list_select_related = ("student", "identification__year", "identification__student")
    exclude = ("plan",)
    inlines = (FiveAidEntryInline, TermReviewInline)


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
