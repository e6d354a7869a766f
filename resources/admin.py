from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from resources.models import (
    Allocation,
    Calendar,
    CapacityAdjustment,
    ConflictResolution,
    PublicHoliday,
    Resource,
    Role,
    Skill,
)


class HolidayInline(admin.TabularInline):
    model = PublicHoliday
    extra = 0


class AdjustmentInline(admin.TabularInline):
    model = CapacityAdjustment
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "hours_per_day"]
    search_fields = ["name"]
    inlines = [HolidayInline]


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "calendar"]
    list_filter = ["calendar"]
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "default_cost_rate"]
    search_fields = ["name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "fte", "cost_rate", "start_date", "end_date"]
    list_filter = ["role", "calendar"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["user", "role", "skills"]
    list_select_related = ["role"]
    inlines = [AdjustmentInline]


@admin.register(CapacityAdjustment)
class CapacityAdjustmentAdmin(admin.ModelAdmin):
    list_display = ["resource", "kind", "start_date", "end_date", "hours_per_day"]
    list_filter = ["kind"]
    search_fields = ["resource__name", "note"]
    autocomplete_fields = ["resource"]


@admin.register(Allocation)
class AllocationAdmin(SimpleHistoryAdmin):
    list_display = [
        "project",
        "role",
        "resource",
        "start_month",
        "end_month",
        "amount",
        "unit",
        "status",
    ]
    list_filter = ["status", "unit", "role", "project__portfolio"]
    search_fields = ["project__code", "project__name", "resource__name"]
    autocomplete_fields = ["project", "role", "resource"]
    list_select_related = ["project", "role", "resource"]


@admin.register(ConflictResolution)
class ConflictResolutionAdmin(admin.ModelAdmin):
    """A record of decisions taken on the conflict page: read-only here."""

    list_display = ["month", "role", "project", "action", "decided_by", "decided_at"]
    list_filter = ["action", "role"]
    search_fields = ["project__code", "person", "reason"]
    list_select_related = ["role", "project", "decided_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
