"""charts.selection's timing charts: the roadmap (moved projects highlighted with the months
moved, their requested months behind them, a tick at every requested start, each bar opening
its project) and the capacity per role before/after; both valid against plotly's schema."""

from dataclasses import dataclass
from datetime import date

from charts.selection import MOVED, timing_capacity_chart, timing_roadmap_chart
from tests.charts.plotly_html import CLICK_HANDLER, assert_chart, layout, links, traces


@dataclass(frozen=True)
class Row:
    id: int
    code: str
    name: str
    planned_date: date
    start_date: date
    finish_date: date
    committed: bool = False
    value: float = 100.0
    planned_value: float = 100.0

    @property
    def moved_months(self) -> int:
        return (self.start_date.year - self.planned_date.year) * 12 + (
            self.start_date.month - self.planned_date.month
        )

    @property
    def moved(self) -> bool:
        return self.moved_months != 0


@dataclass(frozen=True)
class Role:
    role: str
    months: tuple
    available: tuple
    before: tuple
    after: tuple


ROWS = [
    Row(1, "RUN", "Running <b>", date(2026, 1, 1), date(2026, 1, 1), date(2026, 12, 1), True),
    Row(2, "MOV", "Moved later", date(2027, 2, 1), date(2027, 6, 1), date(2027, 11, 1)),
    Row(3, "KEEP", "As requested", date(2027, 3, 1), date(2027, 3, 1), date(2027, 5, 1)),
]


def test_roadmap_highlights_moved_projects_with_the_months_moved():
    html = timing_roadmap_chart(
        ROWS, urls={r.id: f"/projects/{r.id}/" for r in ROWS}, title="Timing adds EUR 1,000"
    )
    assert_chart(html, "chart-timing-roadmap")
    assert CLICK_HANDLER in html
    assert links(html) == {"/projects/1/", "/projects/2/", "/projects/3/"}
    by_name = {t["name"]: t for t in traces(html)}
    moved = by_name["Moved by the optimiser"]
    assert moved["marker"]["color"] == MOVED and moved["text"] == ["+4 mo"]
    assert moved["base"] == ["2027-06-01"]
    # Its requested months: a pale bar from the requested start, as long as the project.
    ghost = by_name["Requested months (moved)"]
    assert ghost["base"] == ["2027-02-01"]
    assert ghost["x"] == [(date(2027, 8, 1) - date(2027, 2, 1)).days * 86_400_000]  # 6 months
    assert moved["x"] == [(date(2027, 12, 1) - date(2027, 6, 1)).days * 86_400_000]
    assert by_name["Starts as requested"]["y"] == [2]
    assert by_name["Committed (start fixed)"]["y"] == [0]
    assert by_name["Requested start"]["x"] == ["2026-01-01", "2027-02-01", "2027-03-01"]
    chart = layout(html)
    assert chart["title"]["text"] == "Timing adds EUR 1,000"
    assert "Running &lt;b&gt;" in chart["yaxis"]["ticktext"][0]  # names are escaped
    assert chart["yaxis"]["range"] == [2.5, -0.5]  # the first row on top
    assert 'data-chart-data="chart-timing-roadmap"' in html  # the data-table toggle


def test_roadmap_without_rows_says_so():
    html = timing_roadmap_chart([], urls={}, title="Roadmap")
    assert "The timing plan funds no project" in str(layout(html)["annotations"])


def test_capacity_chart_draws_before_dotted_and_after_solid_as_shares():
    months = ("2027-01", "2027-02")
    html = timing_capacity_chart(
        [Role("Engineer", months, (200.0, 0.0), (180.0, 0.0), (100.0, 0.0))]
    )
    assert_chart(html, "chart-timing-capacity")
    before, after = traces(html)
    assert (before["line"]["dash"], after["line"]["dash"]) == ("dot", "solid")
    assert before["y"] == [90.0, None] and after["y"] == [50.0, None]  # no capacity: no share
    assert before["x"] == ["2027-01-01", "2027-02-01"]
    assert layout(html)["shapes"][0]["y0"] == 100


def test_capacity_chart_keeps_the_roles_given_up_to_its_limit():
    months = ("2027-01",)
    roles = [Role(f"R{n}", months, (10.0,), (5.0,), (1.0,)) for n in range(6)]
    assert len(traces(timing_capacity_chart(roles))) == 8
    empty = timing_capacity_chart([])
    assert "Timing moves no role's load" in str(layout(empty)["annotations"])
