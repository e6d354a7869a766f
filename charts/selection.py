"""The efficient frontier chart of the selection pages: total value against the budget per
year. `points` are portfolio.selection.frontier.FrontierPoint rows, read by attribute."""

from __future__ import annotations

import html
from datetime import date

from charts.base import (
    INK,
    LATE,
    TODAY,
    annotate_no_data,
    chart_height,
    plot_title,
    render,
    short_label,
    top_legend,
    trace,
)
from charts.portfolio import MS_PER_DAY
from core.months import add_months, month_start


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


# --- The timing view (issue 17) ---------------------------------------------------------------

MOVED = "#7e57c2"
AS_PLANNED = "#90a4ae"
COMMITTED = "#546e7a"
PLANNED_GHOST = "#eceff1"
TIMING_ROW_PX = 28
# One colour per role on the capacity chart (the fixed-start line dotted, the timing line solid).
ROLE_COLOURS = ("#2d5a87", "#c62828", "#2e7d32", "#f9a825", "#546e7a", "#7e57c2")


def _next_month(day: date) -> date:
    return add_months(month_start(day), 1)


def _span(first: date, last: date) -> int:
    """Milliseconds from the first day of `first`'s month to the end of `last`'s month."""
    return (_next_month(last) - month_start(first)).days * MS_PER_DAY


def _moved_label(months: int) -> str:
    return f"{'+' if months > 0 else '−'}{abs(months)} mo"


def timing_roadmap_chart(rows, *, urls, title: str) -> str:
    """The timing plan as a roadmap: each chosen project a bar from its chosen start to its
    finish, coloured moved / as planned / committed, a moved project's planned months as a
    pale bar behind it, and a tick at every requested start. A bar opens its project.
    `rows` are TimedRow-like: code, name, start_date, finish_date, planned_date, moved,
    moved_months, committed, value, planned_value, id; `urls` maps an id to its page."""
    rows = list(rows)
    ticks = [f"{html.escape(row.code)} · {short_label(row.name, 26)}" for row in rows]
    position = {row.id: index for index, row in enumerate(rows)}
    data = []
    moved = [row for row in rows if row.moved]
    if moved:
        data.append(
            trace(
                "bar",
                name="Requested months (moved)",
                orientation="h",
                y=[position[row.id] for row in moved],
                base=[row.planned_date.isoformat() for row in moved],
                x=[
                    _span(row.planned_date, add_months(row.finish_date, -row.moved_months))
                    for row in moved
                ],
                width=0.62,
                marker={"color": PLANNED_GHOST, "line": {"color": AS_PLANNED, "width": 1}},
                hoverinfo="skip",
            )
        )
    groups = (
        ("Moved by the optimiser", MOVED, [r for r in rows if r.moved]),
        ("Starts as requested", AS_PLANNED, [r for r in rows if not r.moved and not r.committed]),
        ("Committed (start fixed)", COMMITTED, [r for r in rows if r.committed]),
    )
    for name, colour, group in groups:
        if not group:
            continue
        data.append(
            trace(
                "bar",
                name=name,
                orientation="h",
                y=[position[row.id] for row in group],
                base=[row.start_date.isoformat() for row in group],
                x=[_span(row.start_date, row.finish_date) for row in group],
                width=0.62 if colour != MOVED else 0.42,
                marker={"color": colour, "line": {"width": 0}},
                text=[_moved_label(row.moved_months) if row.moved else "" for row in group],
                textposition="outside",
                cliponaxis=False,
                textfont={"color": MOVED, "size": 11},
                customdata=[
                    [
                        urls.get(row.id, ""),
                        html.escape(row.code),
                        html.escape(row.name),
                        f"{row.start_date:%b %Y} – {row.finish_date:%b %Y}",
                        f"{row.planned_date:%b %Y}",
                        f"{row.value:,.0f}",
                        f"{row.planned_value:,.0f}",
                    ]
                    for row in group
                ],
                hovertemplate=(
                    "<b>%{customdata[1]}</b> %{customdata[2]}<br>Chosen: %{customdata[3]}"
                    "<br>Requested start: %{customdata[4]}<br>Value at this start: "
                    "%{customdata[5]} (at the requested start: %{customdata[6]})<extra></extra>"
                ),
            )
        )
    if rows:
        data.append(
            trace(
                "scatter",
                name="Requested start",
                mode="markers",
                x=[row.planned_date.isoformat() for row in rows],
                y=[position[row.id] for row in rows],
                marker={"symbol": "line-ns-open", "size": 18, "color": INK, "line": {"width": 2}},
                hovertemplate="Requested start %{x|%b %Y}<extra></extra>",
            )
        )
    height = chart_height(len(rows), TIMING_ROW_PX, chrome=120)
    first = min([row.planned_date for row in rows] + [row.start_date for row in rows], default=None)
    last = max([row.finish_date for row in rows], default=None)
    layout = {
        "title": plot_title(title),
        "barmode": "overlay",
        "height": height,
        "margin": {"l": 10, "r": 50, "t": 92, "b": 20},
        "legend": top_legend(height),
        "hovermode": "closest",
        "xaxis": {
            "type": "date",
            "side": "top",
            "tickformat": "%b %Y",
            "showline": True,
            "linecolor": "#cfd8dc",
        },
        "yaxis": {
            "tickvals": list(range(len(rows))),
            "ticktext": ticks,
            "range": [len(rows) - 0.5, -0.5],
            "showgrid": False,
            "ticks": "",
            "ticklabelstandoff": 6,
            "fixedrange": True,
        },
    }
    if first is not None and last is not None:
        layout["xaxis"]["range"] = [
            add_months(first, -1).isoformat(),
            add_months(_next_month(last), 2).isoformat(),
        ]
    if not rows:
        annotate_no_data(layout, "The timing plan funds no project")
    return render(
        {"data": data, "layout": layout}, element_id="chart-timing-roadmap", navigate=True
    )


