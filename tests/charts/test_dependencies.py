"""charts.dependencies: late edges highlighted, nodes in the columns given, and no chart
without edges."""

from datetime import date, timedelta

from charts.base import LATE, ON_TIME
from charts.dependencies import dependency_chart
from projects.dependencies import DependencyEdge, dependency_layers
from tests.charts.plotly_html import CLICK_HANDLER, assert_chart, layout, links, trace


def chart(edges: list[DependencyEdge]) -> str:
    return dependency_chart(edges, layers=dependency_layers(edges))


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


def test_dependency_chart_highlights_late_edges():
    edges = [edge(1, 2, late=True, deliverable="Data architecture v2"), edge(2, 3)]
    html = chart(edges)
    assert_chart(html, "chart-dependencies")
    assert CLICK_HANDLER in html
    arrows = layout(html)["annotations"]
    late_arrow = next(a for a in arrows if a["arrowcolor"] == LATE)
    on_time_arrow = next(a for a in arrows if a["arrowcolor"] == ON_TIME)
    assert late_arrow["arrowwidth"] > on_time_arrow["arrowwidth"]
    late = trace(html, "Late dependency")
    assert late["marker"]["color"] == LATE
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
    html = chart([])
    assert 'id="chart-dependencies"' in html
    assert "No cross-project dependencies" in html
    assert "Plotly" not in html


def test_dependency_chart_survives_a_missing_date_and_a_hidden_predecessor():
    hidden = DependencyEdge(
        1, "P-1", 2, "P-2", "", date(2026, 5, 1), None, False, "", "/projects/2/"
    )
    html = chart([hidden])
    data = trace(html, "On-time dependency")["customdata"][0]
    assert data[3:] == ["Finish of P-1", "1 May 2026", "not planned", "no delivery date yet"]
    assert links(html) == {"/projects/2/"}
