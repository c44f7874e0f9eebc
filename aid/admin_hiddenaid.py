"""Admin of hidden aid (隐形资助). Read-only: canteen data comes in through the import, batches change only
through the services (the ledger and the students' notices must follow every change). Candidates are not
listed here at all: no page lists recipients except the aid officers' batch page."""

from django.contrib import admin
from django.http import HttpRequest

from aid.models import CanteenImport, HiddenAidBatch


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CanteenImport)
class CanteenImportAdmin(_ReadOnlyAdmin):
    list_display = ("month", "filename", "rows", "imported_by", "imported_at")
    list_filter = ("month",)
    date_hierarchy = "imported_at"


@admin.register(HiddenAidBatch)
class HiddenAidBatchAdmin(_ReadOnlyAdmin):
    list_display = ("month", "status", "fund", "approved_by", "approved_at", "pay_on", "paid_at")
    list_filter = ("status",)
    exclude = ("rules",)
    readonly_fields = (
        *("month", "status", "fund", "created_by", "created_at"),
        *("approved_by", "approved_at", "pay_on", "paid_at"),
    )
