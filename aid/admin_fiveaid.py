"""Admin of five-aid cases. Read-only: cases change through the services (audit, the referral into
counselling), so the portal's pages are the way to change them. Notes, plans and summaries are not shown."""

from django.contrib import admin

from aid.models import FiveAidCase, FiveAidEntry, TermReview
from portal.admin_audit import AuditedReadAdmin


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
