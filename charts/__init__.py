"""Plotly chart builders. Each returns an HTML fragment (a div and its script) for a template;
plotly.min.js itself is served from static/ (see settings.STATICFILES_DIRS), never a CDN.

Clicking a chart mark opens the page behind it, always the same way: the trace carries the
target URL in `customdata` (the URL itself, or a list whose first item is the URL) and
`render(..., navigate=True)` adds the one click handler, `_navigate_on_click`."""

from __future__ import annotations

import html
import itertools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import plotly.graph_objects as go
import plotly.io as pio

RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "": "#b0bec5"}
BAND_COLOURS = {"low": "#c8e6c9", "medium": "#fff59d", "high": "#ffcc80", "critical": "#ef9a9a"}
HEALTH_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "": "No data"}
# Budget, actual cost and forecast: blue-greys and the page accent, apart from the RAG colours.
MONEY_COLOURS = {"budget": "#90a4ae", "actual": "#2d5a87", "forecast": "#7e57c2"}
INK = "#37474f"
LATE = RAG_COLOURS["red"]
ON_TIME = "#90a4ae"
TODAY = "#2d5a87"
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}
LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "height": 300,
    "font": {
        "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
        "size": 12,
        "color": "#1d2630",
    },
    "title": {"font": {"size": 14}, "x": 0.01, "xanchor": "left"},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "legend": {"orientation": "h", "y": -0.2},
    "hoverlabel": {"bgcolor": "white", "bordercolor": "#cfd8dc", "font": {"color": "#1d2630"}},
}
# Plotly's default template is 7 KB of settings for chart types Slate does not draw, sent
# with every chart; this keeps what cartesian charts use.
TEMPLATE = go.layout.Template(
    layout={
        "colorway": ["#2d5a87", "#c62828", "#2e7d32", "#7e57c2", "#f9a825", "#546e7a"],
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": {
            "automargin": True,
            "ticks": "",
            "linecolor": "white",
            "zerolinecolor": "#eceff1",
            "title": {"standoff": 15},
        },
        "yaxis": {
            "automargin": True,
            "ticks": "",
            "linecolor": "white",
            "zerolinecolor": "#eceff1",
            "title": {"standoff": 15},
        },
    }
)
TEMPLATE_JSON = TEMPLATE.to_plotly_json()
# Above the plot, right-aligned beside the title: where it stays whatever the chart's height.
TOP_LEGEND = {
    "orientation": "h",
    "yref": "container",
    "y": 0.995,
    "yanchor": "top",
    "x": 1,
    "xanchor": "right",
    "font": {"size": 11},
}


def render(figure: go.Figure, *, element_id: str, navigate: bool = False) -> str:
    """The figure as an HTML fragment. LAYOUT holds the defaults; what the builder set on
    the figure wins. `navigate` makes a click on a mark open the URL in its customdata.

    Figures are built with `_validate=False` and merged and written as plain dicts without
    validation: plotly's per-property validation cost most of a dashboard's server time."""
    spec = figure.to_plotly_json()
    own = spec.get("layout", {})
    layout = {**LAYOUT, **own, "template": TEMPLATE_JSON}
    for key, default in LAYOUT.items():  # one level deep, as update_layout would merge
        if isinstance(default, dict) and isinstance(own.get(key), dict):
            layout[key] = {**default, **own[key]}
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for axis in axes:
        layout[axis] = {"gridcolor": "#eceff1", **layout.get(axis, {})}
    return pio.to_html(
        {"data": spec.get("data", []), "layout": layout},
        validate=False,
        full_html=False,
        include_plotlyjs=False,
        config=CONFIG,
        div_id=element_id,
        post_script=_navigate_on_click(element_id) if navigate else None,
    )


def _navigate_on_click(element_id: str) -> str:
    """The one click handler: open the URL in the clicked point's customdata (a URL, or a
    list starting with one); marks without a URL do nothing. The pointer cursor over a
    linked mark tells the user it opens something."""
    chart = json.dumps(element_id)
    return (
        "(function () {"
        f" var chart = document.getElementById({chart});"
        " function target(event) {"
        "  var data = event.points[0].customdata;"
        "  return (Array.isArray(data) ? data[0] : data) || '';"
        " }"
        " function cursor(value) {"
        "  chart.querySelectorAll('.nsewdrag').forEach(function (layer) {"
        "   layer.style.cursor = value; });"
        " }"
        " chart.on('plotly_click', function (event) {"
        "  var url = target(event); if (url) { window.location.assign(url); } });"
        " chart.on('plotly_hover', function (event) { cursor(target(event) ? 'pointer' : ''); });"
        " chart.on('plotly_unhover', function () { cursor(''); });"
        "})();"
    )


