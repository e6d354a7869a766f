"""charts.base: the one click handler, layout defaults that give way to a builder's own, title
objects on every chart, and month axes."""

import json
import re
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import plotly.io as pio
import pytest
from django.conf import settings

import charts
from charts.base import LAYOUT, annotate_no_data, month_axis, on_month, render, trace
from charts.capacity import HeatCell, HeatRow
from charts.risks import risk_heat_map
from resources.selectors import CapacityCell
from risks.selectors import heat_map_bands
from tests.charts.plotly_html import figure as figure_of
from tests.charts.plotly_html import layout, traces


def test_one_click_handler_reads_the_url_from_customdata():
    html = render({"data": [], "layout": {}}, element_id="chart-x", navigate=True)
    assert '<div id="chart-x" class="plotly-graph-div" data-navigate' in html
    assert 'data-chart="chart-x"' in html
    script = (settings.BASE_DIR / "static" / "js" / "slate.js").read_text()
    assert 'chart.hasAttribute("data-navigate")' in script
    assert "customdata" in script and "window.location.assign(url)" in script


def test_the_fragment_has_no_inline_script_and_no_way_out_of_its_json():
    figure = {"data": [trace("bar", x=[1], y=["</script><script>alert(1)</script> & co"])]}
    html = render(figure, element_id="chart-y")
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/json" data-chart="chart-y">'
    ]
    assert html.count("</script>") == 1
    assert traces(html)[0]["y"] == ["</script><script>alert(1)</script> & co"]


def test_amounts_dates_and_missing_numbers_are_written_as_plotly_wrote_them():
    data = [
        trace(
            "scatter",
            x=[date(2026, 10, 1), datetime(2026, 10, 1, 12, 30)],
            y=[Decimal("1234.50"), Decimal("0.1"), 7, float("nan"), float("inf"), Decimal("NaN")],
            customdata=["/projects/1/?as_of=2026-10-31&x=<b>"],
        )
    ]
    html = render({"data": data}, element_id="chart-v")
    written = traces(html)[0]
    assert written["x"] == ["2026-10-01", "2026-10-01T12:30:00"]
    assert written["y"] == [1234.5, 0.1, 7, None, None, None]
    assert written == json.loads(pio.to_json({"data": data}, validate=False))["data"][0]
    assert "NaN" not in html and "Infinity" not in html
    # URLs read as written; only angle brackets are escaped
    assert '"/projects/1/?as_of=2026-10-31&x=\\u003Cb\\u003E"' in html


def test_a_value_a_chart_cannot_hold_is_an_error_naming_it():
    with pytest.raises(TypeError, match="cannot hold object"):
        render({"data": [trace("bar", x=[object()])]}, element_id="chart-bad")


def test_a_property_given_as_none_is_left_unset_but_missing_points_stay():
    line = trace("scatter", x=[1, 2], y=[None, 3], customdata=None, hovertemplate=None)
    assert line == {"type": "scatter", "x": [1, 2], "y": [None, 3]}


def test_an_empty_chart_says_so_and_hides_its_axes_keeping_their_settings():
    spec = {"xaxis": {"title": {"text": "Projects"}, "dtick": 1}}
    annotate_no_data(spec, "No projects to show")
    html = render({"data": [], "layout": spec}, element_id="chart-empty")
    assert layout(html)["annotations"][0]["text"] == "No projects to show"
    assert layout(html)["xaxis"]["visible"] is False and layout(html)["xaxis"]["dtick"] == 1
    assert layout(html)["yaxis"]["visible"] is False
    figure_of(html)  # plotly's schema holds


def test_layout_defaults_give_way_to_what_a_builder_sets():
    html = risk_heat_map({}, bands=heat_map_bands())
    assert layout(html)["height"] == 320
    assert layout(html)["plot_bgcolor"] == "white"


# --- Titles: Plotly.js 3 draws only title objects ({"text": ...}), never plain strings ----------


def _frontier_point(level: float, value: float):
    return SimpleNamespace(
        level=level,
        budget=1_000_000 * level,
        value=value,
        selection=SimpleNamespace(chosen=[1, 2]),
    )


def _heat_row() -> HeatRow:
    numbers = CapacityCell(Decimal("160"), Decimal("192"))
    return HeatRow(1, "Integration engineer", "/roles/1/", [HeatCell(date(2026, 10, 1), numbers)])


def _trends():
    return SimpleNamespace(
        reviews=[1, 2],
        period_starts=[date(2026, 9, 1), date(2026, 10, 1)],
        period_ends=[date(2026, 9, 30), date(2026, 10, 31)],
        indices={"CPI": ["0.95", "0.97"], "SPI": ["1.01", None]},
        money={"Actual cost": ["100.00", "400.00"]},
    )


