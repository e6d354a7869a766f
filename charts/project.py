"""The project page's charts: planned against reported % complete, cumulative cost against
budget, and the RAG timeline of its status reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from charts.base import (
    RAG_COLOURS,
    day_label,
    month_axis,
    on_month,
    plot_title,
    render,
    top_legend,
    trace,
)

PROJECT_CHART_HEIGHT = 320


def percent_complete_chart(
    period_starts: Sequence[date],
    planned: Sequence[Decimal],
    reported: Sequence[Decimal | None],
    links: Sequence[str] = (),
) -> str:
    """Planned against reported % complete at each submitted report, drawn at the start of
    the report's period: a monthly report on its month's tick. `links`, one per report, are
    what a click on its reported point opens (the project as of that report's status date)."""
    x = [day.isoformat() for day in period_starts]
    data = [
        trace(
            "scatter",
            x=x,
            y=[float(v) for v in planned],
            name="Planned %",
            mode="lines",
            line={"dash": "dash", "color": "#546e7a"},
        ),
        trace(
            "scatter",
            x=x,
            y=[None if v is None else float(v) for v in reported],
            name="Reported %",
            mode="lines+markers",
            line={"color": "#1565c0"},
            customdata=list(links) or None,
            hovertemplate="Reported %{y:.0f}% · %{x|%-d %b %Y}"
            "<br><i>Click: the project as of this report</i><extra></extra>"
            if links
            else None,
        ),
    ]
    layout = {
        "title": plot_title("Planned vs reported % complete"),
        "height": PROJECT_CHART_HEIGHT,
        "margin": {"t": 64},
        "legend": top_legend(PROJECT_CHART_HEIGHT),
        # Reports may be weekly: hover names the period's first day, not only its month.
        "xaxis": {**_period_axis("Report period", period_starts), "hoverformat": "%-d %b %Y"},
        "yaxis": {"title": plot_title("% complete"), "range": [0, 105], "ticksuffix": "%"},
    }
    figure = {"data": data, "layout": layout}
    return render(figure, element_id="chart-percent-complete", navigate=bool(links))


def cost_chart(
    months: Sequence[date],
    cumulative_actual: Sequence[Decimal],
    cumulative_planned: Sequence[Decimal],
    budget: Decimal,
) -> str:
    """Cumulative actual cost and planned value at the end of each month, each drawn on its
    month, against the budget."""
    x = on_month(months)
    data = [
        trace(
            "scatter",
            x=x,
            y=[float(v) for v in cumulative_planned],
            name="Planned value",
            mode="lines",
            line={"dash": "dash", "color": "#546e7a"},
        ),
        trace(
            "scatter",
            x=x,
            y=[None if v is None else float(v) for v in cumulative_actual],
            name="Actual cost",
            mode="lines+markers",
            line={"color": "#c62828"},
        ),
    ]
    if months:
        data.append(
            trace(
                "scatter",
                x=[x[0], x[-1]],
                y=[float(budget)] * 2,
                name="Budget (BAC)",
                mode="lines",
                line={"color": "#2e7d32"},
            )
        )
    layout = {
        "title": plot_title("Cumulative cost against budget"),
        "height": PROJECT_CHART_HEIGHT,
        "margin": {"t": 64},
        "legend": top_legend(PROJECT_CHART_HEIGHT),
        "xaxis": _period_axis("Month", months),
        "yaxis": {"title": plot_title("Cumulative amount"), "tickformat": "~s"},
    }
    figure = {"data": data, "layout": layout}
    return render(figure, element_id="chart-cost")


def _period_axis(text: str, days: Sequence[date]) -> dict:
    if not days:
        return {"title": plot_title(text)}
    return month_axis(text, first=min(days), last=max(days))


RAG_DIMENSIONS = (
    ("overall_rag", "Overall"),
    ("schedule_rag", "Schedule"),
    ("budget_rag", "Budget"),
    ("scope_rag", "Scope"),
    ("quality_rag", "Quality"),
    ("risk_rag", "Risk"),
)
RAG_VALUE = {"green": 0, "amber": 1, "red": 2}


def rag_timeline_chart(reports: Sequence, links: Sequence[str] = ()) -> str:
    """Rows are RAG dimensions, columns are periods (oldest first); a click on a cell opens
    its column's link (one per report, when given)."""
    periods = [_period_label(report) for report in reports]
    z = [[RAG_VALUE[getattr(r, field)] for r in reports] for field, _ in RAG_DIMENSIONS]
    text = [[getattr(r, field) for r in reports] for field, _ in RAG_DIMENSIONS]
    heat_map = trace(
        "heatmap",
        x=periods,
        y=[label for _, label in RAG_DIMENSIONS],
        z=z,
        text=text,
        customdata=[list(links) for _ in RAG_DIMENSIONS] if links else None,
        hovertemplate="%{y} %{x}: %{text}"
        + ("<br><i>Click: the project as of this report</i>" if links else "")
        + "<extra></extra>",
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
    layout = {
        "title": plot_title("RAG timeline"),
        "yaxis": {"autorange": "reversed"},
        "xaxis": {"type": "category", "title": plot_title("Report period")},
    }
    figure = {"data": [heat_map], "layout": layout}
    return render(figure, element_id="chart-rag-timeline", navigate=bool(links))


def _period_label(report) -> str:
    """ "Oct 2026" for a calendar month's report, "5 Oct 2026" (its first day) for a week's."""
    start, end = report.period_start, report.period_end
    if start.day == 1 and (end + timedelta(days=1)).month != end.month:
        return f"{start:%b %Y}"
    return day_label(start)


@dataclass(frozen=True)
class ProjectCharts:
    percent_complete: str
    cost: str
    rag_timeline: str
    has_reports: bool


def project_charts(series, *, report_links: Sequence[str] = ()) -> ProjectCharts:
    """The project page's three charts from its plotted series (a
    `reporting.selectors.ProjectChartSeries`, read by attribute). `report_links`, one per
    report in `series.reports`, make the status-history charts drill down."""
    return ProjectCharts(
        percent_complete=percent_complete_chart(
            [report.period_start for report in series.reports],
            series.planned_percent_at_reports,
            series.reported_percent,
            report_links,
        ),
        cost=cost_chart(
            series.month_ends, series.cumulative_actual_cost, series.planned_value, series.budget
        ),
        rag_timeline=rag_timeline_chart(series.reports, report_links),
        has_reports=bool(series.reports),
    )
