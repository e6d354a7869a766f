"""What every Slate chart shares: `render` (an HTML fragment for a template, with the layout
defaults and the one click-to-navigate handler), `trace`, the colours, and small label helpers.

A figure is a plain dict, `{"data": [trace, …], "layout": {…}}`, exactly what Plotly.js reads:
no plotly `graph_objects` (building and copying them was most of a dashboard's Python time,
docs/decisions.md). Traces are made with `trace("bar", …)`; tests/charts checks every
figure against plotly's schema, the check `graph_objects` made on every request.
plotly.min.js itself is served from static/plotly/ (Plotly.js's cartesian partial bundle), never
a CDN; static/js/slate.js runs it after the page's first paint.

Titles are Plotly title objects (`plot_title("…")`, `{"text": …}`) on the chart and on every axis:
Plotly.js 3 (the bundled plotly.min.js) draws nothing for a title given as a plain string, so
`render` turns any string title it still finds into an object.

Time runs along month axes (`month_axis`): a period's point sits on the first day of its month
(`on_month`), under that month's tick, so the October review is drawn at "Oct 2026" and not at
31 October, a day before the "Nov 2026" tick.

Clicking a chart mark opens the page behind it, always the same way: the trace carries the
target URL in `customdata` (the URL itself, or a list whose first item is the URL) and
`render(..., navigate=True)` marks the chart for the one click handler, `navigateOnClick` in
static/js/slate.js, which also draws every chart (pages carry no inline script).

The chart modules import no domain app: callers hand them plain rows (dataclasses, or any
object with the attributes a builder reads)."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from decimal import Decimal

from core.months import month_count, month_start

RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "": "#b0bec5"}
BAND_COLOURS = {"low": "#c8e6c9", "medium": "#fff59d", "high": "#ffcc80", "critical": "#ef9a9a"}
HEALTH_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "": "No data"}
# Budget, actual cost and forecast: blue-greys and the page accent, apart from the RAG colours.
MONEY_COLOURS = {"budget": "#90a4ae", "actual": "#2d5a87", "forecast": "#7e57c2"}
INK = "#37474f"
LATE = RAG_COLOURS["red"]
ON_TIME = "#90a4ae"
TODAY = "#2d5a87"
# The title's row at the top of the chart, and the legend's row under it (`top_legend`): a
# chart with a legend on top keeps a top margin of at least LEGEND_TOP_PX + 26.
TITLE_PAD_PX = 12
LEGEND_TOP_PX = 34
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
    # Pinned to the top whatever the margin, so a legend or a top axis fits under it.
    "title": {
        "font": {"size": 14},
        "x": 0.01,
        "xanchor": "left",
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": {"t": TITLE_PAD_PX},
    },
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "legend": {"orientation": "h", "y": -0.2},
    "hoverlabel": {"bgcolor": "white", "bordercolor": "#cfd8dc", "font": {"color": "#1d2630"}},
}
# Plotly's default template is 7 KB of settings for chart types Slate does not draw, sent
# with every chart; this keeps what cartesian charts use.
TEMPLATE = {
    "layout": {
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
}


def top_legend(height: int) -> dict:
    """A one-row legend under the title, above the plot, for a chart `height` pixels high
    (the container's fraction that puts it LEGEND_TOP_PX from the top)."""
    return {
        "orientation": "h",
        "yref": "container",
        "y": 1 - LEGEND_TOP_PX / height,
        "yanchor": "top",
        "x": 0,
        "xanchor": "left",
        "font": {"size": 11},
    }


# Month axes show at most this many ticks: one a month, else every 2, 3, 6 or 12 months.
MONTH_TICKS = 12
MONTH_STEPS = (1, 2, 3, 6, 12)


def plot_title(text: str, **style) -> dict:
    """A title object, for the chart (`layout.title`) or an axis (`xaxis.title`)."""
    return {"text": text, **style}


def on_month(days) -> list[str]:
    """Each date as the first day of its month (ISO), where a month axis draws the period."""
    return [month_start(day).isoformat() for day in days]


def month_axis(text: str, *, first: date, last: date) -> dict:
    """A date axis titled `text`, ticked on the first day of a month from `first`'s month,
    labelled "Oct 2026": every month when up to MONTH_TICKS fit, else every few months."""
    months = max(month_count(first, last), 1)
    step = next((s for s in MONTH_STEPS if months / s <= MONTH_TICKS), MONTH_STEPS[-1])
    return {
        "title": plot_title(text),
        "type": "date",
        "tick0": month_start(first).isoformat(),
        "dtick": f"M{step}",
        "tickformat": "%b %Y",
        "hoverformat": "%B %Y",
    }


def _title_objects(layout: dict) -> dict:
    """The layout with every plain-string title (the chart's, each axis's) made an object."""
    fixed = dict(layout)
    if isinstance(fixed.get("title"), str):
        fixed["title"] = plot_title(fixed["title"])
    for key, value in layout.items():
        is_axis = key.startswith(("xaxis", "yaxis")) and isinstance(value, dict)
        if is_axis and isinstance(value.get("title"), str):
            fixed[key] = {**value, "title": plot_title(value["title"])}
    return fixed


def trace(kind: str, **properties) -> dict:
    """A Plotly trace of type `kind` ("scatter", "bar", "heatmap": the types the bundled
    plotly.min.js draws) with the properties given; one given as None is left out (unset, as
    plotly's `add_bar(customdata=None)` left it)."""
    return {"type": kind, **{key: value for key, value in properties.items() if value is not None}}


def annotate_no_data(layout: dict, message: str) -> None:
    """`message` in the middle of an empty chart, its axes hidden: call it on the finished
    layout."""
    layout.setdefault("annotations", []).append(
        {
            "text": message,
            "x": 0.5,
            "y": 0.5,
            "xref": "paper",
            "yref": "paper",
            "showarrow": False,
            "font": {"size": 13, "color": "#78909c"},
        }
    )
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**layout.get(axis, {}), "visible": False}


