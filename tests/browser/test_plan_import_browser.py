"""A PMO imports a project's MS Project plan in a real browser: upload to the portfolio, the
preview (the project found by its code, a milestone found by name, a new one, the baseline
change as a change request, the draft report and the actual cost), then the import.

With SLATE_SCREENSHOTS=<dir> it saves the preview there as 16-import-preview.png."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from projects.models import ChangeRequest, CostEntry, StatusReport
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    UserFactory,
)
from tests.projects.mspdi_files import billing_plan


def _shoot(page, name):
    folder = os.environ.get("SLATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_pmo_previews_and_imports_a_plan(live_server, browser_page, log_in):
    page = browser_page
    portfolio = PortfolioFactory(code="ops", name="Operations", currency="EUR")
    pmo = UserFactory(username="browser-pmo", first_name="Pat", last_name="Office")
    MembershipFactory(portfolio=portfolio, user=pmo, role="pmo")
    project = ProjectFactory(
        portfolio=portfolio,
        code="BILL-1",
        name="Billing replatform",
        manager=UserFactory(first_name="Mia", last_name="Manager"),
        start_date=date(2026, 1, 5),
        end_date=date(2026, 6, 26),
        baseline_start=date(2026, 1, 5),
        baseline_end=date(2026, 6, 26),
        budget=Decimal("90000"),
    )
    MilestoneFactory(
        project=project,
        name="Go live",
        weight=Decimal("60"),
        baseline_date=date(2026, 6, 26),
        forecast_date=date(2026, 6, 26),
    )
    replanned = billing_plan(baseline_cost=9_500_000, go_live_baseline="2026-07-03")

    log_in("browser-pmo", "pass-word-123")
    page.goto(f"{live_server.url}{reverse('portfolio:candidates', args=['ops'])}")
    page.click("text=Import a plan")
    page.set_input_files(
        "#id_file",
        files=[{"name": "billing.xml", "mimeType": "application/xml", "buffer": replanned}],
    )
    page.fill("#id_code", "BILL-1")
    page.click("text=Upload and preview")
    page.wait_for_url("**/projects/imports/*/")

    assert page.locator("h1").inner_text() == "Import preview"
    assert "Found by code" in page.inner_text("#import-project-heading + span")
    milestones = page.inner_text(".import-milestones")
    assert "Design signed off" in milestones and "New" in milestones
    assert "found by name" in milestones
    assert "change request" in page.inner_text("section[aria-labelledby=import-baseline-heading]")
    progress = page.inner_text("section[aria-labelledby=import-progress-heading]")
    assert "A draft for March 2026 is created." in progress
    assert "12,000 on 31 Mar 2026" in progress
    _shoot(page, "16-import-preview.png")

    page.click(".import-confirm button")
    page.wait_for_url(f"**/projects/{project.pk}/")
    assert page.locator(".message-success").inner_text().startswith("Imported billing.xml:")
    change = ChangeRequest.objects.get(project=project)
    assert change.budget == Decimal("95000.00")
    assert StatusReport.objects.get(project=project).state == "draft"
    assert CostEntry.objects.get(project=project).amount == Decimal("12000.00")
    assert project.milestones.count() == 2
    assert page.console_errors == []
