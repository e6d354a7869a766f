"""charts.portfolio: health and budget by program, value-risk bubbles and the roadmap link
every mark to its page, survive empty input, and inline no Plotly bundle."""

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from charts.base import LATE, RAG_COLOURS
from charts.portfolio import (
    BUBBLE_MAX_DIAMETER,
    BubblePoint,
    ProgramBudget,
    ProgramHealth,
    RoadmapBar,
    RoadmapMilestone,
    budget_by_program_chart,
    health_by_program_chart,
    kpi_trend_chart,
    review_trend_charts,
    roadmap_chart,
    value_risk_bubble_chart,
)
from tests.charts.plotly_html import CLICK_HANDLER, assert_chart, layout, links, trace, traces

TODAY = date(2026, 6, 15)


# --- Health and budget by program -------------------------------------------------------------


def health_programs():
    return [
        ProgramHealth("Digital <front> door", 7, {"green": 3, "amber": 1, "red": 2, "": 1}),
        ProgramHealth("No program", None, {"green": 1}),
    ]


def test_health_by_program_segments_link_to_their_projects():
    html = health_by_program_chart(
        health_programs(), link_template="/p/?program={program}&health={health}"
    )
    assert_chart(html, "chart-health-by-program")
    assert CLICK_HANDLER in html
    red = trace(html, "Red")
    assert red["x"] == [2, 0]
    assert red["marker"]["color"] == RAG_COLOURS["red"]
    assert red["customdata"][0][:2] == ["/p/?program=7&health=red", "Digital &lt;front&gt; door"]
    assert red["customdata"][0][2] == "7 projects (29%)"
    assert trace(html, "No data")["customdata"][0][0] == "/p/?program=7&health=none"
    assert trace(html, "Green")["customdata"][1][0] == "/p/?program=&health=green"
    assert layout(html)["yaxis"]["ticktext"] == ["Digital &lt;front&gt; door", "No program"]


def test_health_by_program_leaves_out_colours_nobody_has():
    html = health_by_program_chart(
        [ProgramHealth("A", 1, {"green": 2})], link_template="?{program}{health}"
    )
    assert [t["name"] for t in traces(html)] == ["Green"]


def test_budget_by_program_bars_per_program():
    programs = [
        ProgramBudget("Core", 3, Decimal("1000000"), Decimal("400000.40"), Decimal("1200000")),
        ProgramBudget("No program", None, Decimal("0"), Decimal("5000"), Decimal("5000")),
    ]
    html = budget_by_program_chart(programs, link_template="/dash/?program={program}")
    assert_chart(html, "chart-budget-by-program")
    assert [t["name"] for t in traces(html)] == [
        "Budget (BAC)",
        "Actual cost (AC)",
        "Forecast (EAC)",
    ]
    assert trace(html, "Actual cost (AC)")["x"] == [400000, 5000]
    forecast = trace(html, "Forecast (EAC)")
    assert forecast["customdata"][0] == ["/dash/?program=3", "Core", "<br>+20% against budget"]
    assert forecast["customdata"][1][2] == "<br>no budget set"
    assert links(html) == {"/dash/?program=3", "/dash/?program="}


@pytest.mark.parametrize(
    "builder",
    [
        lambda: health_by_program_chart([], link_template="?{program}{health}"),
        lambda: budget_by_program_chart([], link_template="?{program}"),
        lambda: value_risk_bubble_chart([]),
        lambda: roadmap_chart([], [], today=TODAY),
    ],
)
def test_empty_charts_say_so(builder):
    html = builder()
    assert "No projects to show" in html
    assert links(html) == set()


# --- Value and risk ---------------------------------------------------------------------------


def bubble(n: int, **changes) -> BubblePoint:
    values = {
        "project_id": n,
        "code": f"PRJ-{n:04d}",
        "name": f"Project number {n} with a realistic name",
        "alignment": Decimal("62.35"),
        "risk_exposure": Decimal("123456.78"),
        "budget": Decimal("2500000"),
        "health": "green",
        "url": f"/projects/{n}/",
        **changes,
    }
    return BubblePoint(**values)


def test_bubbles_carry_code_name_figures_and_link():
    points = [
        bubble(1),
        bubble(2, health="red", alignment=None, budget=Decimal("100000")),
        bubble(3, health="", name="<script>"),
    ]
    html = value_risk_bubble_chart(points)
    assert_chart(html, "chart-value-risk")
    assert CLICK_HANDLER in html
    green = trace(html, "Green")
    assert green["x"] == [62.4] and green["y"] == [123457]
    assert green["customdata"] == [
        ["/projects/1/", "PRJ-0001", "Project number 1 with a realistic name", 2500000]
    ]
    assert green["marker"]["color"] == RAG_COLOURS["green"]
    assert green["marker"]["sizemode"] == "area"
    red = trace(html, "Red")
    assert red["x"] == [0] and "not scored" in red["hovertemplate"]
    assert red["marker"]["symbol"] == "circle-open"
    assert trace(html, "No data")["customdata"][0][2] == "&lt;script&gt;"
    assert links(html) == {"/projects/1/", "/projects/2/", "/projects/3/"}


def test_bubble_area_follows_the_budget():
    html = value_risk_bubble_chart(
        [bubble(1, budget=Decimal("4000000")), bubble(2, budget=Decimal("1000000"))]
    )
    marker = trace(html, "Green")["marker"]
    assert marker["size"] == [4000, 1000]  # thousands, largest first so small ones sit on top
    # Plotly's formula: the largest bubble is BUBBLE_MAX_DIAMETER pixels across.
    assert marker["sizeref"] == pytest.approx(2 * 4000 / BUBBLE_MAX_DIAMETER**2)


