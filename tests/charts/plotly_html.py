"""Reading a chart's HTML fragment back: the figure (traces, layout, config) that
static/js/slate.js hands to Plotly.newPlot, and every URL a click can open."""

import json
import re

import plotly.graph_objects as go

# What makes static/js/slate.js attach the one click handler to a chart.
CLICK_HANDLER = " data-navigate"
FIGURE = re.compile(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', re.S)


def figure(html: str) -> dict:
    """The figure of the fragment's chart: {"data": [...], "layout": {...}, "config": {...}},
    checked against plotly's schema (charts build plain dicts, so a misspelt property or a
    value of the wrong kind is caught here, by every chart test, and not by the page)."""
    spec = json.loads(FIGURE.search(html).group(2))
    go.Figure(data=spec["data"], layout=spec["layout"])  # raises ValueError on either
    return spec


def traces(html: str) -> list[dict]:
    """The data array handed to Plotly.newPlot."""
    return figure(html)["data"]


def layout(html: str) -> dict:
    return figure(html)["layout"]


def trace(html: str, name: str) -> dict:
    return next(t for t in traces(html) if t.get("name") == name and "customdata" in t)


def links(html: str) -> set[str]:
    """Every URL a click can open: the first item of each point's customdata."""
    found = set()
    for item in traces(html):
        for point in _points(item.get("customdata", [])):
            url = point[0] if isinstance(point, list) else point
            if url:
                found.add(url)
    return found


def _points(customdata):
    for point in customdata:
        # A heat map's customdata is a grid of points.
        if isinstance(point, list) and point and isinstance(point[0], list):
            yield from point
        else:
            yield point


def assert_chart(html: str, element_id: str):
    """A div with the id, drawn by Plotly into it, without the Plotly logo."""
    assert f'<div id="{element_id}"' in html
    match = FIGURE.search(html)
    assert match and match.group(1) == element_id
    assert figure(html)["config"]["displaylogo"] is False
