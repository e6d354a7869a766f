"""Deliveries against a real HTTP receiver on 127.0.0.1: signed so the receiver can verify
them, retried with backoff until one attempt succeeds, dead after the last attempt, never
sent for a rolled-back transaction, never to a private address unless allowed, never
through a redirect; the secret never reaches the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import events
from projects import services as project_services
from projects.models import StatusReport
from tests.factories import PortfolioFactory, ProjectFactory, UserFactory
from webhooks import delivery, services, signing
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send(portfolio, name, data): publish, and run what the commit queues (the tests run
    inside a transaction that never commits)."""

    def publish(portfolio, name=events.GATE_DECIDED, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(name, data or {"hello": "world"}, portfolio_id=portfolio.pk)

    return publish


def test_a_delivery_carries_the_envelope_signed_with_the_subscription_secret(
    portfolio, receiver, subscribe, send
):
    subscription = subscribe(portfolio, receiver.url)
    send(portfolio, events.GATE_DECIDED, {"project": {"code": "FIN-1"}, "amount": 12})

    [received] = receiver.requests
    assert received.path == "/hooks/slate"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Slate-Event"] == "gate.decided"
    row = WebhookDelivery.objects.get()
    assert received.headers["X-Slate-Delivery"] == str(row.uuid)
    assert signing.verify(subscription.secret, received.headers["X-Slate-Signature"], received.body)
    assert not signing.verify(
        "another-secret-entirely", received.headers["X-Slate-Signature"], received.body
    )
    assert not signing.verify(
        subscription.secret, received.headers["X-Slate-Signature"], received.body + b" "
    )
    envelope = json.loads(received.body)
    assert set(envelope) == {"id", "event", "occurred_at", "portfolio", "data"}
    assert envelope["id"] == str(row.event_id)
    assert envelope["event"] == "gate.decided"
    assert envelope["portfolio"] == {
        "id": portfolio.pk,
        "code": portfolio.code,
        "name": portfolio.name,
    }
    assert envelope["data"] == {"project": {"code": "FIN-1"}, "amount": 12}
    assert (row.status, row.attempts, row.response_code, row.last_error) == (
        "delivered",
        1,
        200,
        "",
    )
    assert row.delivered_at is not None


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    header = signing.signature_header("s3cret-s3cret-s3cret", b'{"a":1}', timestamp=1700000000)
    # echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 's3cret-s3cret-s3cret'
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret-s3cret-s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signing.verify("s3cret-s3cret-s3cret", header, b'{"a":1}', now=1700000100)
    # too old: a replay
    assert not signing.verify("s3cret-s3cret-s3cret", header, b'{"a":1}', now=1700000000 + 301)
    assert not signing.verify("s3cret-s3cret-s3cret", "v1=" + expected, b'{"a":1}')


def test_a_receiver_failing_twice_gets_exactly_one_successful_delivery(
    portfolio, receiver, subscribe, send
):
    subscription = subscribe(portfolio, receiver.url)
    receiver.script = [500, 500, 200]
    send(portfolio)

    assert receiver.answered == [500, 500, 200]
    assert len({r.headers["X-Slate-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    for request in receiver.requests:
        assert signing.verify(
            subscription.secret, request.headers["X-Slate-Signature"], request.body
        )
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code, row.last_error) == (
        "delivered",
        3,
        200,
        "",
    )


def test_a_failed_attempt_waits_the_backoff_doubling_each_time(
    portfolio, receiver, subscribe, settings
):
    settings.SLATE_WEBHOOK_BACKOFF_SECONDS = 30
    assert [delivery.backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.backoff_seconds(20) == delivery.MAX_BACKOFF_SECONDS
    subscribe(portfolio, receiver.url)
    receiver.script = [503]
    events.publish(events.GATE_DECIDED, {}, portfolio_id=portfolio.pk)  # not committed: queued
    row = WebhookDelivery.objects.get()
    before = timezone.now()
    assert delivery.delivery_attempt(delivery_id=row.pk) == 30
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code) == ("retrying", 1, 503)
    assert row.last_error == "HTTP 503: receiver says 503"
    assert (
        before + timedelta(seconds=29)
        < row.next_attempt_at
        < timezone.now() + timedelta(seconds=31)
    )


def test_a_receiver_that_never_answers_ends_dead(portfolio, receiver, subscribe, send, settings):
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 2
    settings.SLATE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.default, receiver.hang_seconds = "hang", 1.0
    subscribe(portfolio, receiver.url)
    send(portfolio)

    assert len(receiver.requests) == 2
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code) == ("dead", 2, None)
    assert row.last_error == "No answer within 0.3 s."
    assert row.delivered_at is None and row.next_attempt_at is None


def test_a_receiver_that_is_not_there_ends_dead(portfolio, subscribe, send, settings):
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(portfolio, "http://127.0.0.1:9/nobody-listens")  # the discard port: refused
    send(portfolio)
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error.startswith("Could not connect to 127.0.0.1")


def test_redirects_are_not_followed(portfolio, receiver, subscribe, send, settings):
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data"})]
    subscribe(portfolio, receiver.url)
    send(portfolio)
    assert len(receiver.requests) == 1
    row = WebhookDelivery.objects.get()
    assert (row.status, row.response_code) == ("dead", 302)
    assert "not followed" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_for_a_rolled_back_transaction(receiver, webhook_settings):
    """A status report submitted inside a transaction that then fails: no delivery row, no
    request. The same submission committed is sent (so the test can fail)."""
    portfolio = PortfolioFactory()
    manager = UserFactory()
    project = ProjectFactory(portfolio=portfolio, manager=manager)
    admin = UserFactory(is_superuser=True)
    services.subscription_create(
        portfolio=portfolio,
        data={"url": receiver.url, "events": [events.STATUS_REPORT_SUBMITTED]},
        by=admin,
    )

    def submit():
        report = StatusReport(
            project=project, period_start=project.start_date.replace(month=6, day=1)
        )
        report.period_end = report.period_start.replace(day=30)
        project_services.status_report_submit(
            report=report, data={"summary": "On track", "forecast_cost": 100000},
            expected_version=None, by=manager,
        )  # fmt: skip

    with pytest.raises(RuntimeError), transaction.atomic():
        submit()
        assert WebhookDelivery.objects.count() == 1  # written, but only inside the transaction
        raise RuntimeError("something later in the same request failed")
    assert WebhookDelivery.objects.count() == 0
    assert StatusReport.objects.count() == 0
    assert receiver.requests == []

    submit()
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["event"] == "status_report.submitted"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_only_active_subscriptions_to_the_event_in_that_portfolio_get_it(
    portfolio, other_portfolio, receiver, subscribe, send
):
    subscribe(portfolio, receiver.url + "/gates", [events.GATE_DECIDED])
    subscribe(portfolio, receiver.url + "/reviews", [events.REVIEW_COMPLETED])
    subscribe(portfolio, receiver.url + "/paused", [events.GATE_DECIDED], is_active=False)
    subscribe(other_portfolio, receiver.url + "/elsewhere", [events.GATE_DECIDED])
    send(portfolio, events.GATE_DECIDED)
    assert [r.path for r in receiver.requests] == ["/hooks/slate/gates"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8000/hooks",
        "http://10.0.0.5/hooks",
        "http://192.168.1.20/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_private_addresses_are_refused_unless_allowed(portfolio, subscribe, settings, url):
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError) as error:
        subscribe(portfolio, url)
    assert "private, loopback or reserved" in error.value.message_dict["url"][0]
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert subscribe(portfolio, url).url == url


def test_a_public_address_is_accepted_in_production(portfolio, subscribe, settings):
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert subscribe(portfolio, "https://93.184.215.14/hooks").pk  # an IP literal: no DNS


def test_the_address_connected_to_is_checked_before_sending(
    portfolio, receiver, subscribe, send, settings
):
    """A subscription saved while private addresses were allowed (or a name that now
    resolves to one) is refused at connect time: the receiver never hears of it."""
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(portfolio, receiver.url)
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    send(portfolio)
    assert receiver.requests == []
    row = WebhookDelivery.objects.get()
    assert row.status == "dead"
    assert (
        row.last_error
        == "Refused: 127.0.0.1 is at 127.0.0.1, a private, loopback or reserved address."
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/in", "http:// or https:// only"),
        ("file:///etc/passwd", "http:// or https:// only"),
        ("javascript:alert(1)", "http:// or https:// only"),
        ("hooks.example.com/slate", "http:// or https:// only"),
        ("https:///no-host", "no host"),
        ("https://user:pw@hooks.example.com/", "no user name or password"),
        ("https://exa mple.com/", "valid URL"),
    ],
)
def test_only_http_and_https_urls_are_accepted(portfolio, subscribe, url, message):
    with pytest.raises(ValidationError) as error:
        subscribe(portfolio, url)
    assert message in error.value.message_dict["url"][0]


def test_the_secret_is_made_when_not_given_and_checked_when_given(portfolio, subscribe):
    made = subscribe(portfolio, "https://hooks.example.com/a")
    assert made.secret.startswith("whsec_") and len(made.secret) > 40
    given = subscribe(portfolio, "https://hooks.example.com/b", secret="a-receiver-chosen-secret")
    assert given.secret == "a-receiver-chosen-secret"
    with pytest.raises(ValidationError) as error:
        subscribe(portfolio, "https://hooks.example.com/c", secret="short")
    assert "at least 16" in error.value.message_dict["secret"][0]


def test_the_secret_never_reaches_the_logs(portfolio, receiver, subscribe, send, caplog, settings):
    caplog.set_level(logging.DEBUG)
    receiver.script = [500, 200]
    subscription = subscribe(portfolio, receiver.url)
    send(portfolio)
    assert WebhookDelivery.objects.get().status == "delivered"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "webhook delivery" in logged  # the log was captured
    assert subscription.secret not in logged
    assert subscription.secret[6:] not in logged


def test_a_redelivery_sends_the_same_body_again_as_a_new_delivery(
    portfolio, receiver, subscribe, send, pmo_admin, django_capture_on_commit_callbacks, settings
):
    settings.SLATE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.script = [500]
    subscribe(portfolio, receiver.url)
    send(portfolio)
    dead = WebhookDelivery.objects.get()
    assert dead.status == "dead"

    with django_capture_on_commit_callbacks(execute=True):
        again = services.delivery_redeliver(original=dead, by=pmo_admin)
    again.refresh_from_db()
    assert (again.status, again.redelivery_of, again.requested_by) == ("delivered", dead, pmo_admin)
    first, second = receiver.requests
    assert first.body == second.body  # the same event: the receiver drops it if it had it
    assert first.headers["X-Slate-Delivery"] != second.headers["X-Slate-Delivery"]
    dead.refresh_from_db()
    assert dead.status == "dead"  # the log keeps the original as it ended


def test_a_delivery_under_way_is_not_redelivered(portfolio, receiver, subscribe, pmo_admin):
    subscribe(portfolio, receiver.url)
    events.publish(events.GATE_DECIDED, {}, portfolio_id=portfolio.pk)  # queued, not sent
    pending = WebhookDelivery.objects.get()
    with pytest.raises(ValidationError, match="still being attempted"):
        services.delivery_redeliver(original=pending, by=pmo_admin)
    assert WebhookDelivery.objects.count() == 1


def test_the_sweep_queues_again_deliveries_whose_task_was_lost(
    portfolio, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(portfolio, receiver.url)
    events.publish(events.GATE_DECIDED, {"n": 1}, portfolio_id=portfolio.pk)
    events.publish(events.GATE_DECIDED, {"n": 2}, portfolio_id=portfolio.pk)
    lost, fresh = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.deliveries_requeue() == 1
    assert [json.loads(r.body)["data"] for r in receiver.requests] == [{"n": 1}]
    assert WebhookDelivery.objects.get(pk=fresh.pk).status == "pending"


def test_a_failing_listener_never_undoes_the_business_write(portfolio, caplog):
    def broken(event):
        raise RuntimeError("listener bug")

    events.listen(broken)
    try:
        with transaction.atomic():
            PortfolioFactory(code="written-anyway")
            events.publish(events.GATE_DECIDED, {}, portfolio_id=portfolio.pk)
    finally:
        events.unlisten(broken)
    assert PortfolioFactory._meta.model.objects.filter(code="written-anyway").exists()
    assert "event listener failed" in caplog.text


def test_an_unknown_event_name_is_a_programming_error(portfolio):
    with pytest.raises(ValueError, match="Unknown event"):
        events.publish("project.renamed", {}, portfolio_id=portfolio.pk)
