"""Reads of the webhooks pages: a portfolio's subscriptions with their delivery counts, and
its delivery log."""

from __future__ import annotations

import json

from django.db.models import Count, Max, Q, QuerySet

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def portfolio_subscriptions(*, portfolio) -> QuerySet[WebhookSubscription]:
    """The portfolio's subscriptions, each with how many deliveries were delivered, are dead
    or still under way, and when the last one was made (one query)."""
    return (
        WebhookSubscription.objects.filter(portfolio=portfolio)
        .annotate(
            delivered_count=Count(
                "deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)
            ),
            dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
            open_count=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
            ),
            last_delivery_at=Max("deliveries__created_at"),
        )
        .order_by("url", "pk")
    )


def delivery_log(
    *, portfolio, status: str = "", subscription=None, event: str = ""
) -> QuerySet[WebhookDelivery]:
    """The portfolio's deliveries, newest first, optionally of one status, subscription or
    event."""
    deliveries = WebhookDelivery.objects.filter(portfolio=portfolio).select_related(
        "subscription", "requested_by"
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if subscription is not None:
        deliveries = deliveries.filter(subscription=subscription)
    if event:
        deliveries = deliveries.filter(event=event)
    return deliveries.order_by("-created_at", "-pk")


def delivery_body(delivery: WebhookDelivery) -> str:
    """The JSON a delivery sends, indented for reading (the wire form is compact)."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        return delivery.body