def _no_data(figure: go.Figure, message: str) -> None:
    figure.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 13, "color": "#78909c"},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)


def _label(text: str, limit: int = 28) -> str:
    """An axis label: escaped (Plotly reads tags in text), shortened to `limit` characters."""
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return html.escape(text)


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _money(value: Decimal | None) -> int:
    return 0 if value is None else int(value.to_integral_value())


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

    def link(probability: int, impact: int) -> str:
        if not link_template:
            return ""
        return link_template.replace("{probability}", str(probability)).replace(
            "{impact}", str(impact)
        )

    figure = go.Figure(
        _validate=False,
        data=go.Heatmap(
            _validate=False,
            x=levels,
            y=levels,
            z=[[band_index[b] for b in row] for row in bands],
            text=[[str(c) if c else "" for c in row] for row in counts],
            customdata=[[[link(p, i), counts[p - 1][i - 1]] for i in levels] for p in levels],
            texttemplate="%{text}",
            hovertemplate=(
                "Probability %{y}, impact %{x}: %{customdata[1]} risk(s)<extra></extra>"
            ),
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
        ),
    )
    figure.update_layout(
        title="Risk heat map (open risks)",
        xaxis={"title": "Impact", "dtick": 1},
        yaxis={"title": "Probability", "dtick": 1},
        height=320,
    )
    return render(figure, element_id=element_id, navigate=bool(link_template))


# --- Portfolio and program dashboards (issue 5) -------------------------------------------

HEALTH_ORDER = ("green", "amber", "red", "")
HEALTH_IN_LINKS = {"green": "green", "amber": "amber", "red": "red", "": "none"}
# Text on a segment: dark on the light colours, white on the dark ones.
HEALTH_TEXT = {"green": "white", "amber": "#1d2630", "red": "white", "": "#1d2630"}


def _health(value: str | None) -> str:
    return value if value in RAG_COLOURS else ""


def _program_axis(labels: Sequence[str]) -> dict:
    """A y axis with one row per program, first program on top (rows are 0, 1, 2…, so two
    programs with the same name stay apart)."""
    return {
        "tickvals": list(range(len(labels))),
        "ticktext": [_label(label) for label in labels],
        "autorange": "reversed",
        "showgrid": False,
        "ticks": "",
        "ticklabelstandoff": 6,
        "fixedrange": True,
    }


def _count_step(largest: int) -> int:
    """A whole-number tick step giving about six ticks: 1, 2, 5, 10, 20, 50…"""
    step, factors = 1, itertools.cycle((2, 2.5, 2))
    while largest / step > 6:
        step = round(step * next(factors))
    return step


def _height(rows: int, per_row: int, *, chrome: int = 110, minimum: int = 300) -> int:
    return max(minimum, chrome + per_row * rows)


@dataclass(frozen=True)
class ProgramHealth:
    """Projects of one program (or of none: `program_id` None) by computed health; keys
    "green", "amber", "red" and "" (no data yet)."""

    label: str
    program_id: int | None
    computed: dict[str, int]


def health_by_program_chart(programs: list[ProgramHealth], *, link_template: str) -> str:
    """Stacked horizontal bars, one per program, one segment per health. A segment opens
    `link_template.format(program=<id or "">, health=<"green"|"amber"|"red"|"none">)`."""
    figure = go.Figure(_validate=False)
    rows = list(range(len(programs)))
    totals = [sum(program.computed.values()) for program in programs]
    for health in HEALTH_ORDER:
        counts = [program.computed.get(health, 0) for program in programs]
        if not any(counts):
            continue
        label = HEALTH_LABELS[health]
        figure.add_bar(
            name=label,
            orientation="h",
            y=rows,
            x=counts,
            marker={"color": RAG_COLOURS[health], "line": {"color": "white", "width": 1}},
            text=[str(count) if count else "" for count in counts],
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": HEALTH_TEXT[health]},
            customdata=[
                [
                    link_template.format(
                        program=program.program_id or "", health=HEALTH_IN_LINKS[health]
                    ),
                    html.escape(program.label),
                    f"{total} project{'' if total == 1 else 's'}"
                    f" ({round(100 * count / total) if total else 0}%)",
                ]
                for program, count, total in zip(programs, counts, totals, strict=True)
            ],
            hovertemplate=(
                f"<b>%{{customdata[1]}}</b><br>{label}: %{{x}} of %{{customdata[2]}}<extra></extra>"
            ),
        )
    if not programs:
        _no_data(figure, "No projects to show")
    figure.update_layout(
        title="Computed health by program",
        barmode="stack",
        bargap=0.35,
        height=_height(len(programs), 34),
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={**TOP_LEGEND, "traceorder": "normal"},
        uniformtext={"minsize": 9, "mode": "hide"},
        xaxis={
            "title": "Projects",
            "rangemode": "tozero",
            "tick0": 0,
            "dtick": _count_step(max(totals, default=0)),
            "tickformat": ",d",
        },
        yaxis=_program_axis([program.label for program in programs]),
    )
    return render(figure, element_id="chart-health-by-program", navigate=True)


