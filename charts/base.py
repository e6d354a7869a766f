"""What every Slate chart shares: `render` (an HTML fragment for a template, with the layout
defaults and the one click-to-navigate handler), the colours, and small label helpers.
plotly.min.js itself is served from static/ (see settings.STATICFILES_DIRS), never a CDN.

Clicking a chart mark opens the page behind it, always the same way: the trace carries the
target URL in `customdata` (the URL itself, or a list whose first item is the URL) and
`render(..., navigate=True)` adds the one click handler, `_navigate_on_click`.

The chart modules import no domain app: callers hand them plain rows (dataclasses, or any
object with the attributes a builder reads)."""

from __future__ import annotations

import html
import json
from datetime import date

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


def annotate_no_data(figure: go.Figure, message: str) -> None:
    """`message` in the middle of an empty chart, its axes hidden."""
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


def short_label(text: str, limit: int = 28) -> str:
    """An axis label: escaped (Plotly reads tags in text), shortened to `limit` characters."""
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return html.escape(text)


def day_label(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def chart_height(rows: int, per_row: int, *, chrome: int = 110, minimum: int = 300) -> int:
    """Pixels for `rows` rows of `per_row` each, plus `chrome` for the title, legend and axes."""
    return max(minimum, chrome + per_row * rows)
