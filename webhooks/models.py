"""Outbound webhooks: a portfolio's subscriptions (a URL, the events it wants, the secret that
signs what is sent) and one delivery per (subscription, event), with its attempts."""

import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q

from core import access
from core.events import EVENTS


class SubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Subscriptions, like their secrets and delivery logs, are the business of the
        portfolio's managers (PMO, portfolio managers) and PMO admins only."""
        return access.filter_managed_portfolios(self, user, portfolio_field="portfolio")


class WebhookSubscription(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    description = models.CharField(max_length=200, blank=True)
    # Names from core.events.EVENTS; a list, so SQLite (the demo) stores it too.
    events = models.JSONField(default=list)
    # It signs every delivery, so it is stored as it is (a hash could not sign); pages show it
    # once, when it is made, and masked after; it is never logged.
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "url", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "url"],
                name="webhook_url_once_per_portfolio",
                violation_error_message="This portfolio already sends webhooks to this URL.",
            )
        ]

    def __str__(self):
        return f"{self.portfolio} → {self.url}"

    @property
    def masked_secret(self) -> str:
        return "••••••••" + self.secret[-4:]

    @property
    def event_labels(self) -> list[str]:
        return [label for name, label in EVENTS.items() if name in self.events]

    @property
    def events_summary(self) -> str:
        labels = self.event_labels
        return "Every event" if len(labels) == len(EVENTS) else ", ".join(labels)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # queued, not attempted yet
    RETRYING = "retrying", "Retrying"  # failed so far, another attempt is scheduled
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"  # every attempt failed (or the subscription went away)


FINISHED = (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD)


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.filter_managed_portfolios(self, user, portfolio_field="portfolio")


class WebhookDelivery(models.Model):
    # Sent as X-Slate-Delivery: receivers tell a redelivery from a new event by the body's
    # event id, and two attempts of one delivery by this.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The subscription's, kept here so the portfolio's log is one index scan.
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=40, choices=list(EVENTS.items()))
    event_id = models.UUIDField()
    body = models.TextField(help_text="The JSON sent, exactly; a redelivery sends it again.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status of the last attempt that got one."
    )
    last_error = models.CharField(max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["portfolio", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]
        constraints = [
            # The fan-out of an event writes one delivery per subscription; a redelivery is a
            # new row of the same event.
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=Q(redelivery_of__isnull=True),
                name="webhook_delivery_once_per_event",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription.url} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