@dataclass(frozen=True)
class ProgramBudget:
    label: str
    program_id: int | None
    budget: Decimal
    actual_cost: Decimal
    estimate_at_completion: Decimal


def _against_budget(value: Decimal, budget: Decimal, *, spent: bool) -> str:
    if not budget:
        return "no budget set"
    share = 100 * value / budget
    if spent:
        return f"{share:.0f}% of budget spent"
    change = share - 100
    if abs(change) < Decimal("0.5"):
        return "on budget"
    return f"{change:+.0f}% against budget".replace("-", "−")


def budget_by_program_chart(programs: list[ProgramBudget], *, link_template: str) -> str:
    """Budget (BAC), actual cost (AC) and forecast (EAC) side by side for each program; a
    bar opens `link_template.format(program=<id or "">)`."""
    figure = go.Figure(_validate=False)
    series = (
        ("Budget (BAC)", "budget", "budget"),
        ("Actual cost (AC)", "actual_cost", "actual"),
        ("Forecast (EAC)", "estimate_at_completion", "forecast"),
    )
    links = [link_template.format(program=program.program_id or "") for program in programs]
    for name, field, colour in series:
        values = [getattr(program, field) or Decimal("0") for program in programs]
        notes = [
            ""
            if field == "budget"
            else "<br>" + _against_budget(value, program.budget, spent=field == "actual_cost")
            for program, value in zip(programs, values, strict=True)
        ]
        figure.add_bar(
            name=name,
            orientation="h",
            y=list(range(len(programs))),
            x=[_money(value) for value in values],
            marker={"color": MONEY_COLOURS[colour]},
            customdata=[
                [link, html.escape(program.label), note]
                for link, program, note in zip(links, programs, notes, strict=True)
            ],
            hovertemplate=(
                f"<b>%{{customdata[1]}}</b><br>{name}: %{{x:,.0f}}%{{customdata[2]}}<extra></extra>"
            ),
        )
    if not programs:
        _no_data(figure, "No projects to show")
    figure.update_layout(
        title="Budget, actual cost and forecast by program",
        barmode="group",
        bargap=0.3,
        bargroupgap=0.08,
        height=_height(len(programs), 54),
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={**TOP_LEGEND, "traceorder": "normal"},
        xaxis={"title": "Amount", "tickformat": "~s", "rangemode": "tozero"},
        yaxis=_program_axis([program.label for program in programs]),
    )
    return render(figure, element_id="chart-budget-by-program", navigate=True)


@dataclass(frozen=True)
class BubblePoint:
    project_id: int
    code: str
    name: str
    alignment: Decimal | None
    risk_exposure: Decimal
    budget: Decimal
    health: str
    url: str


BUBBLE_MAX_DIAMETER = 46  # px, the largest budget's bubble


