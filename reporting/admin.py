from django.contrib import admin

from reporting.models import DigestDelivery, DigestSubscription, PortfolioReview, ProjectSnapshot


class SnapshotInline(admin.TabularInline):
    model = ProjectSnapshot
    extra = 0
    can_delete = False
    fields = [
        "project",
        "stage",
        "budget",
        "actual_cost",
        "earned_value",
        "computed_health",
        "reported_health",
        "is_watermelon",
    ]
    readonly_fields = fields
    show_change_link = True


@admin.register(PortfolioReview)
class PortfolioReviewAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "kind", "period_start", "status", "started_at", "finished_at"]
    list_filter = ["kind", "status", "portfolio"]
    search_fields = ["portfolio__name"]
    date_hierarchy = "period_start"
    inlines = [SnapshotInline]


@admin.register(ProjectSnapshot)
class ProjectSnapshotAdmin(admin.ModelAdmin):
    list_display = ["project", "review", "computed_health", "reported_health", "is_watermelon"]
    list_filter = ["review__kind", "computed_health", "is_watermelon"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project", "review__portfolio"]


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "portfolio", "kind", "created_at"]
    list_filter = ["kind", "portfolio"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "portfolio"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["review", "recipient", "email", "sent_at"]
    list_filter = ["review__kind"]
    search_fields = ["email", "recipient__username"]