def _project_series():
    report = SimpleNamespace(
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        overall_rag="green", schedule_rag="amber", budget_rag="red",
        scope_rag="green", quality_rag="green", risk_rag="amber",
    )  # fmt: skip
    return SimpleNamespace(
        reports=[report],
        report_ends=[date(2026, 10, 31)],
        planned_percent_at_reports=[Decimal("40")],
        reported_percent=[Decimal("35")],
        month_ends=[date(2026, 9, 30), date(2026, 10, 31)],
        cumulative_actual_cost=[Decimal("100"), None],
        planned_value=[Decimal("120"), Decimal("240")],
        budget=Decimal("1000"),
    )


CHARTS = {
    "health by program": lambda: charts.health_by_program_chart(
        [charts.ProgramHealth("Core", 1, {"green": 2})], link_template="?{program}{health}"
    ),
    "budget by program": lambda: charts.budget_by_program_chart(
        [charts.ProgramBudget("Core", 1, Decimal("10"), Decimal("5"), Decimal("12"))],
        link_template="?{program}",
    ),
    "value and risk": lambda: charts.value_risk_bubble_chart([]),
    "roadmap": lambda: charts.roadmap_chart([], [], today=date(2026, 11, 29)),
    "risk heat map": lambda: charts.risk_heat_map({}, bands=heat_map_bands()),
    "dependencies": lambda: charts.dependency_chart(
        [
            SimpleNamespace(
                predecessor_id=1,
                predecessor_code="A",
                predecessor_url="",
                successor_id=2,
                successor_code="B",
                successor_url="",
                deliverable="API",
                needed_by=date(2026, 5, 1),
                expected_on=None,
                is_late=True,
            )
        ],
        layers={1: 0, 2: 1},
    ),  # fmt: skip
    "capacity": lambda: charts.capacity_heat_map(
        [_heat_row()], [date(2026, 10, 1)], title="Capacity by role", element_id="chart-cap"
    ),
    "frontier": lambda: charts.frontier_chart(
        [_frontier_point(0.5, 10.0), _frontier_point(1.0, 15.0)], url="/s/", currency="EUR"
    ),
    "trend indices": lambda: charts.review_trend_charts(_trends()).indices,
    "trend money": lambda: charts.review_trend_charts(_trends()).money,
    "percent complete": lambda: charts.project_charts(_project_series()).percent_complete,
    "cost": lambda: charts.project_charts(_project_series()).cost,
    "rag timeline": lambda: charts.project_charts(_project_series()).rag_timeline,
}


def _titles(spec: dict) -> dict[str, object]:
    """Every title of a figure's layout: the chart's and each axis's that has one."""
    found = {"layout": spec.get("title")}
    for key, value in spec.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict) and "title" in value:
            found[key] = value["title"]
    return found


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_title_is_a_title_object_with_text(name):
    titles = _titles(layout(CHARTS[name]()))
    for where, title in titles.items():
        assert isinstance(title, dict), f"{name}: {where} title {title!r} is not an object"
        assert str(title.get("text", "")).strip(), f"{name}: {where} title has no text"


def test_render_turns_a_string_title_into_a_title_object_keeping_the_defaults():
    figure = {
        "layout": {"title": "Plain", "xaxis": {"title": "Month"}, "yaxis": {"title": "Amount"}}
    }
    spec = layout(render(figure, element_id="chart-plain"))
    assert spec["title"]["text"] == "Plain"
    assert spec["title"]["x"] == LAYOUT["title"]["x"]  # the default placement kept
    assert spec["xaxis"]["title"] == {"text": "Month"}
    assert spec["yaxis"]["title"] == {"text": "Amount"}


def test_month_axis_puts_each_period_on_its_own_month():
    assert on_month([date(2026, 10, 31), date(2026, 11, 30)]) == ["2026-10-01", "2026-11-01"]
    axis = month_axis("Review period", first=date(2026, 6, 1), last=date(2026, 11, 1))
    assert axis["title"] == {"text": "Review period"}
    assert axis["type"] == "date" and axis["dtick"] == "M1" and axis["tickformat"] == "%b %Y"
    assert axis["tick0"] == "2026-06-01"
    long = month_axis("Month", first=date(2025, 1, 1), last=date(2027, 12, 1))
    assert long["dtick"] in ("M3", "M6")


# --- The data table toggle: every chart's text alternative ----------------------------------


def test_every_chart_has_a_data_table_toggle_named_after_its_title():
    figure = {
        "data": [trace("bar", x=[1], y=["a"])],
        "layout": {"title": {"text": "Budget <b>&amp;</b> cost"}},
    }
    html = render(figure, element_id="chart-z")
    assert (
        '<details class="chart-data" data-chart-data="chart-z"><summary>Data table'
        '<span class="visually-hidden"> of Budget &amp; cost</span></summary></details>'
    ) in html
    untitled = render({"data": [], "layout": {}}, element_id="chart-u")
    assert '<span class="visually-hidden"> of the chart</span>' in untitled


def test_the_data_table_is_built_by_the_one_script_from_the_json_block():
    script = (settings.BASE_DIR / "static" / "js" / "slate.js").read_text()
    assert "details[data-chart-data='" in script and "wireChartData" in script
    # Figures reach the page as text only, never as markup.
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
