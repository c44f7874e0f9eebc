from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from portal.models import (
    AuditEvent,
    ClassGroup,
    College,
    DormRoom,
    Guardian,
    Holiday,
    Notification,
    Reminder,
    RoleAssignment,
    Staff,
    Student,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "is_staff", "is_active", "last_login")
    search_fields = ("username", "full_name", "email")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Nuanxin", {"fields": ("full_name",)}))


@admin.register(College)
class CollegeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "leadership_email")
    search_fields = ("code", "name")


@admin.register(ClassGroup)
class ClassGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "college", "major", "enrolment_year", "head_teacher")
    list_filter = ("college", "enrolment_year")
    search_fields = ("name", "major")
    autocomplete_fields = ("college", "head_teacher")
    list_select_related = ("college", "head_teacher")


@admin.register(DormRoom)
class DormRoomAdmin(admin.ModelAdmin):
    list_display = ("building", "floor", "room")
    list_filter = ("building",)
    search_fields = ("building", "room")


class GuardianInline(admin.TabularInline):
    model = Guardian
    extra = 0


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("student_no", "name", "gender", "ethnicity", "college", "class_group", "room", "status")
    list_filter = ("college", "status", "gender", "enrolment_year")
    search_fields = ("student_no", "name")
    autocomplete_fields = ("user", "college", "class_group", "room")
    list_select_related = ("college", "class_group", "room")
    readonly_fields = ("id_card_masked",)
    inlines = [GuardianInline]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "name", "college", "unit")
    list_filter = ("college",)
    search_fields = ("employee_no", "name")
    autocomplete_fields = ("user", "college")
    list_select_related = ("college",)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "college", "class_group", "valid_from", "valid_until")
    list_filter = ("role", "college")
    search_fields = ("user__username", "user__full_name")
    autocomplete_fields = ("user", "college", "class_group", "rooms")
    list_select_related = ("user", "college", "class_group")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only (the database refuses changes too)."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "ip", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username", "request_id")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "title", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("recipient__username", "title")
    autocomplete_fields = ("recipient",)
    list_select_related = ("recipient",)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("recipient", "channel", "subject", "due_at", "status", "attempts", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("recipient__username", "dedupe_key", "subject")
    autocomplete_fields = ("recipient",)
    list_select_related = ("recipient",)
    readonly_fields = ("attempts", "last_error", "sent_at", "created_at")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