def test_a_thousand_bubbles_stay_under_200_kb():
    healths = ["green", "amber", "red", ""]
    points = [
        bubble(
            n,
            alignment=None if n % 10 == 0 else Decimal(n % 1000) / 10,
            risk_exposure=Decimal(n * 1234.567).quantize(Decimal("0.01")),
            budget=Decimal(50_000 + n * 9_999),
            health=healths[n % 4],
        )
        for n in range(1, 1001)
    ]
    html = value_risk_bubble_chart(points)
    size = len(html.encode())
    assert size < 200_000, f"{size} bytes"
    assert len(links(html)) == 1000


# --- Roadmap ----------------------------------------------------------------------------------


def roadmap_bar(n: int, program: str, health: str = "green", **changes) -> RoadmapBar:
    values = {
        "project_id": n,
        "code": f"P-{n}",
        "name": f"Project {n}",
        "program": program,
        "start": date(2026, 1, 1) + timedelta(days=30 * n),
        "end": date(2026, 12, 31),
        "health": health,
        "url": f"/projects/{n}/",
        **changes,
    }
    return RoadmapBar(**values)


def test_roadmap_groups_bars_by_program_and_links_them():
    bars = [
        roadmap_bar(1, "Zeta", "red"),
        roadmap_bar(2, "Alpha"),
        roadmap_bar(3, "", "amber"),
        roadmap_bar(4, "Alpha"),
    ]
    milestones = [
        RoadmapMilestone(1, "P-1", "Go-live", date(2026, 9, 1), is_late=True),
        RoadmapMilestone(2, "P-2", "Design signed", date(2026, 4, 1), is_late=False),
        RoadmapMilestone(99, "P-99", "Not on the chart", date(2026, 4, 1), is_late=True),
    ]
    html = roadmap_chart(bars, milestones, today=TODAY)
    assert_chart(html, "chart-roadmap")
    assert CLICK_HANDLER in html
    ticks = layout(html)["yaxis"]["ticktext"]
    assert ticks == [
        "<b>Alpha</b>",
        "P-2 · Project 2",
        "P-4 · Project 4",
        "<b>Zeta</b>",
        "P-1 · Project 1",
        "<b>No program</b>",
        "P-3 · Project 3",
    ]
    red = trace(html, "Red")
    assert red["y"] == [4] and red["base"] == ["2026-01-31"]
    assert red["x"] == [(date(2026, 12, 31) - date(2026, 1, 31)).days * 86_400_000 + 86_400_000]
    assert red["marker"]["color"] == RAG_COLOURS["red"]
    late = trace(html, "Late milestone")
    assert late["marker"]["color"] == LATE and late["marker"]["symbol"] == "diamond"
    assert late["customdata"] == [["/projects/1/", "P-1", "Go-live", "1 Sep 2026 · late"]]
    assert trace(html, "Milestone")["marker"]["color"] != LATE
    assert links(html) == {"/projects/1/", "/projects/2/", "/projects/3/", "/projects/4/"}
    today_line = [s for s in layout(html)["shapes"] if s["type"] == "line"]
    assert today_line[0]["x0"] == "2026-06-15"


def test_roadmap_height_grows_with_the_rows():
    small = roadmap_chart([roadmap_bar(1, "A")], [], today=TODAY)
    large = roadmap_chart([roadmap_bar(n, "A") for n in range(60)], [], today=TODAY)
    assert layout(small)["height"] == 300
    assert layout(large)["height"] == 100 + 26 * 61


def test_no_chart_inlines_a_plotly_bundle_or_a_cdn():
    html = roadmap_chart([roadmap_bar(1, "A")], [], today=TODAY)
    assert "cdn.plot.ly" not in html and len(html) < 20_000
    assert not re.search(r"<script[^>]+src=", html)


# --- Trends across stored reviews ---------------------------------------------------------------


def test_trend_points_sit_on_their_own_month_under_labelled_axes():
    html = kpi_trend_chart(
        [date(2026, 9, 1), date(2026, 10, 1)],
        {"CPI": ["0.95", "0.97"], "SPI": ["1.01", None]},
        title="CPI and SPI by monthly review",
        element_id="chart-trend-indices",
        y_title="Index (1 = on plan)",
    )
    spec = layout(html)
    assert spec["title"]["text"] == "CPI and SPI by monthly review"
    assert spec["xaxis"]["title"]["text"] == "Review month"
    assert spec["yaxis"]["title"]["text"] == "Index (1 = on plan)"
    # The October review sits on the October tick, not at 31 Oct beside the November one.
    assert trace_named(html, "CPI")["x"] == ["2026-09-01", "2026-10-01"]
    assert spec["xaxis"]["tick0"] == "2026-09-01" and spec["xaxis"]["dtick"] == "M1"
    assert spec["xaxis"]["tickformat"] == "%b %Y"


def test_review_trend_charts_plot_each_review_on_its_period_month():
    trends = SimpleNamespace(
        reviews=[1, 2],
        period_starts=[date(2026, 9, 1), date(2026, 10, 1)],
        period_ends=[date(2026, 9, 30), date(2026, 10, 31)],
        indices={"CPI": ["0.95", "0.97"]},
        money={"Actual cost": ["100.00", "400.00"]},
    )
    plotted = review_trend_charts(trends)
    money = layout(plotted.money)
    assert trace_named(plotted.money, "Actual cost")["x"] == ["2026-09-01", "2026-10-01"]
    assert money["yaxis"]["title"]["text"] and money["xaxis"]["title"]["text"] == "Review month"
    assert layout(plotted.indices)["yaxis"]["title"]["text"]


def trace_named(html: str, name: str) -> dict:
    return next(t for t in traces(html) if t.get("name") == name)
