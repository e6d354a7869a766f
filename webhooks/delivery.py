"""Sending a delivery: the Celery task, one attempt and its record, the backoff between
attempts, and the sweep that queues again deliveries whose task was lost.

Each attempt is one POST (webhooks/sending.py) signed at send time. A 2xx answer delivers;
anything else (another status, a timeout, a refused connection) is retried after
settings.SLATE_WEBHOOK_BACKOFF_SECONDS × 2^(attempt − 1) until
settings.SLATE_WEBHOOK_MAX_ATTEMPTS attempts, and then the delivery is dead. Delivery is at
least once: a worker that dies after the receiver answered sends again, and receivers drop
repeats by the envelope's id."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks import sending, signing
from webhooks.models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

# Never wait longer than this between attempts: a Celery ETA beyond the broker's visibility
# timeout (an hour) would be delivered twice.
MAX_BACKOFF_SECONDS = 30 * 60
# A delivery whose task should have run this long ago is taken as lost by the sweep.
STALE_AFTER = timedelta(minutes=10)


def queue_on_commit(delivery_ids: list[int]) -> None:
    """Queue a task per delivery once the current transaction commits (never, if it rolls
    back)."""
    if delivery_ids:
        # robust: a broker that is down is logged, not raised into the committed request; the
        # sweep queues the delivery again later.
        transaction.on_commit(lambda: [deliver.delay(pk) for pk in delivery_ids], robust=True)


def backoff_seconds(attempts: int) -> float:
    """The wait after the `attempts`-th failed attempt: the base, doubled each time."""
    base = settings.SLATE_WEBHOOK_BACKOFF_SECONDS
    return min(base * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)


def _claim_attempt(delivery_id: int) -> WebhookDelivery | None:
    """Count the attempt before sending, so a worker that dies mid-request still uses one up
    (the redelivered task tries again, and the delivery still ends)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.is_finished:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at"])
    return delivery


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        signing.SIGNATURE_HEADER: signing.signature_header(delivery.subscription.secret, body),
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.uuid),
    }


def delivery_attempt(*, delivery_id: int) -> float | None:
    """Make one attempt at a delivery and record it. Returns the seconds to wait before the
    next attempt, or None when the delivery is done: delivered, dead, already finished or
    gone."""
    delivery = _claim_attempt(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    if subscription.is_active:
        body = delivery.body.encode()
        outcome = sending.post(
            subscription.url,
            body,
            _headers(delivery, body),
            timeout=settings.SLATE_WEBHOOK_TIMEOUT_SECONDS,
        )
    else:
        outcome = sending.Attempt(None, "The subscription is paused: not sent.")
    now = timezone.now()
    retry_in = None
    update = {"last_error": outcome.error[:500], "next_attempt_at": None}
    if outcome.status_code is not None:
        update["response_code"] = outcome.status_code
    if outcome.delivered:
        update.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif delivery.attempts >= settings.SLATE_WEBHOOK_MAX_ATTEMPTS or not subscription.is_active:
        update["status"] = DeliveryStatus.DEAD
    else:
        retry_in = backoff_seconds(delivery.attempts)
        update.update(
            status=DeliveryStatus.RETRYING, next_attempt_at=now + timedelta(seconds=retry_in)
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**update)
    logger.info(
        "webhook delivery id=%s event=%s attempt=%s status=%s code=%s",
        delivery.pk, delivery.event, delivery.attempts, update["status"], outcome.status_code,
    )  # fmt: skip
    return retry_in


@shared_task(bind=True, name="webhooks.deliver", max_retries=None)
def deliver(self, delivery_id: int) -> None:
    """One attempt; a failed one is retried by Celery after the backoff (the attempt count
    and the give-up rule live in the database row, not in Celery's retry count)."""
    retry_in = delivery_attempt(delivery_id=delivery_id)
    while retry_in is not None and self.request.is_eager:
        # In process (no broker: development, the demo, tests) Celery does not retry a task
        # whose errors propagate (CELERY_TASK_EAGER_PROPAGATES), so the attempts follow here,
        # at once, as Celery's own eager retries would (they ignore the countdown too).
        retry_in = delivery_attempt(delivery_id=delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


def deliveries_requeue(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Queue again the deliveries whose task was lost (a crash between the commit and the
    queueing, a flushed broker): pending ones not attempted for `stale_after`, retrying ones
    whose next attempt is that much overdue. A duplicate task costs at most a repeat."""
    cutoff = timezone.now() - stale_after
    pending = Q(status=DeliveryStatus.PENDING, created_at__lt=cutoff) & (
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=cutoff)
    )
    overdue = Q(status=DeliveryStatus.RETRYING, next_attempt_at__lt=cutoff)
    stale = list(
        WebhookDelivery.objects.filter(pending | overdue)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    queue_on_commit(stale)
    return len(stale)


@shared_task(name="webhooks.requeue_lost_deliveries")
def requeue_lost_deliveries() -> int:
    return deliveries_requeue()
