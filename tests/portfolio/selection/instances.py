"""Small selection inputs for the model tests: random instances to check against brute
force, and one-line candidates."""

from __future__ import annotations

import itertools
import random

from portfolio.selection.model import Candidate, PlanningYear, SelectionInput
from projects.querysets import Stage

YEARS = (PlanningYear("2027"), PlanningYear("2028"))


def random_instance(seed: int, *, committed: bool = False) -> SelectionInput:
    """A random instance of at most 15 projects: two budget years, two roles over four
    months, a few "requires" and "excludes" links and sometimes a mandatory project. With
    `committed`, one to four of them are in progress or approved, and sometimes the scenario
    stops one."""
    rng = random.Random(seed)
    n = rng.randint(6, 15)
    roles, months = ("Analyst", "Engineer"), ("2027-01", "2027-02", "2027-03", "2027-04")
    ids = list(range(1, n + 1))
    requires = {pid: set() for pid in ids}
    excludes = {pid: set() for pid in ids}
    for _ in range(rng.randint(0, 3)):
        a, b = rng.sample(ids, 2)
        requires[a].add(b)
    for _ in range(rng.randint(0, 3)):
        a, b = rng.sample(ids, 2)
        excludes[a].add(b)
        excludes[b].add(a)
    mandatory = set(rng.sample(ids, rng.choice([0, 0, 1, 2])))
    running = set(rng.sample(ids, rng.randint(1, 4))) if committed else set()
    stopped = set(rng.sample(sorted(running), rng.choice([0, 1]))) if running else set()
    candidates = []
    for pid in ids:
        demand = {}
        for role in rng.sample(roles, rng.randint(0, 2)):
            first = rng.randrange(len(months))
            for month in months[first : first + rng.randint(1, 3)]:
                demand[(role, month)] = float(rng.choice([20, 40, 60, 80]))
        candidates.append(
            Candidate(
                id=pid,
                code=f"P{pid:02d}",
                value=float(rng.randint(0, 100)),
                score=float(rng.randint(0, 100)),
                costs={"2027": float(rng.randint(0, 50)), "2028": float(rng.randint(0, 50))},
                demand=demand,
                mandatory=pid in mandatory,
                requires=frozenset(requires[pid]),
                excludes=frozenset(excludes[pid]),
                stage=rng.choice([Stage.IN_PROGRESS, Stage.APPROVED])
                if pid in running
                else Stage.CANDIDATE,
            )
        )
    return SelectionInput(
        candidates=tuple(candidates),
        budget=float(rng.randint(40, 200)),
        years=YEARS,
        capacity={(r, m): float(rng.choice([40, 80, 120, 160])) for r in roles for m in months},
        stopped=frozenset(stopped),
    )


def feasible(data: SelectionInput, chosen: set[int]) -> bool:
    """Written out from docs/formulas.md, independently of the model: committed projects (in
    progress or approved, not stopped) are in every slate and hold their budget and hours
    first, even beyond the limits; the other chosen projects share what is left."""
    by_id = data.by_id()
    running = {
        c.id
        for c in data.candidates
        if c.stage in (Stage.IN_PROGRESS, Stage.APPROVED) and c.id not in data.stopped
    }
    if not running <= chosen or chosen & data.stopped:
        return False
    if any(c.mandatory and c.id not in chosen for c in data.candidates):
        return False
    if chosen & data.forced_out or not data.forced_in - running <= chosen:
        return False
    for pid in chosen:
        partners = by_id[pid].excludes & chosen
        if pid in running:
            partners -= running
        if not by_id[pid].requires <= chosen or partners:
            return False
    limits = data.limits()
    reserved: dict = {}
    used: dict = {}
    for pid in chosen:
        for key, amount in by_id[pid].uses.items():
            bucket = reserved if pid in running else used
            bucket[key] = bucket.get(key, 0.0) + amount
    return all(
        amount <= max(0.0, limits.get(key, 0.0) - reserved.get(key, 0.0)) + 1e-9
        for key, amount in used.items()
        if amount > 0
    )


def brute_force(data: SelectionInput) -> float | None:
    """The best total value over every subset; None when no subset is feasible."""
    best = None
    ids = [c.id for c in data.candidates]
    value = {c.id: c.value for c in data.candidates}
    for size in range(len(ids) + 1):
        for subset in itertools.combinations(ids, size):
            chosen = set(subset)
            if feasible(data, chosen):
                total = sum(value[pid] for pid in chosen)
                best = total if best is None else max(best, total)
    return best


def project(pid, **kwargs):
    kwargs.setdefault("value", 10.0)
    return Candidate(id=pid, code=f"P{pid}", **kwargs)


def knapsack_instance(seed: int, *, n: int = 30) -> SelectionInput:
    """A random instance too large to brute-force, where the solvers branch and HiGHS may stop
    short of the exact optimum within its gap: `n` projects over two budget years and three
    roles by six months, capacity for about half of what they ask, values loosely tied to
    cost."""
    rng = random.Random(seed)
    roles = ("Analyst", "Engineer", "Tester")
    months = tuple(f"2027-{m:02d}" for m in range(1, 7))
    candidates = []
    for pid in range(1, n + 1):
        cost = {"2027": float(rng.randint(10, 400)), "2028": float(rng.randint(0, 400))}
        demand = {
            (role, month): float(rng.randint(4, 60))
            for role in rng.sample(roles, rng.randint(1, 2))
            for month in months[rng.randrange(3) : rng.randrange(3, 7)]
        }
        worth = sum(cost.values()) * rng.uniform(0.6, 2.5) + rng.randint(0, 300)
        candidates.append(
            Candidate(id=pid, code=f"K{pid:03d}", value=round(worth), costs=cost, demand=demand)
        )
    asked: dict = {}
    for candidate in candidates:
        for cell, hours in candidate.demand.items():
            asked[cell] = asked.get(cell, 0.0) + hours
    budget = 0.45 * sum(c.costs["2027"] for c in candidates)
    return SelectionInput(
        candidates=tuple(candidates),
        budget=round(budget),
        years=YEARS,
        capacity={(r, m): round(0.5 * asked.get((r, m), 0.0)) for r in roles for m in months},
    )
