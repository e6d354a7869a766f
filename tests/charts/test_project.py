"""charts.project: the project page's charts put each period on its own month and label their
axes."""

from datetime import date
from decimal import Decimal

from charts.project import cost_chart, percent_complete_chart
from tests.charts.plotly_html import layout, traces


def _trace(html: str, name: str) -> dict:
    return next(t for t in traces(html) if t.get("name") == name)


def test_cost_chart_plots_each_month_end_on_its_own_month():
    html = cost_chart(
        [date(2026, 9, 30), date(2026, 10, 31)],
        [Decimal("100"), None],
        [Decimal("120"), Decimal("240")],
        Decimal("1000"),
    )
    spec = layout(html)
    assert _trace(html, "Actual cost")["x"] == ["2026-09-01", "2026-10-01"]
    assert _trace(html, "Planned value")["x"] == ["2026-09-01", "2026-10-01"]
    assert spec["xaxis"]["dtick"] == "M1" and spec["xaxis"]["tick0"] == "2026-09-01"
    assert spec["xaxis"]["title"]["text"] and spec["yaxis"]["title"]["text"]
    assert spec["title"]["text"] == "Cumulative cost against budget"


def test_percent_complete_chart_plots_each_report_on_its_period_month():
    html = percent_complete_chart(
        [date(2026, 10, 1), date(2026, 11, 1)],
        [Decimal("40"), Decimal("50")],
        [Decimal("35"), None],
    )
    spec = layout(html)
    assert _trace(html, "Reported %")["x"] == ["2026-10-01", "2026-11-01"]
    assert spec["xaxis"]["title"]["text"] and spec["yaxis"]["title"]["text"]
    assert spec["title"]["text"] == "Planned vs reported % complete"