def value_risk_bubble_chart(points: list[BubblePoint]) -> str:
    """x: strategic alignment (0–100; unscored projects sit at 0, drawn hollow), y: open
    risk exposure, bubble area: budget, colour: health. A bubble opens its project.

    Kept compact for 1,000 projects: numbers rounded, one trace per health, and per point
    only the URL, code, name and budget in customdata."""
    figure = go.Figure(_validate=False)
    # Bubble area follows the budget (in thousands), so the diameter grows as its square
    # root; the largest budget gets BUBBLE_MAX_DIAMETER (Plotly's sizeref formula).
    largest = max((_thousands(point.budget) for point in points), default=0)
    sizeref = 2.0 * max(largest, 1) / BUBBLE_MAX_DIAMETER**2
    by_budget = sorted(points, key=lambda point: point.budget, reverse=True)  # small on top
    for health in HEALTH_ORDER:
        label = HEALTH_LABELS[health]
        in_legend = True
        for scored in (True, False):
            group = [
                point
                for point in by_budget
                if _health(point.health) == health and (point.alignment is not None) == scored
            ]
            if not group:
                continue
            alignment = "%{x:.0f} / 100" if scored else "not scored"
            figure.add_scatter(
                name=label,
                legendgroup=health or "none",
                showlegend=in_legend,
                mode="markers",
                cliponaxis=False,
                x=[round(float(point.alignment), 1) if scored else 0 for point in group],
                y=[_money(point.risk_exposure) for point in group],
                marker={
                    "size": [_thousands(point.budget) for point in group],
                    "sizemode": "area",
                    "sizeref": sizeref,
                    "sizemin": 4,
                    "color": RAG_COLOURS[health],
                    "opacity": 0.78 if scored else 0.9,
                    "symbol": "circle" if scored else "circle-open",
                    "line": {"color": "white" if scored else RAG_COLOURS[health], "width": 1.5},
                },
                customdata=[
                    [
                        point.url,
                        html.escape(point.code),
                        html.escape(point.name),
                        _money(point.budget),
                    ]
                    for point in group
                ],
                hovertemplate=(
                    "<b>%{customdata[1]}</b> %{customdata[2]}"
                    f"<br>Strategic alignment: {alignment}"
                    "<br>Open risk exposure: %{y:,.0f}"
                    "<br>Budget: %{customdata[3]:,.0f}"
                    f"<br>Health: {label}<extra></extra>"
                ),
            )
            in_legend = False
    if any(point.alignment is None for point in points):
        figure.add_scatter(
            name="Alignment not scored (at 0)",
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "circle-open", "size": 10, "color": INK, "line": {"width": 1.5}},
            hoverinfo="skip",
        )
    highest = max((_money(point.risk_exposure) for point in points), default=0) or 1
    if not points:
        _no_data(figure, "No projects to show")
    figure.update_layout(
        title="Value and risk: strategic alignment against open risk exposure",
        height=440,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        legend=TOP_LEGEND,
        hovermode="closest",
        xaxis={
            "title": "Strategic alignment (0–100)",
            "range": [-6, 106],
            "dtick": 20,
            "zeroline": False,
        },
        yaxis={
            "title": "Open risk exposure",
            "tickformat": "~s",
            "range": [-0.06 * highest, 1.1 * highest],
            "zeroline": True,
            "zerolinecolor": "#cfd8dc",
        },
    )
    return render(figure, element_id="chart-value-risk", navigate=True)


def _thousands(amount: Decimal) -> int:
    return round(float(amount) / 1000)


@dataclass(frozen=True)
class RoadmapBar:
    project_id: int
    code: str
    name: str
    program: str
    start: date
    end: date
    health: str
    url: str


@dataclass(frozen=True)
class RoadmapMilestone:
    project_id: int
    code: str
    name: str
    date: date
    is_late: bool


ROADMAP_ROW_PX = 26
NO_PROGRAM = "No program"
MS_PER_DAY = 86_400_000


