"""Writes of the webhooks app: subscriptions (by the portfolio's managers), the fan-out of a
published event into deliveries, one delivery attempt, and a redelivery.

An event's deliveries are written inside the transaction that published it (core/events.py)
and queued to Celery only when it commits: a rolled-back write sends nothing, and a committed
one has its deliveries on record even if the queueing is lost (webhooks/delivery.py
`deliveries_requeue` picks them up). Sending and retrying live in webhooks/delivery.py."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from core import access
from core.events import EVENTS, Event
from webhooks import addresses, delivery, payloads, signing
from webhooks.models import FINISHED, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SUBSCRIPTION_FIELDS = ("url", "description", "events", "is_active")
MIN_SECRET_LENGTH = 16
REFUSED = "Only the portfolio's PMO and portfolio managers manage its webhooks."


def _require_manager(user, portfolio) -> None:
    access.require(access.can_manage_portfolio(user, portfolio), REFUSED)


# Subscriptions ------------------------------------------------------------------------------


def _validate(subscription: WebhookSubscription, secret: str | None) -> None:
    errors = {}
    problem = addresses.url_problem(subscription.url or "")
    if problem:
        errors["url"] = problem
    unknown = sorted(set(subscription.events) - set(EVENTS))
    if unknown:
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    elif not subscription.events:
        errors["events"] = "Choose at least one event."
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        errors["secret"] = f"A secret has at least {MIN_SECRET_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    subscription.full_clean()


def _apply(subscription: WebhookSubscription, data: dict) -> None:
    for field in SUBSCRIPTION_FIELDS:
        if field in data:
            setattr(subscription, field, data[field])
    subscription.url = (subscription.url or "").strip()
    # in the catalogue's order, once each
    subscription.events = [name for name in EVENTS if name in set(subscription.events)]


@transaction.atomic
def subscription_create(*, portfolio, data: dict, by) -> WebhookSubscription:
    """A new subscription; without a `secret` in `data`, Slate makes one."""
    _require_manager(by, portfolio)
    secret = (data.get("secret") or "").strip() or None
    subscription = WebhookSubscription(portfolio=portfolio, created_by=by)
    _apply(subscription, data)
    subscription.secret = secret or signing.new_secret()
    _validate(subscription, secret)
    subscription.save()
    logger.info("webhook subscription created id=%s portfolio=%s", subscription.pk, portfolio.code)
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: WebhookSubscription, data: dict, by, new_secret: bool = False
) -> WebhookSubscription:
    """Change a subscription. A `secret` in `data` replaces the secret; `new_secret` has Slate
    make a new one; otherwise it is kept."""
    _require_manager(by, subscription.portfolio)
    secret = (data.get("secret") or "").strip() or None
    _apply(subscription, data)
    if secret or new_secret:
        subscription.secret = secret or signing.new_secret()
    _validate(subscription, secret)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, by) -> None:
    """Delete a subscription and its delivery log; a delivery queued for it is not sent."""
    _require_manager(by, subscription.portfolio)
    with transaction.atomic():
        # Redeliveries first, the last of each chain at a time: deleting a delivery sets its
        # redeliveries' `redelivery_of` to null before they go, and a redelivery made an
        # original breaks the once-per-event constraint (an IntegrityError, a 500).
        deliveries = WebhookDelivery.objects.filter(subscription=subscription)
        while True:
            leaves = deliveries.filter(redelivery_of__isnull=False, redeliveries__isnull=True)
            if not leaves.delete()[0]:
                break
        subscription.delete()


# Fan-out ------------------------------------------------------------------------------------


def event_published(event: Event) -> list[WebhookDelivery]:
    """The event bus's listener (registered in WebhooksConfig.ready): one delivery per active
    subscription of the portfolio to this event, queued once the transaction commits."""
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(
            portfolio_id=event.portfolio_id, is_active=True
        ).select_related("portfolio")
        if event.name in subscription.events
    ]
    if not subscriptions:
        return []
    body = payloads.encode(payloads.envelope(event, subscriptions[0].portfolio))
    created = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                portfolio_id=event.portfolio_id,
                event=event.name,
                event_id=event.id,
                body=body,
            )
            for subscription in subscriptions
        ]
    )
    delivery.queue_on_commit([row.pk for row in created])
    return created


@transaction.atomic
def delivery_redeliver(*, original: WebhookDelivery, by) -> WebhookDelivery:
    """Send a finished delivery's body again, as a new delivery (the log keeps both)."""
    _require_manager(by, original.portfolio)
    if not original.is_finished:
        raise ValidationError(
            "This delivery is still being attempted; redeliver it once it is delivered or dead."
        )
    if not original.subscription.is_active:
        raise ValidationError("The subscription is paused: make it active to redeliver.")
    # Locked, so a double click makes one redelivery, not two.
    WebhookDelivery.objects.select_for_update().filter(pk=original.pk).first()
    if original.redeliveries.exclude(status__in=FINISHED).exists():
        raise ValidationError("A redelivery of it is already under way.")
    again = WebhookDelivery.objects.create(
        subscription=original.subscription,
        portfolio_id=original.portfolio_id,
        event=original.event,
        event_id=original.event_id,
        body=original.body,
        redelivery_of=original,
        requested_by=by,
    )
    delivery.queue_on_commit([again.pk])
    return again
