"""Each chart's "Data table" toggle in a real browser: opened from the keyboard, it shows the
chart's figures as a table whose links are exactly the links of the chart's marks; at 375 px
the page does not scroll sideways, a table wider than the screen scrolls in its own box,
which is a labelled, focusable region, and "Log out" is on screen."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.seed import DEMO_PASSWORD
from projects.models import Project

FIGURES = """() => Array.from(document.querySelectorAll("script[data-chart]")).map(
  (block) => [block.dataset.chart, block.textContent])"""


def chart_links(figure_json: str) -> set[str]:
    """Every URL a click on a mark of the figure opens (hover-less traces draw no mark)."""
    found = set()
    for trace in json.loads(figure_json)["data"]:
        if trace.get("hoverinfo") in ("skip", "none"):
            continue
        customdata = trace.get("customdata") or []
        if trace.get("type") == "heatmap":  # a grid: a row of cells per y
            customdata = [cell for row in customdata for cell in row]
        for point in customdata:
            url = point[0] if isinstance(point, list) else point
            if url:
                found.add(url)
    return found


def table_links(page, chart_id: str) -> set[str]:
    toggle = page.locator(f"details[data-chart-data='{chart_id}']")
    hrefs = "(links) => links.map((link) => link.getAttribute('href'))"
    return set(toggle.locator("table a").evaluate_all(hrefs))


@pytest.mark.django_db(transaction=True)
def test_each_chart_has_a_data_table_with_the_links_of_its_marks(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("pmo", DEMO_PASSWORD)
    project = Project.objects.get(code="FIN-CORE")
    paths = [
        reverse("portfolio:detail", args=["finance"]),
        reverse("projects:detail", args=[project.pk]),
        reverse("resources:capacity"),
        reverse("portfolio:dependencies", args=["finance"]),
    ]
    linked_tables = 0
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        figures = page.evaluate(FIGURES)
        assert figures, path
        for chart_id, figure_json in figures:
            toggle = page.locator(f"details[data-chart-data='{chart_id}']")
            summary = toggle.locator("summary")
            assert summary.inner_text().startswith("Data table")
            # From the keyboard: focus the summary, Enter opens it.
            summary.focus()
            page.keyboard.press("Enter")
            assert toggle.evaluate("(details) => details.open")
            toggle.locator("table, .chart-data-empty").first.wait_for()
            links = chart_links(figure_json)
            assert table_links(page, chart_id) == links, (path, chart_id)
            if links:
                linked_tables += 1
                assert toggle.locator("table caption").count() >= 1
                assert toggle.locator("th[scope]").count() >= 1
    assert linked_tables >= 5

    # A table link opens what the mark opens.
    page.goto(f"{live_server.url}{reverse('portfolio:detail', args=['finance'])}")
    toggle = page.locator("details[data-chart-data='chart-value-risk']")
    toggle.locator("summary").click()
    link = toggle.locator("table a").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
def test_at_375_px_tables_scroll_in_their_own_labelled_region(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 800})
    log_in("pmo", DEMO_PASSWORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    logout = page.get_by_role("button", name="Log out")
    box = logout.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375

    page.goto(f"{live_server.url}{reverse('portfolio:detail', args=['finance'])}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap = page.locator(".table-wrap:has(.projects-table)").first
    assert wrap.evaluate("(box) => box.scrollWidth > box.clientWidth")
    assert wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("role") == "region"
    assert wrap.get_attribute("aria-label")
    # The first column stays put while the table scrolls.
    first_cell = wrap.locator("tbody tr").first.locator("th, td").first
    before = first_cell.bounding_box()["x"]
    wrap.evaluate("(box) => { box.scrollLeft = 200; }")
    assert first_cell.bounding_box()["x"] == pytest.approx(before, abs=1)

    # The programs table scrolls at 375 px too; wide again, it fits and leaves the tab order.
    programs = page.locator(".table-wrap:has(.programs-table)").first
    assert programs.get_attribute("tabindex") == "0"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function(
        "() => !document.querySelector('.table-wrap:has(.programs-table)').hasAttribute('tabindex')"
    )
    assert programs.evaluate("(box) => box.scrollWidth <= box.clientWidth + 1")
    # The skip link is the first stop of the tab order and moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
