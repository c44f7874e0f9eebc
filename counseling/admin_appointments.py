"""Admin of the appointments area, imported by counseling/admin.py.

Reasons and session notes never appear here: the intake reason is for the counsellor, and session notes
are readable only by their author and the centre's supervisors (in the app, audited).
"""

from django.contrib import admin
from django.http import HttpRequest

from counseling.models import (
    AvailabilityTemplate,
    BlockedDay,
    Booking,
    BookingRestriction,
    Slot,
    Supervision,
    WaitlistEntry,
)


@admin.register(AvailabilityTemplate)
class AvailabilityTemplateAdmin(admin.ModelAdmin):
    list_display = ("counsellor", "weekday", "start_time", "length_minutes", "mode", "active")
    list_filter = ("active", "weekday", "mode")
    autocomplete_fields = ("counsellor",)
    list_select_related = ("counsellor",)


@admin.register(BlockedDay)
class BlockedDayAdmin(admin.ModelAdmin):
    """An empty counsellor blocks the day for everyone (school holidays are portal.Holiday)."""

    list_display = ("date", "counsellor", "reason")
    autocomplete_fields = ("counsellor",)
    list_select_related = ("counsellor",)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "counsellor", "mode", "status", "held_until")
    list_filter = ("status", "mode")
    date_hierarchy = "starts_at"
    search_fields = ("counsellor__username", "counsellor__full_name")
    list_select_related = ("counsellor",)
    readonly_fields = ("status", "held_for", "held_until", "template")
    autocomplete_fields = ("counsellor",)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: bookings change through the app's services (locks, rules, reminders)."""

    list_display = ("slot", "student", "status", "source", "created_at")
    list_filter = ("status", "source")
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("slot", "slot__counsellor", "student")
    exclude = ("reason",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(BookingRestriction)
class BookingRestrictionAdmin(admin.ModelAdmin):
    list_display = ("student", "reason", "created_at", "lifted_at", "lifted_by")
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "lifted_by")
    readonly_fields = ("student", "reason", "created_at", "lifted_by", "lifted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("student", "counsellor", "status", "created_at", "offer_expires_at")
    list_filter = ("status",)
    search_fields = ("student__student_no", "student__name")
    list_select_related = ("student", "counsellor")
    readonly_fields = ("offered_slot", "offer_expires_at")
    autocomplete_fields = ("student", "counsellor")


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    """Who is a trainee counsellor and which centre counsellor co-signs their session notes (model.clean checks
    the supervisor is a centre counsellor). Reassigning a trainee hands their waiting notes to the new
    supervisor; deleting the row ends the traineeship (notes already waiting keep waiting: reassign first)."""

    list_display = ("trainee", "supervisor", "since")
    autocomplete_fields = ("trainee", "supervisor")
    list_select_related = ("trainee", "supervisor")
    search_fields = ("trainee__username", "trainee__full_name", "supervisor__username", "supervisor__full_name")
