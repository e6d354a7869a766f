"""Timing and synergies: the selection model that also chooses when each project starts, and
counts what projects are worth together. Pure, like `model`: frozen dataclasses in
(`TimingInput`), a `TimedSelection` out, no database (issue 17).

docs/formulas.md, "Optimised selection with timing", writes the model out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portfolio.selection.model import Candidate, SelectionInput

# --- Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedCandidate:
    """A candidate with a window of start months. Its `candidate` holds its value, links and
    costs and demand as at its planned start (what today's fixed-start model uses); the
    profiles say what it asks for relative to whichever start is chosen."""

    candidate: Candidate  # today's Candidate, costs/demand as at its planned start
    planned_start: str  # "YYYY-MM"
    starts: tuple[str, ...]  # allowed start months, ascending; running/committed: (planned_start,)
    duration: int  # months
    demand_profile: Mapping[tuple[str, int], float]  # (role, month offset from start) -> hours
    cost_profile: Mapping[int, float]  # month offset -> spend
    target_month: str = ""  # market window: finishing by this month keeps full value
    decay: float = 0.0  # fraction of value lost per month finished after target_month
    deadline: str = ""  # finishing after this month: worth nothing


@dataclass(frozen=True)
class Synergy:
    """Projects worth more together: `value_bonus` when every member is chosen, and/or
    `cost_saving` off their spend (a shared deliverable)."""

    id: int
    name: str
    members: frozenset[int]
    value_bonus: float = 0.0
    cost_saving: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Sequence:
    """Finish-to-start: `after` starts no earlier than `before`'s finish + lag months."""

    before: int
    after: int
    lag: int = 0
    reason: str = ""


@dataclass(frozen=True)
class TimingInput:
    base: SelectionInput  # budget years/limits, capacity, reserved, scenario forcing as today
    timed: tuple[TimedCandidate, ...]
    synergies: tuple[Synergy, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    # The month the planning (fiscal) year starts in: which budget year a month's spend is
    # in (labels as loader.fiscal_year_label: "2027", or "FY 2027/28").
    fiscal_year_start_month: int = 1
    # A cap on the spend over the whole horizon, on top of the per-year budgets (None: none).
    total_budget: float | None = None
