"""Retries through a real Celery worker on Redis: the countdown between attempts is the
backoff (1 s, then 2 s here), and a receiver failing twice gets one successful delivery."""

import json
from unittest import mock

import pytest
from django.db import transaction

from core import events
from tests.celery_support import celery_worker_process, require_redis
from tests.factories import PortfolioFactory, UserFactory
from tests.reporting.test_review_worker import wait_for
from webhooks import delivery, services
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_retries_with_backoff_until_the_receiver_takes_it(receiver, settings):
    require_redis()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    portfolio = PortfolioFactory()
    services.subscription_create(
        portfolio=portfolio,
        data={"url": receiver.url, "events": [events.REVIEW_COMPLETED]},
        by=UserFactory(is_superuser=True),
    )
    receiver.script = [500, 502, 200]
    worker_env = {
        "SLATE_WEBHOOK_BACKOFF_SECONDS": "1",
        "SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
        "SLATE_WEBHOOK_TIMEOUT_SECONDS": "2",
    }
    with celery_worker_process(extra_env=worker_env) as (_, queue):
        task = delivery.deliver
        # The service queues with .delay(); this test's worker consumes only its own queue.
        queued = mock.patch.object(task, "delay", lambda pk: task.apply_async((pk,), queue=queue))
        with queued, transaction.atomic():
            events.publish(events.REVIEW_COMPLETED, {"n": 1}, portfolio_id=portfolio.pk)
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
            what="the delivery",
        )
    row = WebhookDelivery.objects.get()
    assert (row.attempts, row.response_code) == (3, 200)
    assert receiver.answered == [500, 502, 200]
    first, second, third = (request.at for request in receiver.requests)
    assert second - first >= 1.0 and third - second >= 2.0  # backoff 1 s, then 2 s
    assert {json.loads(r.body)["data"]["n"] for r in receiver.requests} == {1}
