"""Chart builders: each returns its div with the data passed in, links every clickable mark
through customdata and the one click handler, and survives empty input."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

import charts
from charts import (
    BubblePoint,
    DependencyEdge,
    ProgramBudget,
    ProgramHealth,
    RoadmapBar,
    RoadmapMilestone,
)

TODAY = date(2026, 6, 15)
CLICK_HANDLER = "chart.on('plotly_click'"


def traces(html: str) -> list[dict]:
    """The data array handed to Plotly.newPlot."""
    start = html.index("Plotly.newPlot(")
    data_start = html.index("[", start)
    data, _ = json.JSONDecoder().raw_decode(html[data_start:])
    return data


def layout(html: str) -> dict:
    start = html.index("Plotly.newPlot(")
    decoder = json.JSONDecoder()
    data_start = html.index("[", start)
    _, end = decoder.raw_decode(html[data_start:])
    rest = html[data_start + end :].lstrip(", \n")
    value, _ = decoder.raw_decode(rest)
    return value


def trace(html: str, name: str) -> dict:
    return next(t for t in traces(html) if t.get("name") == name and "customdata" in t)


def links(html: str) -> set[str]:
    """Every URL a click can open: the first item of each point's customdata."""
    found = set()
    for item in traces(html):
        for point in _points(item.get("customdata", [])):
            url = point[0] if isinstance(point, list) else point
            if url:
                found.add(url)
    return found


def _points(customdata):
    for point in customdata:
        # A heat map's customdata is a grid of points.
        if isinstance(point, list) and point and isinstance(point[0], list):
            yield from point
        else:
            yield point


def assert_chart(html: str, element_id: str):
    """A div with the id, drawn by Plotly into it, without the Plotly logo."""
    assert f'<div id="{element_id}"' in html
    assert re.search(rf'Plotly\.newPlot\(\s*"{element_id}"', html)
    assert re.search(r'"displaylogo":\s*false', html)


# --- The click handler ------------------------------------------------------------------------


def test_one_click_handler_reads_the_url_from_customdata():
    script = charts._navigate_on_click("chart-x")
    assert 'document.getElementById("chart-x")' in script
    assert "customdata" in script and "window.location.assign(url)" in script


def test_risk_heat_map_keeps_its_cells_and_links_through_customdata():
    html = charts.risk_heat_map({(4, 5): 2, (1, 2): 1}, link_template="?p={probability}&i={impact}")
    assert_chart(html, "chart-risk-heatmap")
    assert CLICK_HANDLER in html
    heat = traces(html)[0]
    assert heat["customdata"][3][4] == ["?p=4&i=5", 2]
    assert heat["customdata"][0][0] == ["?p=1&i=1", 0]
    assert heat["text"][3][4] == "2" and heat["text"][0][0] == ""
    assert len(links(html)) == 25


def test_risk_heat_map_without_links_has_no_click_handler():
    html = charts.risk_heat_map({}, element_id="chart-other")
    assert_chart(html, "chart-other")
    assert CLICK_HANDLER not in html


def test_layout_defaults_give_way_to_what_a_builder_sets():
    html = charts.risk_heat_map({})
    assert layout(html)["height"] == 320
    assert layout(html)["plot_bgcolor"] == "white"


# --- Health and budget by program -------------------------------------------------------------


def health_programs():
    return [
        ProgramHealth("Digital <front> door", 7, {"green": 3, "amber": 1, "red": 2, "": 1}),
        ProgramHealth("No program", None, {"green": 1}),
    ]


def test_health_by_program_segments_link_to_their_projects():
    html = charts.health_by_program_chart(
        health_programs(), link_template="/p/?program={program}&health={health}"
    )
    assert_chart(html, "chart-health-by-program")
    assert CLICK_HANDLER in html
    red = trace(html, "Red")
    assert red["x"] == [2, 0]
    assert red["marker"]["color"] == charts.RAG_COLOURS["red"]
    assert red["customdata"][0][:2] == ["/p/?program=7&health=red", "Digital &lt;front&gt; door"]
    assert red["customdata"][0][2] == "7 projects (29%)"
    assert trace(html, "No data")["customdata"][0][0] == "/p/?program=7&health=none"
    assert trace(html, "Green")["customdata"][1][0] == "/p/?program=&health=green"
    assert layout(html)["yaxis"]["ticktext"] == ["Digital &lt;front&gt; door", "No program"]


def test_health_by_program_leaves_out_colours_nobody_has():
    html = charts.health_by_program_chart(
        [ProgramHealth("A", 1, {"green": 2})], link_template="?{program}{health}"
    )
    assert [t["name"] for t in traces(html)] == ["Green"]


def test_budget_by_program_bars_per_program():
    programs = [
        ProgramBudget("Core", 3, Decimal("1000000"), Decimal("400000.40"), Decimal("1200000")),
        ProgramBudget("No program", None, Decimal("0"), Decimal("5000"), Decimal("5000")),
    ]
    html = charts.budget_by_program_chart(programs, link_template="/dash/?program={program}")
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
        lambda: charts.health_by_program_chart([], link_template="?{program}{health}"),
        lambda: charts.budget_by_program_chart([], link_template="?{program}"),
        lambda: charts.value_risk_bubble_chart([]),
        lambda: charts.roadmap_chart([], [], today=TODAY),
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
    html = charts.value_risk_bubble_chart(points)
    assert_chart(html, "chart-value-risk")
    assert CLICK_HANDLER in html
    green = trace(html, "Green")
    assert green["x"] == [62.4] and green["y"] == [123457]
    assert green["customdata"] == [
        ["/projects/1/", "PRJ-0001", "Project number 1 with a realistic name", 2500000]
    ]
    assert green["marker"]["color"] == charts.RAG_COLOURS["green"]
    assert green["marker"]["sizemode"] == "area"
    red = trace(html, "Red")
    assert red["x"] == [0] and "not scored" in red["hovertemplate"]
    assert red["marker"]["symbol"] == "circle-open"
    assert trace(html, "No data")["customdata"][0][2] == "&lt;script&gt;"
    assert links(html) == {"/projects/1/", "/projects/2/", "/projects/3/"}


