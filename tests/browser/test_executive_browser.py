"""The demo executive drills down in a real browser: overview → portfolio → program →
project, with the Plotly charts drawn on every page that has them and no console errors."""

import pytest
from django.core.management import call_command

from demo.seed import DEMO_PASSWORD


def _click_mark(page, selector: str) -> None:
    """Click the middle of a chart mark (Plotly listens on its drag layer, on top)."""
    mark = page.locator(selector).last
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _plots(page) -> int:
    """Charts Plotly has drawn (its SVG exists once a figure is rendered)."""
    page.wait_for_selector(".js-plotly-plot .main-svg")
    return page.locator(".js-plotly-plot .main-svg").count()


@pytest.mark.django_db(transaction=True)
def test_executive_drills_down_from_the_overview_to_a_project(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page

    log_in("executive", DEMO_PASSWORD)

    # Overview: one row per portfolio, the watermelon counted in Finance's row.
    assert page.locator("h1").inner_text() == "Portfolios"
    assert page.locator(".overview-table tbody tr").count() == 4
    finance_row = page.locator(".overview-table tbody tr", has_text="Financial services")
    assert finance_row.locator("a.flag-count").first.inner_text() == "1"

    # Portfolio dashboard: tiles, exceptions, charts.
    page.click("text=Financial services digital transformation")
    page.wait_for_url("**/portfolios/finance/")
    assert _plots(page) >= 6
    assert "FIN-CORE" in page.locator(".exception-watermelon").inner_text()
    dashboard_url = page.url

    # A health segment opens the project table filtered on its program and health...
    _click_mark(page, "#chart-health-by-program .point path")
    page.wait_for_url("**/portfolios/finance/?program=*&health=*")
    assert page.locator(".projects-table tbody tr").count() >= 1
    # ...and a bubble opens its project.
    page.goto(dashboard_url)
    _click_mark(page, "#chart-value-risk .point")
    page.wait_for_url("**/projects/*/")
    page.goto(dashboard_url)

    # Program page, from the programs table.
    page.click("#programs >> text=Digital-first banking")
    page.wait_for_url("**/portfolios/finance/programs/*/")
    assert page.locator("h1").inner_text() == "Digital-first banking"
    assert _plots(page) >= 4

    # A project, from the program's project table.
    page.click(".projects-table >> text=Core banking modernisation")
    page.wait_for_url("**/projects/*/")
    assert "Core banking modernisation" in page.locator("h1").inner_text()
    assert _plots(page) >= 1
    breadcrumbs = page.locator(".breadcrumbs").inner_text()
    assert "Financial services digital transformation" in breadcrumbs
    assert "Digital-first banking" in breadcrumbs

    assert page.console_errors == []
