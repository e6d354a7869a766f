from django.contrib import admin

from portfolio.models import (
    GateDecision,
    ObjectiveContribution,
    Portfolio,
    PortfolioMembership,
    Program,
    ProjectScore,
    RankingSnapshot,
    Scenario,
    ScoringCriterion,
    StrategicObjective,
    Synergy,
)


class MembershipInline(admin.TabularInline):
    model = PortfolioMembership
    extra = 0
    autocomplete_fields = ["user"]


class ProgramInline(admin.TabularInline):
    model = Program
    extra = 0
    fields = ["name", "manager"]
    autocomplete_fields = ["manager"]


class ObjectiveInline(admin.TabularInline):
    model = StrategicObjective
    extra = 0
    fields = ["name", "weight", "active_from", "active_until"]


class CriterionInline(admin.TabularInline):
    model = ScoringCriterion
    extra = 0
    fields = ["name", "weight", "direction"]


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "currency",
        "budget_envelope",
        "reporting_period",
        "reminders_enabled",
    ]
    list_filter = ["reporting_period", "currency"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline, ProgramInline, ObjectiveInline, CriterionInline]


@admin.register(PortfolioMembership)
class PortfolioMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "portfolio", "role"]
    list_filter = ["role", "portfolio"]
    search_fields = ["user__username", "user__email", "portfolio__name"]
    autocomplete_fields = ["user", "portfolio"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "manager"]
    list_filter = ["portfolio"]
    search_fields = ["name", "portfolio__name"]
    autocomplete_fields = ["portfolio", "manager"]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "weight", "active_from", "active_until"]
    list_filter = ["portfolio"]
    search_fields = ["name", "description"]


@admin.register(ScoringCriterion)
class ScoringCriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "weight", "direction"]
    list_filter = ["portfolio", "direction"]
    search_fields = ["name"]


@admin.register(ProjectScore)
class ProjectScoreAdmin(admin.ModelAdmin):
    list_display = ["project", "criterion", "score", "scored_by", "scored_at"]
    list_filter = ["criterion__portfolio", "criterion"]
    search_fields = ["project__code", "project__name"]
    autocomplete_fields = ["project", "scored_by"]


@admin.register(ObjectiveContribution)
class ObjectiveContributionAdmin(admin.ModelAdmin):
    list_display = ["project", "objective", "contribution"]
    list_filter = ["objective__portfolio", "contribution"]
    search_fields = ["project__code", "project__name", "objective__name"]
    autocomplete_fields = ["project"]


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "budget_limit", "created_by", "committed_at"]
    list_filter = ["portfolio"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["forced_in", "forced_out", "stopped"]


@admin.register(Synergy)
class SynergyAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "value_bonus", "cost_saving", "updated_at"]
    list_filter = ["portfolio"]
    search_fields = ["name", "reason"]
    autocomplete_fields = ["members"]


@admin.register(GateDecision)
class GateDecisionAdmin(admin.ModelAdmin):
    list_display = ["project", "from_stage", "to_stage", "outcome", "decided_by", "decided_on"]
    list_filter = ["outcome", "project__portfolio"]
    search_fields = ["project__code", "project__name", "rationale"]
    autocomplete_fields = ["project", "decided_by"]
    date_hierarchy = "decided_on"


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "taken_on", "taken_by"]
    list_filter = ["portfolio"]
    date_hierarchy = "taken_on"

    def has_change_permission(self, request, obj=None):
        return False
