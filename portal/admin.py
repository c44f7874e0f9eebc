from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import config
from portal.admin_audit import AuditedReadAdmin
from portal.audit import audit_log
from portal.models import (
    AuditEvent,
    ClassGroup,
    College,
    DormRoom,
    Guardian,
    Holiday,
    MessagePreference,
    Notification,
    PhoneCode,
    Reminder,
    RoleAssignment,
    Setting,
    Staff,
    Student,
    User,
)
from portal.roster import RosterUploadForm, roster_import


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "is_staff", "is_active", "local_sign_in", "last_login")
    list_filter = (*BaseUserAdmin.list_filter, "local_sign_in")
    search_fields = ("username", "full_name", "email")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Nuanxin", {"fields": ("full_name", "local_sign_in")}))


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
class StudentAdmin(AuditedReadAdmin):
    list_display = ("student_no", "name", "gender", "ethnicity", "college", "class_group", "room", "status")
    list_filter = ("college", "status", "gender", "enrolment_year")
    search_fields = ("student_no", "name")
    autocomplete_fields = ("user", "college", "class_group", "room")
    list_select_related = ("college", "class_group", "room")
    readonly_fields = ("id_card_masked",)
    inlines = [GuardianInline]

    def get_urls(self) -> list:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_roster_view),
                name="portal_student_import_roster",
            ),
            *super().get_urls(),
        ]

    def import_roster_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a roster: the form checks size and presence, `roster_import` does the rest."""
        if not request.user.has_perm("portal.add_student"):
            raise PermissionDenied
        result = None
        form = RosterUploadForm(request.POST, request.FILES) if request.method == "POST" else RosterUploadForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            dry_run = form.cleaned_data["dry_run"]
            result = roster_import(actor=request.user, data=upload.read(), filename=upload.name, dry_run=dry_run)
            if result.ok and dry_run:
                messages.success(
                    request,
                    gettext("%(rows)d rows checked, no errors: %(created)d new students, %(updated)d to update.")
                    % {"rows": result.rows, "created": result.created, "updated": result.updated},
                )
            elif result.ok:
                messages.success(
                    request,
                    gettext(
                        "Roster imported: %(created)d students created, %(updated)d updated, %(unchanged)d unchanged."
                    )
                    % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                )
                return redirect("admin:portal_student_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import roster"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/portal/student/import_roster.html", context)


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
    list_display = ("recipient", "channel", "kind", "subject", "due_at", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("recipient__username", "dedupe_key", "subject")
    autocomplete_fields = ("recipient",)
    list_select_related = ("recipient",)
    readonly_fields = ("attempts", "last_error", "sent_at", "created_at")


@admin.register(MessagePreference)
class MessagePreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "by_email", "by_sms", "by_wecom")
    list_filter = ("kind", "by_email", "by_sms", "by_wecom")
    search_fields = ("user__username", "user__full_name")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)


@admin.register(PhoneCode)
class PhoneCodeAdmin(admin.ModelAdmin):
    """Read-only, for support ("did my code go out?"): the phone masked, never the code (only its hash exists)."""

    list_display = ("created_at", "purpose", "user", "masked_phone", "address", "attempts", "used_at", "expires_at")
    list_filter = ("purpose",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("created_at", "purpose", "user", "masked_phone", "address", "attempts", "used_at", "expires_at")
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: PhoneCode) -> str:
        return f"…{obj.phone[-4:]}" if obj.phone else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PhoneCode | None = None) -> bool:
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


class SettingForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("key"))

    class Meta:
        model = Setting
        fields = ("key", "value")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(d.key, f"{d.key} — {d.description}") for d in config.declared()]


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    """Values an admin may change; each key, its default and meaning are declared in portal.config."""

    form = SettingForm
    list_display = ("key", "value", "updated_at")
    search_fields = ("key",)

    def save_model(self, request: HttpRequest, obj: Setting, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        config.clear_cache()
        audit_log(actor=request.user, action="setting.changed", obj=obj, changes={"key": obj.key})

    def delete_model(self, request: HttpRequest, obj: Setting) -> None:
        super().delete_model(request, obj)
        config.clear_cache()
