"""Reading a chart's HTML fragment back: the traces and layout handed to Plotly.newPlot, and
every URL a click can open."""

import json
import re

CLICK_HANDLER = "chart.on('plotly_click'"


def traces(html: str) -> list[dict]:
    """The data array handed to Plotly.newPlot."""
    start = html.index("Plotly.newPlot(")
    data_start = html.index("[", start)
    data, _ = json.JSONDecoder().raw_decode(html[data_start:])
    return data


def layout(html: str) -> dict:
    start = html.index("Plotly.newPlot(")
    decoder = json.JSONDecoder()
    data_start = html.index("[", start)
    _, end = decoder.raw_decode(html[data_start:])
    rest = html[data_start + end :].lstrip(", \n")
    value, _ = decoder.raw_decode(rest)
    return value


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
    assert re.search(rf'Plotly\.newPlot\(\s*"{element_id}"', html)
    assert re.search(r'"displaylogo":\s*false', html)
