"""Webhooks in a real browser, as the demo PMO: from the finance dashboard's tabs to the
webhooks, the delivery log with its response codes, attempts and errors, and a dead delivery
sent again with the Redeliver button (a new row; the demo's host does not exist, so it dies
too). Screenshots for the docs: docs/screenshots/16-webhooks*.png."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.seed import DEMO_PASSWORD
from webhooks.models import WebhookDelivery

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_the_pmo_reads_the_delivery_log_and_redelivers(live_server, browser_page, log_in, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the redelivery is attempted in process
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("pmo", DEMO_PASSWORD)

    page.goto(f"{live_server.url}{reverse('portfolio:detail', args=['finance'])}")
    page.click("nav.portfolio-tabs >> text=Webhooks")
    page.wait_for_url("**/portfolios/finance/webhooks/")
    subscriptions = page.locator("table.data").inner_text()
    assert "https://warehouse.slate.invalid/hooks/slate" in subscriptions
    assert "Paused" in subscriptions and "whsec_" not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "16-webhooks-subscriptions.png"), full_page=True)

    page.click("nav.subnav-pages >> text=Delivery log")
    page.wait_for_url("**/webhooks/deliveries/")
    log = page.locator("table.webhook-log")
    text = log.inner_text()
    assert "HTTP 503: the warehouse is being upgraded" in text
    assert "Delivered" in text and "Dead" in text and "Retrying" in text
    page.screenshot(path=str(SCREENSHOTS / "16-webhooks.png"), full_page=True)

    dead = WebhookDelivery.objects.get(status="dead")
    before = WebhookDelivery.objects.count()
    page.click(f"button[aria-label='Redeliver delivery {dead.pk}']")
    page.wait_for_url("**/webhooks/deliveries/")
    assert f"Delivery #{dead.pk} queued again" in page.locator("main").inner_text()
    assert WebhookDelivery.objects.count() == before + 1
    again = WebhookDelivery.objects.filter(redelivery_of=dead).latest("pk")
    assert again.body == dead.body and again.requested_by.username == "pmo"
    assert again.status == "dead"  # attempted at once (eager): the demo's host does not exist
    assert "could not be resolved" in again.last_error
    assert page.console_errors == []
