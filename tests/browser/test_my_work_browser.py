""" "My work" in a real browser: the demo project manager reaches it from "Slate" in the header,
sees a late report and an overdue risk, and opens the right period's report form with one
click; the demo PMO's landing page shows its portfolios. Screenshots for the docs."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seed import DEMO_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_project_manager_and_pmo_land_on_their_work(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("project_manager", DEMO_PASSWORD)

    page.click("header >> text=Slate")
    page.wait_for_url("**/my-work/")
    assert page.locator("h1").inner_text() == "My work"
    reports = page.locator("#reports")
    assert "Late by" in reports.inner_text()
    assert "PRD-AI" in reports.inner_text()
    assert "Overdue since" in page.locator("#risks").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "14-my-work.png"), full_page=True)

    # One click: the late report's form, for last month.
    late_row = page.locator("#reports tr", has_text="Late by").first
    late_row.locator("a", has_text="report").click()
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    page.wait_for_url(f"**/reports/{last_month:%Y-%m-%d}/")
    assert page.locator("form").count() >= 1
    assert page.console_errors == []

    # The PMO's landing page: every portfolio it manages, and the reviews to look at.
    page.context.clear_cookies()
    log_in("pmo", DEMO_PASSWORD)
    page.click("header >> text=Slate")
    page.wait_for_url("**/my-work/")
    assert page.locator("#portfolios-title").count() == 1
    assert page.locator("#portfolios tbody tr").count() == 4
    portfolios = page.locator("#portfolios").inner_text()
    assert "Financial services" in portfolios and "Software product portfolio" in portfolios
    page.screenshot(path=str(SCREENSHOTS / "14-pmo-landing.png"), full_page=True)
    assert page.console_errors == []
