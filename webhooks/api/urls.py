"""/api/webhook-subscriptions/: only the router's registration (config/urls.py merges it)."""

from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter()
router.register(
    "webhook-subscriptions", views.WebhookSubscriptionViewSet, basename="webhook-subscription"
)
