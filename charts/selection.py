"""The efficient frontier chart of the selection pages: total value against the budget per
year. `points` are portfolio.selection.frontier.FrontierPoint rows, read by attribute."""

from __future__ import annotations

from charts.base import INK, TODAY, plot_title, render, trace


def frontier_chart(points, *, url, currency: str) -> str:
    """Total value against the budget per year, one marker per level; a marker opens the
    selection page at that budget."""
    solved = [p for p in points if p.value is not None]
    frontier = trace(
        "scatter",
        x=[p.budget for p in solved],
        y=[p.value for p in solved],
        mode="lines+markers",
        name="Total value",
        line={"color": TODAY, "width": 2},
        marker={"size": 10, "color": TODAY, "line": {"color": "white", "width": 1.5}},
        customdata=[
            [
                f"{url}?budget={round(p.budget)}",
                f"{p.level:.0%}",
                f"{currency} {p.budget:,.0f}",
                f"{currency} {p.value:,.0f}",
                len(p.selection.chosen),
            ]
            for p in solved
        ],
        hovertemplate=(
            "<b>%{customdata[1]} of the envelope</b><br>Budget per year %{customdata[2]}"
            "<br>Total value %{customdata[3]}<br>%{customdata[4]} projects"
            "<br><i>Click to open this slate</i><extra></extra>"
        ),
    )
    envelope = next((p.budget for p in points if abs(p.level - 1) < 1e-9), None)
    shapes = []
    if envelope is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": envelope,
                "x1": envelope,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": INK, "dash": "dot", "width": 1},
            }
        )
    layout = {
        "title": plot_title("Total priority-weighted value by budget per year"),
        "height": 380,
        "margin": {"l": 80, "r": 30, "t": 50, "b": 50},
        "showlegend": False,
        "hovermode": "closest",
        "shapes": shapes,
        "xaxis": {"title": plot_title(f"Budget per year ({currency})"), "tickformat": "~s"},
        "yaxis": {
            "title": plot_title(f"Total value ({currency})"),
            "tickformat": "~s",
            "rangemode": "tozero",
        },
    }
    if not solved:
        layout["annotations"] = [
            {
                "text": "No budget level has a feasible slate",
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
            }
        ]
    figure = {"data": [frontier], "layout": layout}
    return render(figure, element_id="chart-frontier", navigate=True)
