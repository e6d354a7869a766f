"""The efficient frontier: the optimal slate's total value at budget levels from half the
envelope to one and a half times it, one model re-solved at each level."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portfolio.selection.model import Selection, SelectionInput, SelectionModel

FRONTIER_LEVELS = tuple(level / 100 for level in range(50, 151, 10))
FRONTIER_POINT_TIME_LIMIT_SECONDS = 10


@dataclass(frozen=True)
class FrontierPoint:
    level: float  # share of the envelope
    budget: float
    selection: Selection

    @property
    def value(self) -> float | None:
        return self.selection.value if self.selection.ok else None


def efficient_frontier(
    data: SelectionInput, levels: Iterable[float] = FRONTIER_LEVELS, **options
) -> list[FrontierPoint]:
    """Total value at each budget level (a share of `data.budget`), cheapest first. One model;
    each solve changes the budget right-hand sides and starts from the previous slate, which
    still fits the larger budget."""
    model = SelectionModel(data)
    points, warm = [], False
    for level in sorted(levels):
        selection = model.solve(budget=data.budget * level, warm_start=warm, **options)
        warm = selection.ok
        points.append(FrontierPoint(level=level, budget=data.budget * level, selection=selection))
    return points
