"""charts.risks: the heat map keeps its cells and links through customdata."""

from charts.risks import risk_heat_map
from risks.selectors import heat_map_bands
from tests.charts.plotly_html import CLICK_HANDLER, assert_chart, links, traces


def test_risk_heat_map_keeps_its_cells_and_links_through_customdata():
    html = risk_heat_map(
        {(4, 5): 2, (1, 2): 1},
        bands=heat_map_bands(),
        link_template="?p={probability}&i={impact}",
    )
    assert_chart(html, "chart-risk-heatmap")
    assert CLICK_HANDLER in html
    heat = traces(html)[0]
    assert heat["customdata"][3][4] == ["?p=4&i=5", 2]
    assert heat["customdata"][0][0] == ["?p=1&i=1", 0]
    assert heat["text"][3][4] == "2" and heat["text"][0][0] == ""
    assert len(links(html)) == 25


def test_risk_heat_map_without_links_has_no_click_handler():
    html = risk_heat_map({}, bands=heat_map_bands(), element_id="chart-other")
    assert_chart(html, "chart-other")
    assert CLICK_HANDLER not in html
