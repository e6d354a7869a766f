"""The project page's charts: planned against reported % complete, cumulative cost against
budget, and the RAG timeline of its status reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go

from charts.base import RAG_COLOURS, render


def percent_complete_chart(
    periods: Sequence[date], planned: Sequence[Decimal], reported: Sequence[Decimal | None]
) -> str:
    figure = go.Figure(_validate=False)
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
    figure = go.Figure(_validate=False)
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
        _validate=False,
        data=go.Heatmap(
            _validate=False,
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
        ),
    )
    figure.update_layout(
        title="RAG timeline", yaxis={"autorange": "reversed"}, xaxis={"type": "category"}
    )
    return render(figure, element_id="chart-rag-timeline")


@dataclass(frozen=True)
class ProjectCharts:
    percent_complete: str
    cost: str
    rag_timeline: str
    has_reports: bool


def project_charts(series) -> ProjectCharts:
    """The project page's three charts from its plotted series (a
    `reporting.selectors.ProjectChartSeries`, read by attribute)."""
    return ProjectCharts(
        percent_complete=percent_complete_chart(
            series.report_ends, series.planned_percent_at_reports, series.reported_percent
        ),
        cost=cost_chart(
            series.month_ends, series.cumulative_actual_cost, series.planned_value, series.budget
        ),
        rag_timeline=rag_timeline_chart(series.reports),
        has_reports=bool(series.reports),
    )