def test_bubble_area_follows_the_budget():
    html = charts.value_risk_bubble_chart(
        [bubble(1, budget=Decimal("4000000")), bubble(2, budget=Decimal("1000000"))]
    )
    marker = trace(html, "Green")["marker"]
    assert marker["size"] == [4000, 1000]  # thousands, largest first so small ones sit on top
    # Plotly's formula: the largest bubble is BUBBLE_MAX_DIAMETER pixels across.
    assert marker["sizeref"] == pytest.approx(2 * 4000 / charts.BUBBLE_MAX_DIAMETER**2)


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
    html = charts.value_risk_bubble_chart(points)
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
    html = charts.roadmap_chart(bars, milestones, today=TODAY)
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
    assert red["marker"]["color"] == charts.RAG_COLOURS["red"]
    late = trace(html, "Late milestone")
    assert late["marker"]["color"] == charts.LATE and late["marker"]["symbol"] == "diamond"
    assert late["customdata"] == [["/projects/1/", "P-1", "Go-live", "1 Sep 2026 · late"]]
    assert trace(html, "Milestone")["marker"]["color"] != charts.LATE
    assert links(html) == {"/projects/1/", "/projects/2/", "/projects/3/", "/projects/4/"}
    today_line = [s for s in layout(html)["shapes"] if s["type"] == "line"]
    assert today_line[0]["x0"] == "2026-06-15"


def test_roadmap_height_grows_with_the_rows():
    small = charts.roadmap_chart([roadmap_bar(1, "A")], [], today=TODAY)
    large = charts.roadmap_chart([roadmap_bar(n, "A") for n in range(60)], [], today=TODAY)
    assert layout(small)["height"] == 300
    assert layout(large)["height"] == 100 + 26 * 61


# --- Dependencies -----------------------------------------------------------------------------


def edge(
    pred: int, succ: int, *, late: bool = False, deliverable: str = "API v2"
) -> DependencyEdge:
    needed = date(2026, 5, 1)
    return DependencyEdge(
        predecessor_id=pred,
        predecessor_code=f"P-{pred}",
        successor_id=succ,
        successor_code=f"P-{succ}",
        deliverable=deliverable,
        needed_by=needed,
        expected_on=needed + timedelta(days=12 if late else -3),
        is_late=late,
        predecessor_url=f"/projects/{pred}/",
        successor_url=f"/projects/{succ}/",
    )


def test_layers_follow_the_longest_path_from_the_sources():
    # 1 → 2 → 3 and 1 → 3: 3 sits right of 2, not beside it.
    assert charts.dependency_layers([edge(1, 2), edge(2, 3), edge(1, 3), edge(4, 3)]) == {
        1: 0,
        2: 1,
        3: 2,
        4: 0,
    }


def test_layers_do_not_loop_on_a_cycle():
    layers = charts.dependency_layers([edge(1, 2), edge(2, 3), edge(3, 2)])
    assert set(layers) == {1, 2, 3} and layers[1] == 0


def test_dependency_chart_highlights_late_edges():
    edges = [edge(1, 2, late=True, deliverable="Data architecture v2"), edge(2, 3)]
    html = charts.dependency_chart(edges)
    assert_chart(html, "chart-dependencies")
    assert CLICK_HANDLER in html
    arrows = layout(html)["annotations"]
    late_arrow = next(a for a in arrows if a["arrowcolor"] == charts.LATE)
    on_time_arrow = next(a for a in arrows if a["arrowcolor"] == charts.ON_TIME)
    assert late_arrow["arrowwidth"] > on_time_arrow["arrowwidth"]
    late = trace(html, "Late dependency")
    assert late["marker"]["color"] == charts.LATE
    assert late["customdata"][0] == [
        "/projects/2/",
        "P-1",
        "P-2",
        "Data architecture v2",
        "1 May 2026",
        "13 May 2026",
        "12 days late",
    ]
    assert trace(html, "On-time dependency")["customdata"][0][6] == "on time (3 days to spare)"
    nodes = trace(html, "Project")
    assert nodes["text"] == ["P-2", "P-3"] and nodes["x"] == [1, 2]
    assert trace(html, "Project delivering late")["customdata"][0][0] == "/projects/1/"
    assert {"/projects/1/", "/projects/2/", "/projects/3/"} <= links(html)


def test_dependency_chart_without_edges_says_so():
    html = charts.dependency_chart([])
    assert 'id="chart-dependencies"' in html
    assert "No cross-project dependencies" in html
    assert "Plotly" not in html


def test_dependency_chart_survives_a_missing_date_and_a_hidden_predecessor():
    hidden = DependencyEdge(
        1, "P-1", 2, "P-2", "", date(2026, 5, 1), None, False, "", "/projects/2/"
    )
    html = charts.dependency_chart([hidden])
    data = trace(html, "On-time dependency")["customdata"][0]
    assert data[3:] == ["Finish of P-1", "1 May 2026", "not planned", "no delivery date yet"]
    assert links(html) == {"/projects/2/"}


def test_no_chart_inlines_a_plotly_bundle_or_a_cdn():
    html = charts.roadmap_chart([roadmap_bar(1, "A")], [], today=TODAY)
    assert "cdn.plot.ly" not in html and len(html) < 20_000
    assert not re.search(r"<script[^>]+src=", html)
