"""Admin of the funds area. Money moves only through the services: ledger entries, payments and the
application pipeline are read-only here; bank-card numbers appear masked."""

from django.contrib import admin

from aid.models import (
    Application,
    ApplicationEvent,
    BankAccount,
    Fund,
    LedgerEntry,
    Payment,
    PaymentBatch,
    Programme,
    Quota,
)
from portal.admin_audit import AuditedReadAdmin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuotaInline(admin.TabularInline):
    model = Quota
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "party",
        "kind",
        "amount_mode",
        "amount",
        "required_tier",
        "min_study_year",
        "active",
    )
    list_filter = ("party", "kind", "active")
    search_fields = ("name", "code")
    filter_horizontal = ("excludes",)
    inlines = [QuotaInline]


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ("name", "party", "year", "budget", "donor")
    list_filter = ("party", "year")
    search_fields = ("name", "donor")


class ApplicationEventInline(ReadOnlyMixin, admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    fields = ("at", "actor", "from_status", "to_status")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyMixin, AuditedReadAdmin):
    list_display = ("student", "programme", "year", "status", "amount", "fund", "submitted_at")
    list_filter = ("status", "programme", "year")
    search_fields = ("student__student_no",)
    list_select_related = ("student", "programme", "year", "fund")
    exclude = ("statement",)
    inlines = [ApplicationEventInline]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at", "exported_at")
    list_select_related = ("created_by",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("student", "amount", "due_on", "status", "fund", "batch", "paid_at")
    list_filter = ("status", "fund__party")
    search_fields = ("student__student_no",)
    list_select_related = ("student", "fund", "batch")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("fund", "kind", "amount", "application", "created_by", "created_at")
    list_filter = ("kind", "fund")
    list_select_related = ("fund", "application", "created_by")


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyMixin, AuditedReadAdmin):
    list_display = ("student", "bank", "card_masked")
    search_fields = ("student__student_no",)
    list_select_related = ("student",)
    fields = ("student", "bank", "card_masked")
    readonly_fields = fields
