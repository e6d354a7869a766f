"""The efficient frontier: the optimal slate's total value at budget levels from half the
envelope to one and a half times it.

The levels are solved cheapest first in `FRONTIER_WORKERS` chains of neighbouring levels, one
chain per core, each on its own model (HiGHS releases the GIL while it solves, so the chains
run side by side in threads). Within a chain each solve changes the budget right-hand sides
of one model and starts from the slate of the level below it, which still fits the larger
budget (a warm start: the solver begins with that incumbent)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from portfolio.selection.model import Selection, SelectionInput, SelectionModel

FRONTIER_LEVELS = tuple(level / 100 for level in range(50, 151, 10))
FRONTIER_POINT_TIME_LIMIT_SECONDS = 10
# Two chains side by side, one solver thread each (solvers.HIGHS_THREADS_DEFAULT): this
# machine, and the deployment the docs size, have two cores. bench/selection.py measures it
# against one chain on two solver threads; the chains were faster (docs/performance.md).
FRONTIER_WORKERS = 2


@dataclass(frozen=True)
class FrontierPoint:
    level: float  # share of the envelope
    budget: float
    selection: Selection
    warm_started: bool = False  # solved from the slate of the level below

    @property
    def value(self) -> float | None:
        return self.selection.value if self.selection.ok else None


def chains(levels: Sequence[float], workers: int) -> list[list[float]]:
    """The sorted levels cut into at most `workers` runs of neighbours, as even as can be."""
    levels = sorted(levels)
    count = max(1, min(workers, len(levels)))
    size, extra = divmod(len(levels), count)
    cut, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        cut.append(levels[start:end])
        start = end
    return [chain for chain in cut if chain]


def _solve_chain(data: SelectionInput, chain: list[float], options) -> list[FrontierPoint]:
    model = SelectionModel(data)
    points, previous = [], None
    for level in chain:
        budget = data.budget * level
        start = previous.chosen if previous is not None and previous.ok else None
        selection = model.solve(budget=budget, start=start, **options)
        points.append(
            FrontierPoint(
                level=level, budget=budget, selection=selection, warm_started=start is not None
            )
        )
        previous = selection
    return points


def efficient_frontier(
    data: SelectionInput,
    levels: Iterable[float] = FRONTIER_LEVELS,
    *,
    workers: int = FRONTIER_WORKERS,
    **options,
) -> list[FrontierPoint]:
    """Total value at each budget level (a share of `data.budget`), cheapest first; `options`
    go to `SelectionModel.solve` (time_limit, solver, gap)."""
    runs = chains(list(levels), workers)
    if len(runs) <= 1:
        return [point for run in runs for point in _solve_chain(data, run, options)]
    with ThreadPoolExecutor(max_workers=len(runs), thread_name_prefix="frontier") as pool:
        done = list(pool.map(lambda run: _solve_chain(data, run, options), runs))
    return sorted((point for run in done for point in run), key=lambda point: point.level)
