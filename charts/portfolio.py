"""The portfolio and program dashboards' charts: computed health and budget by program, the
value-risk bubbles, the roadmap, and review KPI trends."""

from __future__ import annotations

import html
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from charts.base import (
    HEALTH_LABELS,
    INK,
    LATE,
    MONEY_COLOURS,
    RAG_COLOURS,
    TODAY,
    annotate_no_data,
    chart_height,
    day_label,
    month_axis,
    on_month,
    plot_title,
    render,
    short_label,
    top_legend,
    trace,
)

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
        "ticktext": [short_label(label) for label in labels],
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


def _money(value: Decimal | None) -> int:
    return 0 if value is None else int(value.to_integral_value())


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
    data = []
    rows = list(range(len(programs)))
    totals = [sum(program.computed.values()) for program in programs]
    for health in HEALTH_ORDER:
        counts = [program.computed.get(health, 0) for program in programs]
        if not any(counts):
            continue
        label = HEALTH_LABELS[health]
        bar = trace(
            "bar",
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
        data.append(bar)
    height = chart_height(len(programs), 34)
    layout = {
        "title": plot_title("Computed health by program"),
        "barmode": "stack",
        "bargap": 0.35,
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 64, "b": 40},
        "legend": {**top_legend(height), "traceorder": "normal"},
        "uniformtext": {"minsize": 9, "mode": "hide"},
        "xaxis": {
            "title": plot_title("Projects"),
            "rangemode": "tozero",
            "tick0": 0,
            "dtick": _count_step(max(totals, default=0)),
            "tickformat": ",d",
        },
        "yaxis": _program_axis([program.label for program in programs]),
    }
    if not programs:
        annotate_no_data(layout, "No projects to show")
    figure = {"data": data, "layout": layout}
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
    data = []
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
        bar = trace(
            "bar",
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
        data.append(bar)
    height = chart_height(len(programs), 54)
    layout = {
        "title": plot_title("Budget, actual cost and forecast by program"),
        "barmode": "group",
        "bargap": 0.3,
        "bargroupgap": 0.08,
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 64, "b": 40},
        "legend": {**top_legend(height), "traceorder": "normal"},
        "xaxis": {"title": plot_title("Amount"), "tickformat": "~s", "rangemode": "tozero"},
        "yaxis": _program_axis([program.label for program in programs]),
    }
    if not programs:
        annotate_no_data(layout, "No projects to show")
    figure = {"data": data, "layout": layout}
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
    # Bubble area follows the budget (in thousands), so the diameter grows as its square
    # root; the largest budget gets BUBBLE_MAX_DIAMETER (Plotly's sizeref formula).
    largest = max((_thousands(point.budget) for point in points), default=0)
    sizeref = 2.0 * max(largest, 1) / BUBBLE_MAX_DIAMETER**2
    groups: dict[tuple[str, bool], list[BubblePoint]] = defaultdict(list)
    for point in sorted(points, key=lambda point: point.budget, reverse=True):  # small on top
        groups[_health(point.health), point.alignment is not None].append(point)
    data = []
    for health in HEALTH_ORDER:
        label = HEALTH_LABELS[health]
        in_legend = True
        for scored in (True, False):
            group = groups.get((health, scored))
            if not group:
                continue
            alignment = "%{x:.0f} / 100" if scored else "not scored"
            data.append(
                trace(
                    "scatter",
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
                        "line": {
                            "color": "white" if scored else RAG_COLOURS[health],
                            "width": 1.5,
                        },
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
            )
            in_legend = False
    if any(point.alignment is None for point in points):
        data.append(
            trace(
                "scatter",
                name="Alignment not scored (at 0)",
                x=[None],
                y=[None],
                mode="markers",
                marker={
                    "symbol": "circle-open",
                    "size": 10,
                    "color": INK,
                    "line": {"width": 1.5},
                },
                hoverinfo="skip",
            )
        )
    highest = max((_money(point.risk_exposure) for point in points), default=0) or 1
    layout = {
        "title": plot_title("Value and risk: strategic alignment against open risk exposure"),
        "height": 440,
        "margin": {"l": 60, "r": 30, "t": 64, "b": 50},
        "legend": top_legend(440),
        "hovermode": "closest",
        "xaxis": {
            "title": plot_title("Strategic alignment (0–100)"),
            "range": [-6, 106],
            "dtick": 20,
            "zeroline": False,
        },
        "yaxis": {
            "title": plot_title("Open risk exposure"),
            "tickformat": "~s",
            "range": [-0.06 * highest, 1.1 * highest],
            "zeroline": True,
            "zerolinecolor": "#cfd8dc",
        },
    }
    if not points:
        annotate_no_data(layout, "No projects to show")
    figure = {"data": data, "layout": layout}
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
    data = []
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
            ticks.append(f"<b>{short_label(program, 34)}</b>")
            groups.append((len(ticks) - 1, len(ticks) - 1))
        row_of[bar.project_id] = len(ticks)
        url_of[bar.project_id] = bar.url
        ticks.append(f"{html.escape(bar.code)} · {short_label(bar.name, 26)}")
        groups[-1] = (groups[-1][0], len(ticks) - 1)

    for health in HEALTH_ORDER:
        group = [bar for bar in ordered if _health(bar.health) == health]
        if not group:
            continue
        label = HEALTH_LABELS[health]
        roadmap_bars = trace(
            "bar",
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
                    f"{day_label(bar.start)} – {day_label(bar.end)}",
                ]
                for bar in group
            ],
            hovertemplate=(
                "<b>%{customdata[1]}</b> %{customdata[2]}<br>%{customdata[3]}"
                f"<br>%{{customdata[4]}}<br>Health: {label}<extra></extra>"
            ),
        )
        data.append(roadmap_bars)
    for late, name, colour in ((False, "Milestone", INK), (True, "Late milestone", LATE)):
        group = [m for m in milestones if m.is_late == late and m.project_id in row_of]
        if not group:
            continue
        diamonds = trace(
            "scatter",
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
                    day_label(milestone.date) + (" · late" if late else ""),
                ]
                for milestone in group
            ],
            hovertemplate=(
                "<b>%{customdata[1]}</b> %{customdata[2]}<br>%{customdata[3]}<extra></extra>"
            ),
        )
        data.append(diamonds)
    # Today: a dotted line across the rows, named in the legend and at the top of the line.
    data.append(
        trace(
            "scatter",
            name=f"Today ({day_label(today)})",
            x=[None],
            y=[None],
            mode="lines",
            line={"color": TODAY, "dash": "dot", "width": 2},
            hoverinfo="skip",
        )
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
    height = chart_height(len(ticks), ROADMAP_ROW_PX, chrome=100)
    layout = {
        "title": plot_title("Roadmap by program"),
        "barmode": "overlay",
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 84, "b": 20},
        "legend": top_legend(height),
        "hovermode": "closest",
        "shapes": shapes,
        "xaxis": {
            "type": "date",
            "side": "top",
            "tickformat": "%b %Y",
            "showline": True,
            "linecolor": "#cfd8dc",
            "range": _date_range(ordered, today),
        },
        "yaxis": {
            "tickvals": list(range(len(ticks))),
            "ticktext": ticks,
            "range": [len(ticks) - 0.5, -0.5],
            "showgrid": False,
            "ticks": "",
            "ticklabelstandoff": 6,
            "fixedrange": True,
        },
    }
    if not bars:
        annotate_no_data(layout, "No projects to show")
    figure = {"data": data, "layout": layout}
    return render(figure, element_id="chart-roadmap", navigate=True)