def timing_capacity_chart(roles, *, limit: int = 4) -> str:
    """Each role's load per month, as a share of what is available: with fixed starts
    (dotted) and with the timing plan (solid), for the `limit` roles the timing changes most.
    `roles` are RoleCapacity-like: role, months ("YYYY-MM"), available, before, after."""
    roles = list(roles)[:limit]
    data = []
    for index, row in enumerate(roles):
        colour = ROLE_COLOURS[index % len(ROLE_COLOURS)]
        x = [f"{month}-01" for month in row.months]
        for label, used, dash in (("fixed starts", row.before, "dot"), ("timing", row.after, None)):
            data.append(
                trace(
                    "scatter",
                    name=f"{short_label(row.role, 24)}, {label}",
                    legendgroup=row.role,
                    mode="lines",
                    x=x,
                    y=[
                        round(hours * 100 / available, 1) if available > 0 else None
                        for hours, available in zip(used, row.available, strict=True)
                    ],
                    line={"color": colour, "width": 2, "dash": dash or "solid", "shape": "hv"},
                    customdata=[
                        [f"{hours:,.0f}", f"{available:,.0f}"]
                        for hours, available in zip(used, row.available, strict=True)
                    ],
                    hovertemplate=(
                        f"<b>{short_label(row.role, 30)}</b>, {label}<br>%{{x|%b %Y}}: "
                        "%{y:.0f} % (%{customdata[0]} h of %{customdata[1]} h)<extra></extra>"
                    ),
                )
            )
    height = 360
    layout = {
        "title": plot_title("Load per role, fixed starts (dotted) and timing (solid)"),
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 96, "b": 40},
        "legend": top_legend(height),
        "hovermode": "closest",
        "shapes": [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": 100,
                "y1": 100,
                "line": {"color": LATE, "dash": "dash", "width": 1},
            }
        ],
        "xaxis": {"type": "date", "tickformat": "%b %Y", "dtick": "M3"},
        "yaxis": {
            "title": plot_title("Load (% of available hours)"),
            "rangemode": "tozero",
            "ticksuffix": " %",
        },
    }
    if not roles:
        annotate_no_data(layout, "Timing moves no role's load")
    return render({"data": data, "layout": layout}, element_id="chart-timing-capacity")
