from django.contrib import admin

from webhooks.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Pausing only: subscriptions are made and changed on the portfolio's webhooks page,
    which checks the URL and makes the secret; the secret is never shown here."""

    list_display = ["url", "portfolio", "is_active", "created_at"]
    list_filter = ["is_active", "portfolio"]
    search_fields = ["url", "description"]
    fields = ["portfolio", "url", "description", "events", "is_active", "masked_secret"]
    readonly_fields = ["portfolio", "url", "description", "events", "masked_secret"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "subscription", "status", "attempts", "response_code"]
    list_filter = ["status", "event"]
    list_select_related = ["subscription"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
