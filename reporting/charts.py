"""Plotly chart builders. Each returns an HTML fragment (a div and its script) for a template;
plotly.min.js itself is served from static/ (see settings.STATICFILES_DIRS), never a CDN."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go

RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "": "#b0bec5"}
BAND_COLOURS = {"low": "#c8e6c9", "medium": "#fff59d", "high": "#ffcc80", "critical": "#ef9a9a"}
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}
LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "height": 300,
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "legend": {"orientation": "h", "y": -0.2},
}


def render(figure: go.Figure, *, element_id: str) -> str:
    figure.update_layout(**LAYOUT)
    figure.update_xaxes(gridcolor="#eceff1")
    figure.update_yaxes(gridcolor="#eceff1")
    return figure.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=element_id)


def percent_complete_chart(
    periods: Sequence[date], planned: Sequence[Decimal], reported: Sequence[Decimal | None]
) -> str:
    figure = go.Figure()
    figure.add_scatter(
        x=list(periods),
        y=[float(v) for v in planned],
        name="Planned %",
        mode="lines",
        line={"dash": "dash", "color": "#546e7a"},
    )
    figure.add_scatter(
        x=list(periods),
        y=[None if v is None else float(v) for v in reported],
        name="Reported %",
        mode="lines+markers",
        line={"color": "#1565c0"},
    )
    figure.update_layout(title="Planned vs reported % complete", yaxis={"range": [0, 105]})
    return render(figure, element_id="chart-percent-complete")


def cost_chart(
    months: Sequence[date],
    cumulative_actual: Sequence[Decimal],
    cumulative_planned: Sequence[Decimal],
    budget: Decimal,
) -> str:
    figure = go.Figure()
    figure.add_scatter(
        x=list(months),
        y=[float(v) for v in cumulative_planned],
        name="Planned value",
        mode="lines",
        line={"dash": "dash", "color": "#546e7a"},
    )
    figure.add_scatter(
        x=list(months),
        y=[None if v is None else float(v) for v in cumulative_actual],
        name="Actual cost",
        mode="lines+markers",
        line={"color": "#c62828"},
    )
    if months:
        figure.add_scatter(
            x=[months[0], months[-1]],
            y=[float(budget)] * 2,
            name="Budget (BAC)",
            mode="lines",
            line={"color": "#2e7d32"},
        )
    figure.update_layout(title="Cumulative cost against budget")
    return render(figure, element_id="chart-cost")


RAG_DIMENSIONS = (
    ("overall_rag", "Overall"),
    ("schedule_rag", "Schedule"),
    ("budget_rag", "Budget"),
    ("scope_rag", "Scope"),
    ("quality_rag", "Quality"),
    ("risk_rag", "Risk"),
)
RAG_VALUE = {"green": 0, "amber": 1, "red": 2}


def rag_timeline_chart(reports: Sequence) -> str:
    """Rows are RAG dimensions, columns are periods (oldest first)."""
    periods = [report.period_start.strftime("%Y-%m-%d") for report in reports]
    z = [[RAG_VALUE[getattr(r, field)] for r in reports] for field, _ in RAG_DIMENSIONS]
    text = [[getattr(r, field) for r in reports] for field, _ in RAG_DIMENSIONS]
    figure = go.Figure(
        go.Heatmap(
            x=periods,
            y=[label for _, label in RAG_DIMENSIONS],
            z=z,
            text=text,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
            zmin=0,
            zmax=2,
            colorscale=[
                [0, RAG_COLOURS["green"]],
                [0.5, RAG_COLOURS["amber"]],
                [1, RAG_COLOURS["red"]],
            ],
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        title="RAG timeline", yaxis={"autorange": "reversed"}, xaxis={"type": "category"}
    )
    return render(figure, element_id="chart-rag-timeline")


def risk_heat_map(
    cells: dict[tuple[int, int], int],
    *,
    link_template: str | None = None,
    element_id: str = "chart-risk-heatmap",
) -> str:
    """5×5 probability × impact grid; `cells` maps (probability, impact) to a count of risks.
    `link_template` (with {probability} and {impact}) makes a cell open the risks behind it."""
    from risks.scoring import risk_band

    levels = [1, 2, 3, 4, 5]
    counts = [[cells.get((p, i), 0) for i in levels] for p in levels]
    bands = [[risk_band(p * i) for i in levels] for p in levels]
    band_index = {"low": 0, "medium": 1, "high": 2, "critical": 3}
    figure = go.Figure(
        go.Heatmap(
            x=levels,
            y=levels,
            z=[[band_index[b] for b in row] for row in bands],
            text=[[str(c) if c else "" for c in row] for row in counts],
            customdata=counts,
            texttemplate="%{text}",
            hovertemplate="Probability %{y}, impact %{x}: %{customdata} risk(s)<extra></extra>",
            colorscale=[
                [0, BAND_COLOURS["low"]],
                [0.33, BAND_COLOURS["medium"]],
                [0.66, BAND_COLOURS["high"]],
                [1, BAND_COLOURS["critical"]],
            ],
            zmin=0,
            zmax=3,
            showscale=False,
            xgap=3,
            ygap=3,
        )
    )
    figure.update_layout(
        title="Risk heat map (open risks)",
        xaxis={"title": "Impact", "dtick": 1},
        yaxis={"title": "Probability", "dtick": 1},
        height=320,
    )
    html = render(figure, element_id=element_id)
    if link_template:
        html += (
            "<script>document.getElementById('" + element_id + "').on('plotly_click',"
            " function (e) { var p = e.points[0]; window.location = '"
            + link_template.replace("{probability}", "' + p.y + '").replace(
                "{impact}", "' + p.x + '"
            )
            + "'; });</script>"
        )
    return html
