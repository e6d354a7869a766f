from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from risks.models import Risk


@admin.register(Risk)
class RiskAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "portfolio",
        "project",
        "probability",
        "impact",
        "cost_impact",
        "status",
        "owner",
        "due_date",
    ]
    list_filter = ["status", "response", "portfolio", ("project", admin.EmptyFieldListFilter)]
    search_fields = ["title", "description", "project__code"]
    autocomplete_fields = ["portfolio", "project", "owner", "threatened_projects", "escalated_to"]
    readonly_fields = ["escalated_by", "escalated_at", "version"]
    list_select_related = ["portfolio", "project", "owner"]
