"""The dependency chart: projects as nodes in columns, arrows from predecessor to successor,
late ones highlighted. The caller hands the edges and each project's column
(projects.dependencies: `DependencyEdge`, `dependency_layers`)."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping, Sequence

from charts.base import (
    LATE,
    ON_TIME,
    TODAY,
    chart_height,
    day_label,
    plot_title,
    render,
    top_legend,
    trace,
)


def _slip(edge) -> str:
    if edge.expected_on is None:
        return "late" if edge.is_late else "no delivery date yet"
    days = (edge.expected_on - edge.needed_by).days
    if days > 0:
        return f"{days} day{'' if days == 1 else 's'} late"
    if days == 0:
        return "just in time"
    return f"on time ({-days} day{'' if days == -1 else 's'} to spare)"


NODE_RADIUS_PX = 10


def dependency_chart(edges: Sequence, *, layers: Mapping[int, int]) -> str:
    """Projects as nodes in columns (`layers`: every project id of the edges → its column,
    left to right, a project right of everything it needs), arrows from predecessor to
    successor: late ones red and thick, the others grey. The dot halfway along an arrow tells
    what is handed over and when; a node opens its project.

    An edge is read by attribute, as projects.dependencies.DependencyEdge has them: the ids,
    codes and URLs ("" for none) of both ends, the deliverable, needed_by, expected_on (None:
    no date yet) and is_late."""
    if not edges:
        return (
            '<div class="empty" id="chart-dependencies">'
            "<strong>No cross-project dependencies.</strong></div>"
        )
    code, url = {}, {}
    needs: dict[int, list[str]] = defaultdict(list)
    feeds: dict[int, list[str]] = defaultdict(list)
    delivering_late: set[int] = set()
    for edge in edges:
        code[edge.predecessor_id] = edge.predecessor_code
        code[edge.successor_id] = edge.successor_code
        url[edge.predecessor_id] = edge.predecessor_url
        url[edge.successor_id] = edge.successor_url
        needs[edge.successor_id].append(edge.predecessor_code)
        feeds[edge.predecessor_id].append(edge.successor_code)
        if edge.is_late:
            delivering_late.add(edge.predecessor_id)

    # Columns left to right; within a column, next to the projects it needs (mean height of
    # its predecessors), then by code; each column centred on 0, first on top.
    predecessors: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        predecessors[edge.successor_id].append(edge.predecessor_id)
    position: dict[int, tuple[int, float]] = {}
    columns: dict[int, list[int]] = defaultdict(list)
    for node, column in layers.items():
        columns[column].append(node)
    for column in sorted(columns):

        def pull(node: int) -> tuple[float, str]:
            placed = [position[p][1] for p in predecessors[node] if p in position]
            return (-sum(placed) / len(placed) if placed else 0.0, code[node])

        nodes = sorted(columns[column], key=pull)
        for index, node in enumerate(nodes):
            position[node] = (column, (len(nodes) - 1) / 2 - index)

    data = []
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    midpoints: dict[bool, list] = {False: [], True: []}
    annotations = []
    for edge in sorted(edges, key=lambda e: e.is_late):  # late arrows drawn on top
        (x0, y0), (x1, y1) = position[edge.predecessor_id], position[edge.successor_id]
        annotations.append(
            {
                "x": x1,
                "y": y1,
                "ax": x0,
                "ay": y0,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "text": "",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1 if edge.is_late else 1.2,
                "arrowwidth": 3 if edge.is_late else 1.4,
                "arrowcolor": LATE if edge.is_late else ON_TIME,
                "standoff": NODE_RADIUS_PX + 1,
                "startstandoff": NODE_RADIUS_PX,
            }
        )
        # Two deliverables between the same projects: their dots sit apart on the arrow.
        pair = (edge.predecessor_id, edge.successor_id)
        share = 0.5 + 0.12 * pair_count[pair] * (-1) ** pair_count[pair]
        pair_count[pair] += 1
        midpoints[edge.is_late].append(
            (
                round(x0 + (x1 - x0) * share, 3),
                round(y0 + (y1 - y0) * share, 3),
                [
                    edge.successor_url,
                    html.escape(edge.predecessor_code),
                    html.escape(edge.successor_code),
                    html.escape(edge.deliverable or f"Finish of {edge.predecessor_code}"),
                    day_label(edge.needed_by),
                    day_label(edge.expected_on) if edge.expected_on else "not planned",
                    _slip(edge),
                ],
            )
        )
    for late, name, colour in (
        (False, "On-time dependency", ON_TIME),
        (True, "Late dependency", LATE),
    ):
        data.append(
            trace(
                "scatter",
                name=name,
                x=[None],
                y=[None],
                mode="lines",
                line={"color": colour, "width": 3 if late else 1.4},
                hoverinfo="skip",
            )
        )
        if not midpoints[late]:
            continue
        x, y, customdata = zip(*midpoints[late], strict=True)
        dots = trace(
            "scatter",
            name=name,
            showlegend=False,
            mode="markers",
            x=list(x),
            y=list(y),
            marker={
                "size": 10 if late else 8,
                "color": colour,
                "symbol": "circle",
                "line": {"color": "white", "width": 1.5},
            },
            customdata=list(customdata),
            hovertemplate=(
                "<b>%{customdata[1]} → %{customdata[2]}</b><br>%{customdata[3]}"
                "<br>Needed by %{customdata[4]}<br>Expected %{customdata[5]}"
                "<br>%{customdata[6]}<extra></extra>"
            ),
        )
        data.append(dots)
    for late, name, colour in (
        (False, "Project", TODAY),
        (True, "Project delivering late", LATE),
    ):
        nodes = sorted(
            (node for node in position if (node in delivering_late) == late), key=code.get
        )
        if not nodes:
            continue
        projects = trace(
            "scatter",
            name=name,
            mode="markers+text",
            cliponaxis=False,
            x=[position[node][0] for node in nodes],
            y=[position[node][1] for node in nodes],
            text=[html.escape(code[node]) for node in nodes],
            textposition="top center",
            textfont={"size": 12, "color": "#1d2630"},
            marker={
                "size": 2 * NODE_RADIUS_PX,
                "color": colour,
                "line": {"color": "white", "width": 2},
            },
            customdata=[
                [
                    url[node],
                    html.escape(code[node]),
                    html.escape(", ".join(sorted(set(needs[node])))) or "nothing",
                    html.escape(", ".join(sorted(set(feeds[node])))) or "nothing",
                ]
                for node in nodes
            ],
            hovertemplate=(
                "<b>%{customdata[1]}</b><br>Needs: %{customdata[2]}"
                "<br>Feeds: %{customdata[3]}<extra></extra>"
            ),
        )
        data.append(projects)
    tallest = max(len(nodes) for nodes in columns.values())
    last_column = max(columns)
    hidden = {"visible": False, "fixedrange": False}
    height = chart_height(tallest, 80, chrome=120)
    layout = {
        "title": plot_title("Cross-project dependencies"),
        "height": height,
        "margin": {"l": 20, "r": 20, "t": 64, "b": 20},
        "legend": top_legend(height),
        "hovermode": "closest",
        "annotations": annotations,
        "xaxis": {**hidden, "range": [-0.4, last_column + 0.4]},
        "yaxis": {**hidden, "range": [-(tallest - 1) / 2 - 0.6, (tallest - 1) / 2 + 0.7]},
    }
    figure = {"data": data, "layout": layout}
    return render(figure, element_id="chart-dependencies", navigate=True)
