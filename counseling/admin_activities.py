"""Admin of the activities area, imported by counseling/admin.py.

Sign-ups and images are read-only here (they change through the services: seat counting under a lock,
image checks); an article body saved here is sanitised like one saved through the journal pages. Who read
which article is never listed: only counts, on the journal pages.
"""

from django.contrib import admin
from django.http import HttpRequest

from counseling.models import Event, EventSignup, JournalArticle, JournalImage, JournalIssue
from counseling.sanitise import sanitise_article_html


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "audience", "starts_at", "place", "capacity", "cancelled")
    list_filter = ("kind", "audience", "cancelled")
    search_fields = ("title", "place")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("colleges", "invited")
    readonly_fields = ("created_by", "checkin_code")

    def save_model(self, request: HttpRequest, obj: Event, form, change: bool) -> None:
        if not change:
            from counseling.services.activities import new_checkin_code

            obj.created_by = request.user
            obj.checkin_code = new_checkin_code()
        super().save_model(request, obj, form, change)


@admin.register(EventSignup)
class EventSignupAdmin(_ReadOnly):
    list_display = ("event", "student", "status", "created_at", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("student__student_no", "student__name", "event__title")
    list_select_related = ("event", "student")


class JournalArticleInline(admin.TabularInline):
    model = JournalArticle
    fields = ("position", "title", "author")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # articles are added on their own page, where the body is sanitised


@admin.register(JournalIssue)
class JournalIssueAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "published_at")
    readonly_fields = ("created_by",)
    inlines = [JournalArticleInline]

    def save_model(self, request: HttpRequest, obj: JournalIssue, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(JournalArticle)
class JournalArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "issue", "author", "position")
    list_filter = ("issue",)
    search_fields = ("title", "author")
    list_select_related = ("issue",)

    def save_model(self, request: HttpRequest, obj: JournalArticle, form, change: bool) -> None:
        obj.body = sanitise_article_html(obj.body)
        super().save_model(request, obj, form, change)


@admin.register(JournalImage)
class JournalImageAdmin(_ReadOnly):
    list_display = ("image", "issue", "content_type", "uploaded_by", "uploaded_at")
    list_select_related = ("issue", "uploaded_by")
