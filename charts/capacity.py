"""The capacity heat map: rows (roles, or the people of one role) × months, coloured by
utilisation = confirmed demand ÷ capacity on a diverging scale: blues below 80 %, a neutral
band from 80 to 100 %, reds above 100 % (a conflict). Built with `charts.base.render`, so
a click opens the URL in the cell's customdata like every other Slate chart."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from charts.base import plot_title, render, trace

# Utilisation at or above this many percent gets the darkest red; the colour bar ends here.
CEILING = 150
COOL_UNTIL, FULL_AT = 80, 100
# A hair above 100 %, so exactly 100 % stays neutral and anything more turns red.
JUST_OVER = FULL_AT / CEILING + 1e-6
COLOURS = [
    [0.0, "#6f9cc6"],
    [COOL_UNTIL / CEILING, "#d9e7f3"],
    [COOL_UNTIL / CEILING + 1e-6, "#eeeee6"],
    [FULL_AT / CEILING, "#eeeee6"],
    [JUST_OVER, "#f4b8a8"],
    [1.0, "#a8261b"],
]
EMPTY_CELL = "#f5f6f8"
ROW_PX = 30


class CapacityNumbers(Protocol):
    """A cell's hours and what they mean (resources.selectors.CapacityCell: the formulas live
    in resources.capacity)."""

    capacity: Decimal
    confirmed: Decimal
    requested: Decimal

    @property
    def utilisation(self) -> Decimal | None: ...

    @property
    def is_conflict(self) -> bool: ...


@dataclass(frozen=True)
class HeatCell:
    month: date
    numbers: CapacityNumbers
    url: str = ""  # where a click on the cell goes ("" for nowhere)

    @property
    def is_conflict(self) -> bool:
        return self.numbers.is_conflict

    @property
    def percent_label(self) -> str:
        """Whole percent; "over 100" is never shown as 100 %, and demand against no capacity
        reads "no capacity"."""
        numbers = self.numbers
        if numbers.utilisation is None:
            return "no capacity" if numbers.confirmed else ""
        whole = int(numbers.utilisation.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        if numbers.is_conflict and whole <= FULL_AT:
            return f">{FULL_AT}%"
        return f"{whole}%"

    @property
    def band(self) -> str:
        """For the table: "idle", "cool", "full", "over" or "" (nothing to show)."""
        numbers = self.numbers
        if numbers.is_conflict:
            return "over"
        if numbers.utilisation is None:
            return ""
        if numbers.utilisation > COOL_UNTIL:
            return "full"
        return "cool" if numbers.confirmed else "idle"


@dataclass(frozen=True)
class HeatRow:
    key: int
    label: str
    url: str  # the row label's link ("" for none)
    cells: list[HeatCell]

    @property
    def conflict_count(self) -> int:
        return sum(cell.is_conflict for cell in self.cells)


def _hours(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,f}".removesuffix(".0")


def _z(cell: HeatCell) -> float | None:
    numbers = cell.numbers
    if numbers.utilisation is None:
        return CEILING if numbers.confirmed else None
    return min(float(numbers.utilisation), CEILING)


def _cell_data(cell: HeatCell) -> list[str]:
    """What the hover reads besides the row and month: [URL, capacity, confirmed, requested,
    a closing note]; short strings, so a large grid stays a small page."""
    numbers = cell.numbers
    if cell.is_conflict:
        over = _hours(numbers.confirmed - numbers.capacity)
        note = f"<br><b>Conflict: {over} h over</b> · click for the options"
    else:
        note = "<br>Click to see the people" if cell.url else ""
    return [
        cell.url,
        _hours(numbers.capacity),
        _hours(numbers.confirmed),
        _hours(numbers.requested),
        note,
    ]


def _unique_labels(rows: Sequence[HeatRow]) -> list[str]:
    """Row labels as the (category) y values: escaped, and kept apart when two people share
    a name (an invisible suffix)."""
    seen: dict[str, int] = {}
    labels = []
    for row in rows:
        label = html.escape(row.label)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label + "\u200b" * (seen[label] - 1))
    return labels


def capacity_heat_map(
    rows: Sequence[HeatRow], months: Sequence[date], *, title: str, element_id: str
) -> str:
    """The heat map as an HTML fragment. Row labels are links (`HeatRow.url`); a cell opens
    its `HeatCell.url`."""
    if not rows:
        return (
            f'<div class="empty" id="{html.escape(element_id)}">'
            "<strong>Nobody to show.</strong></div>"
        )
    x = [f"{month:%b %Y}" for month in months]
    y = _unique_labels(rows)
    heat_map = trace(
        "heatmap",
        x=x,
        y=y,
        z=[[_z(cell) for cell in row.cells] for row in rows],
        text=[[cell.percent_label for cell in row.cells] for row in rows],
        customdata=[[_cell_data(cell) for cell in row.cells] for row in rows],
        texttemplate="%{text}",
        textfont={"size": 11},
        hovertemplate=(
            "<b>%{y}</b> · %{x}<br>Capacity: %{customdata[1]} h"
            "<br>Confirmed: %{customdata[2]} h (%{text})"
            "<br>Requested: %{customdata[3]} h%{customdata[4]}<extra></extra>"
        ),
        colorscale=COLOURS,
        zmin=0,
        zmax=CEILING,
        xgap=2,
        ygap=2,
        hoverongaps=False,
        colorbar={
            "tickvals": [0, 50, COOL_UNTIL, FULL_AT, CEILING],
            "ticktext": ["0%", "50%", "80%", "100%", f"≥{CEILING}%"],
            "thickness": 12,
            "outlinewidth": 0,
        },
    )
    layout = {
        "title": plot_title(html.escape(title)),
        "height": max(260, 110 + ROW_PX * len(rows)),
        "margin": {"l": 10, "r": 10, "t": 80, "b": 20},
        "plot_bgcolor": EMPTY_CELL,
        "xaxis": {
            "type": "category",
            "side": "top",
            "showgrid": False,
            "ticks": "",
            "fixedrange": True,
        },
        "yaxis": {
            "type": "category",
            "tickvals": y,
            "ticktext": [_row_label(row) for row in rows],
            "autorange": "reversed",
            "showgrid": False,
            "ticks": "",
            "ticklabelstandoff": 6,
            "fixedrange": True,
            "automargin": True,
        },
    }
    figure = {"data": [heat_map], "layout": layout}
    return render(figure, element_id=element_id, navigate=True)


def _row_label(row: HeatRow) -> str:
    label = html.escape(row.label if len(row.label) <= 34 else row.label[:33].rstrip() + "…")
    if not row.url:
        return label
    return f'<a href="{html.escape(row.url)}" target="_self">{label}</a>'
