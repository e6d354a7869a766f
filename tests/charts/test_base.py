"""charts.base: the one click handler, and layout defaults that give way to a builder's own."""

from charts.base import _navigate_on_click
from charts.risks import risk_heat_map
from risks.selectors import heat_map_bands
from tests.charts.plotly_html import layout


def test_one_click_handler_reads_the_url_from_customdata():
    script = _navigate_on_click("chart-x")
    assert 'document.getElementById("chart-x")' in script
    assert "customdata" in script and "window.location.assign(url)" in script


def test_layout_defaults_give_way_to_what_a_builder_sets():
    html = risk_heat_map({}, bands=heat_map_bands())
    assert layout(html)["height"] == 320
    assert layout(html)["plot_bgcolor"] == "white"