def roadmap_chart(
    bars: list[RoadmapBar], milestones: list[RoadmapMilestone], *, today: date
) -> str:
    """A timeline: projects grouped under their program (a bold heading row per program),
    each a bar from start to end coloured by health; milestones as diamonds (late ones
    red) and a dotted line at `today`. A bar or a milestone opens its project."""
    figure = go.Figure(_validate=False)
    ordered = sorted(
        bars, key=lambda bar: (not bar.program, bar.program, bar.start, bar.code, bar.project_id)
    )
    ticks: list[str] = []
    row_of: dict[int, int] = {}
    url_of: dict[int, str] = {}
    groups: list[tuple[int, int]] = []  # first and last row of each program
    current = None
    for bar in ordered:
        program = bar.program or NO_PROGRAM
        if program != current:
            current = program
            ticks.append(f"<b>{_label(program, 34)}</b>")
            groups.append((len(ticks) - 1, len(ticks) - 1))
        row_of[bar.project_id] = len(ticks)
        url_of[bar.project_id] = bar.url
        ticks.append(f"{html.escape(bar.code)} · {_label(bar.name, 26)}")
        groups[-1] = (groups[-1][0], len(ticks) - 1)

    for health in HEALTH_ORDER:
        group = [bar for bar in ordered if _health(bar.health) == health]
        if not group:
            continue
        label = HEALTH_LABELS[health]
        figure.add_bar(
            name=label,
            orientation="h",
            y=[row_of[bar.project_id] for bar in group],
            base=[bar.start.isoformat() for bar in group],
            # A bar runs to the end of its last day.
            x=[((bar.end - bar.start).days + 1) * MS_PER_DAY for bar in group],
            width=0.62,
            marker={"color": RAG_COLOURS[health], "line": {"width": 0}},
            customdata=[
                [
                    bar.url,
                    html.escape(bar.code),
                    html.escape(bar.name),
                    html.escape(bar.program or NO_PROGRAM),
                    f"{_day(bar.start)} – {_day(bar.end)}",
                ]
                for bar in group
            ],
            hovertemplate=(
                "<b>%{customdata[1]}</b> %{customdata[2]}<br>%{customdata[3]}"
                f"<br>%{{customdata[4]}}<br>Health: {label}<extra></extra>"
            ),
        )
    for late, name, colour in ((False, "Milestone", INK), (True, "Late milestone", LATE)):
        group = [m for m in milestones if m.is_late == late and m.project_id in row_of]
        if not group:
            continue
        figure.add_scatter(
            name=name,
            mode="markers",
            cliponaxis=False,
            x=[milestone.date.isoformat() for milestone in group],
            y=[row_of[milestone.project_id] for milestone in group],
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": colour,
                "line": {"color": "white", "width": 1},
            },
            customdata=[
                [
                    url_of[milestone.project_id],
                    html.escape(milestone.code),
                    html.escape(milestone.name),
                    _day(milestone.date) + (" · late" if late else ""),
                ]
                for milestone in group
            ],
            hovertemplate=(
                "<b>%{customdata[1]}</b> %{customdata[2]}<br>%{customdata[3]}<extra></extra>"
            ),
        )
    # Today: a dotted line across the rows, named in the legend and at the top of the line.
    figure.add_scatter(
        name=f"Today ({_day(today)})",
        x=[None],
        y=[None],
        mode="lines",
        line={"color": TODAY, "dash": "dot", "width": 2},
        hoverinfo="skip",
    )
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": first - 0.5,
            "y1": last + 0.5,
            "fillcolor": "#f5f7f9",
            "line": {"width": 0},
            "layer": "below",
        }
        for index, (first, last) in enumerate(groups)
        if index % 2 == 0
    ]
    shapes.append(
        {
            "type": "line",
            "xref": "x",
            "x0": today.isoformat(),
            "x1": today.isoformat(),
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": TODAY, "dash": "dot", "width": 2},
        }
    )
    if not bars:
        _no_data(figure, "No projects to show")
    figure.update_layout(
        title="Roadmap by program",
        barmode="overlay",
        height=_height(len(ticks), ROADMAP_ROW_PX, chrome=100),
        margin={"l": 10, "r": 20, "t": 80, "b": 20},
        legend=TOP_LEGEND,
        hovermode="closest",
        shapes=shapes,
        xaxis={
            "type": "date",
            "side": "top",
            "tickformat": "%b %Y",
            "showline": True,
            "linecolor": "#cfd8dc",
            "range": _date_range(ordered, today),
        },
        yaxis={
            "tickvals": list(range(len(ticks))),
            "ticktext": ticks,
            "range": [len(ticks) - 0.5, -0.5],
            "showgrid": False,
            "ticks": "",
            "ticklabelstandoff": 6,
            "fixedrange": True,
        },
    )
    return render(figure, element_id="chart-roadmap", navigate=True)