def _date_range(bars: Sequence[RoadmapBar], today: date) -> list[str]:
    """From the earliest start to the latest end (today included), with a little air."""
    first = min([bar.start for bar in bars] + [today])
    last = max([bar.end for bar in bars] + [today])
    air = timedelta(days=max(14, (last - first).days // 40))
    return [(first - air).isoformat(), (last + air).isoformat()]


TREND_HEIGHT = 300


def kpi_trend_chart(
    periods: Sequence[date],
    series: dict[str, list],
    *,
    title: str,
    element_id: str,
    y_title: str,
    y_format: str = "",
    links: Sequence[str] = (),
) -> str:
    """Lines of stored review KPIs over review periods (one line per series), each review on
    its period's month. `periods` are dates inside each review's period, oldest first;
    `links`, one per period, are what a click on that period's point opens (its review)."""
    months = on_month(periods)
    hover = f"%{{y:{y_format}}}" if y_format else "%{y}"
    opens = "<br><i>Click to open this review</i>" if links else ""
    data = [
        trace(
            "scatter",
            x=months,
            y=[None if v is None else float(v) for v in values],
            name=name,
            mode="lines+markers",
            customdata=list(links) or None,
            hovertemplate=f"<b>{html.escape(name)}</b> · %{{x}}<br>{hover}{opens}<extra></extra>",
        )
        for name, values in series.items()
    ]
    layout = {
        "title": plot_title(title),
        "height": TREND_HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 64, "b": 50},
        "legend": top_legend(TREND_HEIGHT),
        "xaxis": month_axis("Review month", first=min(periods), last=max(periods))
        if periods
        else {"title": plot_title("Review month")},
        "yaxis": {"title": plot_title(y_title), "rangemode": "tozero", "tickformat": y_format},
    }
    figure = {"data": data, "layout": layout}
    return render(figure, element_id=element_id, navigate=bool(links))


@dataclass(frozen=True)
class ReviewTrendCharts:
    indices: str
    money: str


def review_trend_charts(trends, *, links: Sequence[str] = ()) -> ReviewTrendCharts:
    """CPI/SPI and AC/EV/PV by stored monthly review (a `reporting.selectors.ReviewTrends`,
    read by attribute), each review on its period's month; empty when there are no reviews
    yet. `links` (one per review, oldest first) make a click on a point open that review."""
    if not trends.reviews:
        return ReviewTrendCharts(indices="", money="")
    return ReviewTrendCharts(
        indices=kpi_trend_chart(
            trends.period_starts,
            trends.indices,
            title="CPI and SPI by monthly review",
            element_id="chart-trend-indices",
            y_title="Index (1 = on plan)",
            y_format=".2f",
            links=links,
        ),
        money=kpi_trend_chart(
            trends.period_starts,
            trends.money,
            title="Cost and value by monthly review",
            element_id="chart-trend-cost",
            y_title="Amount to date",
            y_format=",.0f",
            links=links,
        ),
    )
