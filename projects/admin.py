from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import (
    Baseline,
    ChangeRequest,
    CostEntry,
    Milestone,
    Project,
    ProjectDependency,
    StatusReport,
)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = [
        "sequence",
        "name",
        "weight",
        "baseline_date",
        "forecast_date",
        "actual_date",
        "status",
    ]


class DependencyInline(admin.TabularInline):
    """Read-only: dependencies are added through the project page, whose service refuses
    cycles and checks permissions."""

    model = ProjectDependency
    fk_name = "successor"
    extra = 0
    fields = ["predecessor", "kind", "deliverable", "predecessor_milestone", "needed_by"]
    readonly_fields = fields
    can_delete = False
    verbose_name = "depends on"
    verbose_name_plural = "depends on"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "portfolio", "program", "stage", "manager", "budget"]
    list_filter = ["portfolio", "stage", "computed_health", "is_mandatory"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["portfolio", "program", "manager", "sponsor", "requires", "excludes"]
    readonly_fields = ["baseline_set_at", "baseline_set_by", "computed_health", "version"]
    list_select_related = ["portfolio", "program", "manager"]
    inlines = [MilestoneInline, DependencyInline]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "baseline_date", "forecast_date", "actual_date", "status"]
    list_filter = ["status", "project__portfolio"]
    search_fields = ["name", "project__code", "project__name"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]


@admin.register(CostEntry)
class CostEntryAdmin(admin.ModelAdmin):
    list_display = ["project", "date", "amount", "category", "description"]
    list_filter = ["category", "project__portfolio"]
    search_fields = ["project__code", "project__name", "description"]
    autocomplete_fields = ["project"]
    date_hierarchy = "date"
    list_select_related = ["project"]


@admin.register(StatusReport)
class StatusReportAdmin(SimpleHistoryAdmin):
    list_display = ["project", "period_start", "state", "overall_rag", "percent_complete"]
    list_filter = ["state", "overall_rag", "project__portfolio"]
    search_fields = ["project__code", "project__name", "summary"]
    autocomplete_fields = ["project"]
    date_hierarchy = "period_start"
    list_select_related = ["project"]


@admin.register(ProjectDependency)
class ProjectDependencyAdmin(admin.ModelAdmin):
    """Read-only for the same reason as DependencyInline."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    list_display = ["successor", "predecessor", "kind", "deliverable", "needed_by"]
    list_filter = ["kind"]
    search_fields = ["successor__code", "predecessor__code", "deliverable"]
    autocomplete_fields = ["predecessor", "successor"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Change requests are decided, and baselines added, only on the project's pages, whose
    service checks the portfolio's envelope and who may decide; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["project", "status", "budget", "proposed_by", "proposed_at", "decided_by"]
    list_filter = ["status", "project__portfolio"]
    search_fields = ["project__code", "project__name", "reason"]
    list_select_related = ["project", "proposed_by", "decided_by"]


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin):
    list_display = ["project", "version", "budget", "start", "end", "created_by", "created_at"]
    list_filter = ["project__portfolio"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project", "created_by"]