def _date_range(bars: Sequence[RoadmapBar], today: date) -> list[str]:
    """From the earliest start to the latest end (today included), with a little air."""
    first = min([bar.start for bar in bars] + [today])
    last = max([bar.end for bar in bars] + [today])
    air = timedelta(days=max(14, (last - first).days // 40))
    return [(first - air).isoformat(), (last + air).isoformat()]


@dataclass(frozen=True)
class DependencyEdge:
    predecessor_id: int
    predecessor_code: str
    successor_id: int
    successor_code: str
    deliverable: str
    needed_by: date
    expected_on: date | None  # None: the predecessor has no date to deliver on
    is_late: bool
    predecessor_url: str
    successor_url: str


def dependency_layers(edges: Sequence[DependencyEdge]) -> dict[int, int]:
    """Project id → column: the longest path from a project nothing depends on. Kahn's
    topological order, so each project is settled once; projects on a cycle (refused on
    save, so only from bad data) keep the column their settled predecessors give them."""
    successors: dict[int, set[int]] = defaultdict(set)
    waiting: dict[int, int] = {}
    for edge in edges:
        waiting.setdefault(edge.predecessor_id, 0)
        waiting.setdefault(edge.successor_id, 0)
    for edge in edges:
        if edge.successor_id not in successors[edge.predecessor_id]:
            successors[edge.predecessor_id].add(edge.successor_id)
            waiting[edge.successor_id] += 1
    layer = dict.fromkeys(waiting, 0)
    ready = [node for node, count in waiting.items() if count == 0]
    while ready:
        node = ready.pop()
        for successor in successors[node]:
            layer[successor] = max(layer[successor], layer[node] + 1)
            waiting[successor] -= 1
            if waiting[successor] == 0:
                ready.append(successor)
    return layer


def _slip(edge: DependencyEdge) -> str:
    if edge.expected_on is None:
        return "late" if edge.is_late else "no delivery date yet"
    days = (edge.expected_on - edge.needed_by).days
    if days > 0:
        return f"{days} day{'' if days == 1 else 's'} late"
    if days == 0:
        return "just in time"
    return f"on time ({-days} day{'' if days == -1 else 's'} to spare)"


NODE_RADIUS_PX = 10


def dependency_chart(edges: list[DependencyEdge]) -> str:
    """Projects as nodes in columns (a project right of everything it needs), arrows from
    predecessor to successor: late ones red and thick, the others grey. The dot halfway
    along an arrow tells what is handed over and when; a node opens its project."""
    if not edges:
        return (
            '<div class="empty" id="chart-dependencies">'
            "<strong>No cross-project dependencies.</strong></div>"
        )
    layer = dependency_layers(edges)
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
    for node, column in layer.items():
        columns[column].append(node)
    for column in sorted(columns):

        def pull(node: int) -> tuple[float, str]:
            placed = [position[p][1] for p in predecessors[node] if p in position]
            return (-sum(placed) / len(placed) if placed else 0.0, code[node])

        nodes = sorted(columns[column], key=pull)
        for index, node in enumerate(nodes):
            position[node] = (column, (len(nodes) - 1) / 2 - index)

    figure = go.Figure(_validate=False)
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
                    _day(edge.needed_by),
                    _day(edge.expected_on) if edge.expected_on else "not planned",
                    _slip(edge),
                ],
            )
        )
    for late, name, colour in (
        (False, "On-time dependency", ON_TIME),
        (True, "Late dependency", LATE),
    ):
        figure.add_scatter(
            name=name,
            x=[None],
            y=[None],
            mode="lines",
            line={"color": colour, "width": 3 if late else 1.4},
            hoverinfo="skip",
        )
        if not midpoints[late]:
            continue
        x, y, customdata = zip(*midpoints[late], strict=True)
        figure.add_scatter(
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
    for late, name, colour in (
        (False, "Project", TODAY),
        (True, "Project delivering late", LATE),
    ):
        nodes = sorted(
            (node for node in position if (node in delivering_late) == late), key=code.get
        )
        if not nodes:
            continue
        figure.add_scatter(
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
    tallest = max(len(nodes) for nodes in columns.values())
    last_column = max(columns)
    hidden = {"visible": False, "fixedrange": False}
    figure.update_layout(
        title="Cross-project dependencies",
        height=_height(tallest, 80, chrome=120),
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
        legend=TOP_LEGEND,
        hovermode="closest",
        annotations=annotations,
        xaxis={**hidden, "range": [-0.4, last_column + 0.4]},
        yaxis={**hidden, "range": [-(tallest - 1) / 2 - 0.6, (tallest - 1) / 2 + 0.7]},
    )
    return render(figure, element_id="chart-dependencies", navigate=True)


def kpi_trend_chart(
    periods: list[date],
    series: dict[str, list],
    *,
    title: str,
    element_id: str,
    percent: bool = False,
) -> str:
    """Lines of stored review KPIs over review periods (one line per series)."""
    figure = go.Figure(_validate=False)
    for name, values in series.items():
        figure.add_scatter(
            x=list(periods), y=[None if v is None else float(v) for v in values], name=name,
            mode="lines+markers",
        )  # fmt: skip
    figure.update_layout(title=title, height=260, yaxis={"rangemode": "tozero"})
    return render(figure, element_id=element_id)
