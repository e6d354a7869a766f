"""Greedy rank-by-score selection: what funding projects in priority-score order would
choose, shown beside the optimal slate (`report`) to say what optimising adds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from portfolio.selection.model import (
    FEASIBLE,
    Candidate,
    Key,
    Selection,
    SelectionInput,
    build_selection,
    fits,
    forced_projects,
    usage_by_constraint,
)


def _requirement_closure(by_id: Mapping[int, Candidate], pid: int) -> set[int]:
    closure, pending = set(), [pid]
    while pending:
        current = pending.pop()
        if current in closure or current not in by_id:
            continue
        closure.add(current)
        pending.extend(by_id[current].requires)
    return closure


def greedy_order(data: SelectionInput) -> list[Candidate]:
    """Priority score, highest first; then value, then code."""
    return sorted(data.candidates, key=lambda c: (-c.score, -c.value, c.code))


def greedy(data: SelectionInput, budget: float | None = None) -> Selection:
    """What ranking by priority score would fund: the projects that must be in first, then
    down the ranking, each project together with what it requires, whenever that bundle fits
    every budget year and capacity cell and excludes nothing already chosen."""
    budget = data.budget if budget is None else budget
    if budget != data.budget:
        data = data.with_budget(budget)
    forced, infeasibility = forced_projects(data)
    if infeasibility is not None:
        return Selection.infeasible(budget, infeasibility)
    by_id = data.by_id()
    out = data.excluded_up_front()
    limits = data.limits(budget)
    chosen = set(forced)
    used = defaultdict(float, usage_by_constraint(data, chosen))
    for candidate in greedy_order(data):
        if candidate.id in chosen:
            continue
        bundle = _requirement_closure(by_id, candidate.id) - chosen
        if bundle & out.keys():
            continue
        group = chosen | bundle
        if any(by_id[p].excludes & group for p in bundle):
            continue
        extra: dict[Key, float] = defaultdict(float)
        for pid in bundle:
            for key, amount in by_id[pid].uses.items():
                extra[key] += amount
        if all(fits(used[key], amount, limits.get(key, 0.0)) for key, amount in extra.items()):
            chosen |= bundle
            for key, amount in extra.items():
                used[key] += amount
    return build_selection(data, FEASIBLE, chosen, budget)