def _json_value(value):
    """What JSON cannot hold as it is, as plotly's encoder wrote it: an amount as a number, a
    date as ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"a chart cannot hold {type(value).__name__}: {value!r}")


def figure_json(spec: dict) -> str:
    """`spec` as compact JSON for a <script type="application/json"> block. NaN and
    infinities (a numeric column may hold them) become null, as JSON has no such numbers.
    Angle brackets are escaped so that no string can close the block (a script's text has no
    entities, so "&" stays as it is and URLs in customdata read as written); `str.replace`,
    as `str.translate` took 30 ms on a dashboard's 200 KB."""
    text = json.dumps(spec, separators=(",", ":"), default=_json_value)
    if "NaN" in text or "Infinity" in text:  # rare: only then parse it back to be sure
        constants_as_null = json.loads(text, parse_constant=lambda _: None)
        text = json.dumps(constants_as_null, separators=(",", ":"))
    return text.replace("<", "\\u003C").replace(">", "\\u003E")


def render(figure: dict, *, element_id: str, navigate: bool = False) -> str:
    """The figure (`{"data": [...], "layout": {...}}`) as an HTML fragment: the chart's div
    and the figure as a JSON block, which static/js/slate.js hands to Plotly.newPlot (no
    inline script: the Content-Security-Policy forbids it). LAYOUT holds the defaults; what
    the builder set on the figure wins, one level deep. `navigate` marks the div so that a
    click on a mark opens the URL in its customdata."""
    own = _title_objects(figure.get("layout", {}))
    layout = {**LAYOUT, **own, "template": TEMPLATE}
    for key, default in LAYOUT.items():  # one level deep, as plotly's update_layout merged
        if isinstance(default, dict) and isinstance(own.get(key), dict):
            layout[key] = {**default, **own[key]}
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for axis in axes:
        layout[axis] = {"gridcolor": "#eceff1", **layout.get(axis, {})}
    spec = {"data": figure.get("data", []), "layout": layout, "config": CONFIG}
    figure_text = figure_json(spec)
    linked = " data-navigate" if navigate else ""
    # The div is as high as the figure, in pixels, so that the data table toggle under it
    # cannot feed its own height back into Plotly's responsive resize (a percentage height
    # resolved against a stretched grid cell grew or collapsed the chart on every resize).
    height = int(layout.get("height") or LAYOUT["height"])
    return (
        '<div class="chart-frame">'
        f'<div id="{element_id}" class="plotly-graph-div"{linked}'
        f' style="height:{height}px; width:100%;"></div>'
        f'<script type="application/json" data-chart="{element_id}">{figure_text}</script>'
        f"{data_toggle(element_id, layout.get('title'))}"
        "</div>"
    )


TAGS = re.compile(r"<[^>]*>")


def data_toggle(element_id: str, title) -> str:
    """The chart's "Data table" toggle: a <details> that static/js/slate.js fills, when first
    opened, with a table of the figure's marks read from its JSON block (each mark's link
    included), the chart's text alternative for screen readers and keyboards."""
    text = title.get("text", "") if isinstance(title, dict) else str(title or "")
    name = html.escape(" ".join(html.unescape(TAGS.sub(" ", text)).split()) or "the chart")
    return (
        f'<details class="chart-data" data-chart-data="{element_id}">'
        f'<summary>Data table<span class="visually-hidden"> of {name}</span></summary>'
        "</details>"
    )


def short_label(text: str, limit: int = 28) -> str:
    """An axis label: escaped (Plotly reads tags in text), shortened to `limit` characters."""
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return html.escape(text)


def day_label(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def chart_height(rows: int, per_row: int, *, chrome: int = 110, minimum: int = 300) -> int:
    """Pixels for `rows` rows of `per_row` each, plus `chrome` for the title, legend and axes."""
    return max(minimum, chrome + per_row * rows)
