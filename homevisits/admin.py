from django.contrib import admin

from homevisits.models import Expense, Trip, TripStop


class TripStopInline(admin.TabularInline):
    model = TripStop
    extra = 0


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "status", "leader", "starts_on", "ends_on", "budget")
    list_filter = ("year", "status")
    search_fields = ("title", "regions")
    raw_id_fields = ("leader", "members", "created_by", "approved_by")
    inlines = [TripStopInline]


@admin.register(Expense)
class ExpenseAdmin(admin.ModelAdmin):
    list_display = ("trip", "spent_on", "category", "amount")
    raw_id_fields = ("trip", "created_by")
