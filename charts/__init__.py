"""Plotly chart builders, one module per subject. Each builder returns an HTML fragment (a div
and its script) for a template, built from plain rows the caller hands it: this package
imports no domain app.

- `base`: `render`, the one click-to-navigate handler, colours, layout defaults, helpers;
- `project`: % complete, cost against budget, RAG timeline;
- `risks`: the probability × impact heat map;
- `portfolio`: health and budget by program, value-risk bubbles, roadmap, KPI trends;
- `dependencies`: the cross-project dependency graph;
- `capacity`: the capacity heat map;
- `selection`: the efficient frontier.

The builders, their row dataclasses, `render` and the colours are re-exported, so
`import charts; charts.cost_chart(...)` works."""

from charts.base import (
    BAND_COLOURS,
    INK,
    LATE,
    MONEY_COLOURS,
    ON_TIME,
    RAG_COLOURS,
    TODAY,
    render,
)
from charts.capacity import HeatCell, HeatRow, capacity_heat_map
from charts.dependencies import dependency_chart
from charts.portfolio import (
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
from charts.project import (
    ProjectCharts,
    cost_chart,
    percent_complete_chart,
    project_charts,
    rag_timeline_chart,
)
from charts.risks import risk_heat_map
from charts.selection import frontier_chart

__all__ = [
    "BAND_COLOURS",
    "INK",
    "LATE",
    "MONEY_COLOURS",
    "ON_TIME",
    "RAG_COLOURS",
    "TODAY",
    "BubblePoint",
    "HeatCell",
    "HeatRow",
    "ProgramBudget",
    "ProgramHealth",
    "ProjectCharts",
    "RoadmapBar",
    "RoadmapMilestone",
    "budget_by_program_chart",
    "capacity_heat_map",
    "cost_chart",
    "dependency_chart",
    "frontier_chart",
    "health_by_program_chart",
    "kpi_trend_chart",
    "percent_complete_chart",
    "project_charts",
    "rag_timeline_chart",
    "render",
    "review_trend_charts",
    "risk_heat_map",
    "roadmap_chart",
    "value_risk_bubble_chart",
]
