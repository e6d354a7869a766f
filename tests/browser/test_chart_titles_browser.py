"""Every chart shows its title in the page Plotly draws: Plotly.js 3 drops a title given as a
plain string, so a chart built that way renders without one."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.seed import DEMO_PASSWORD
from projects.models import Project
from resources.models import Role

DASHBOARD_TITLES = {
    "chart-health-by-program": "Computed health by program",
    "chart-budget-by-program": "Budget, actual cost and forecast by program",
    "chart-value-risk": "Value and risk",
    "chart-dashboard-risk-heatmap": "Risk heat map",
    "chart-roadmap": "Roadmap by program",
    "chart-dependencies": "Cross-project dependencies",
    "chart-trend-indices": "CPI and SPI by monthly review",
    "chart-trend-cost": "Cost and value by monthly review",
}
PROJECT_TITLES = {
    "chart-percent-complete": "Planned vs reported % complete",
    "chart-cost": "Cumulative cost against budget",
    "chart-rag-timeline": "RAG timeline",
}
TREND_CHARTS = ("chart-trend-indices", "chart-trend-cost", "chart-percent-complete", "chart-cost")


def _drawn_titles(page) -> dict[str, dict[str, str]]:
    """For each chart Plotly drew: the text of its title and axis titles in the SVG."""
    page.wait_for_selector(".js-plotly-plot .main-svg")
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(
            (chart) => {
                const text = (selector) => [...chart.querySelectorAll(selector)]
                    .map((node) => node.textContent.trim()).filter(Boolean).join(' | ');
                return [chart.id, {
                    title: text('g.infolayer .gtitle'),
                    x: text('g.infolayer .g-xtitle text'),
                    y: text('g.infolayer .g-ytitle text'),
                }];
            }))"""
    )


def _assert_titles(page, expected: dict[str, str]) -> dict[str, dict[str, str]]:
    drawn = _drawn_titles(page)
    assert drawn, f"no chart drawn on {page.url}"
    for element_id, titles in drawn.items():
        assert titles["title"], f"{element_id} on {page.url} shows no title"
    for element_id, title in expected.items():
        assert element_id in drawn, f"{element_id} missing on {page.url}"
        assert drawn[element_id]["title"].startswith(title), (element_id, drawn[element_id])
    for element_id in set(TREND_CHARTS) & set(drawn):
        assert drawn[element_id]["x"] and drawn[element_id]["y"], (element_id, drawn[element_id])
    return drawn


@pytest.mark.django_db(transaction=True)
def test_every_chart_shows_its_title(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("pmo", DEMO_PASSWORD)

    project = Project.objects.get(code="FIN-CORE")
    role = Role.objects.order_by("name").first()
    pages = [
        (reverse("portfolio:detail", args=["finance"]), DASHBOARD_TITLES),
        (reverse("projects:detail", args=[project.pk]), PROJECT_TITLES),
        (reverse("risks:portfolio-register", args=["finance"]), {}),
        (reverse("risks:project-register", args=[project.pk]), {}),
        (reverse("resources:capacity"), {"chart-capacity": "Utilisation by role"}),
        (reverse("resources:capacity-role", args=[role.pk]), {"chart-capacity-role": role.name}),
    ]
    for path, expected in pages:
        page.goto(f"{live_server.url}{path}")
        _assert_titles(page, expected)

    assert page.console_errors == []
