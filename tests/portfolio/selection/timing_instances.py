"""Small timing inputs for the timing tests: random instances to check against brute force,
an independent feasibility checker and value written out from docs/formulas.md ("Optimised
selection with timing"), and helpers for hand-worked cases."""

from __future__ import annotations

import random

from portfolio.selection.model import Candidate, PlanningYear, SelectionInput
from portfolio.selection.timing import Sequence, Synergy, TimedCandidate, TimingInput
from projects.querysets import Stage

MONTHS = tuple(f"2027-{m:02d}" for m in range(1, 13))
ROLES = ("Analyst", "Engineer")
# Fiscal years from July: January–June 2027 is "FY 2026/27", July–December "FY 2027/28".
FISCAL_START = 7
YEARS = (PlanningYear("FY 2026/27", share=0.5), PlanningYear("FY 2027/28", share=0.5))


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def _month(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def _year(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    first = year if number >= FISCAL_START else year - 1
    return f"FY {first}/{(first + 1) % 100:02d}"


def uses_at(start: str, costs: dict, demand: dict) -> tuple[dict, dict]:
    """A project's spend per planning year and hours per (role, month) when it starts in
    `start`: its profiles moved there, only the months of the horizon (MONTHS) counted."""
    spend, hours = {}, {}
    for offset, amount in costs.items():
        month = _month(_index(start) + offset)
        if month in MONTHS and amount:
            spend[_year(month)] = spend.get(_year(month), 0.0) + amount
    for (role, offset), amount in demand.items():
        month = _month(_index(start) + offset)
        if month in MONTHS and amount:
            hours[(role, month)] = hours.get((role, month), 0.0) + amount
    return spend, hours


def timed(
    pid,
    *,
    planned,
    starts=None,
    duration=1,
    costs=None,
    demand=None,
    value=10.0,
    target="",
    decay=0.0,
    deadline="",
    **candidate,
):
    """A timed project with its Candidate's costs and demand at the planned start."""
    costs, demand = dict(costs or {}), dict(demand or {})
    spend, hours = uses_at(planned, costs, demand)
    return TimedCandidate(
        candidate=Candidate(
            id=pid, code=f"P{pid}", value=value, costs=spend, demand=hours, **candidate
        ),
        planned_start=planned,
        starts=tuple(starts or (planned,)),
        duration=duration,
        demand_profile=demand,
        cost_profile=costs,
        target_month=target,
        decay=decay,
        deadline=deadline,
    )


def timing_input(projects, *, budget=1000.0, capacity=None, **options) -> TimingInput:
    """The input of `projects` (TimedCandidates) over MONTHS, two fiscal half-years."""
    base = SelectionInput(
        candidates=tuple(p.candidate for p in projects),
        budget=budget,
        years=YEARS,
        capacity=capacity
        if capacity is not None
        else dict.fromkeys(((r, m) for r in ROLES for m in MONTHS), 1000.0),
        months=MONTHS,
    )
    return TimingInput(
        base=base, timed=tuple(projects), fiscal_year_start_month=FISCAL_START, **options
    )


def random_timing_instance(seed: int) -> TimingInput:
    """A random instance of at most 8 projects with at most 4 start months each, 2 roles × 12
    months, two budget years, synergies, sequences, sometimes a market window, a mandatory
    project, a running one, "requires" and "excludes"."""
    rng = random.Random(seed)
    n = rng.randint(4, 8)
    ids = list(range(1, n + 1))
    mandatory = set(rng.sample(ids, rng.choice([0, 0, 1])))
    running = set(rng.sample(ids, rng.choice([0, 0, 1])))
    requires = {pid: set() for pid in ids}
    excludes = {pid: set() for pid in ids}
    for _ in range(rng.choice([0, 0, 1])):
        a, b = rng.sample(ids, 2)
        requires[a].add(b)
    for _ in range(rng.choice([0, 0, 1])):
        a, b = rng.sample(ids, 2)
        excludes[a].add(b)
        excludes[b].add(a)
    projects = []
    for pid in ids:
        duration = rng.randint(1, 4)
        planned = rng.randrange(0, 10)
        if pid in running:
            options = [planned]
        else:
            around = list(range(max(0, planned - 3), min(11, planned + 4)))
            around.remove(planned)
            options = sorted([planned, *rng.sample(around, rng.randint(0, 3))])
        demand = {}
        for role in rng.sample(ROLES, rng.randint(1, 2)):
            for offset in range(duration):
                demand[(role, offset)] = float(rng.choice([20, 40, 60]))
        costs = {offset: float(rng.randint(0, 20)) for offset in range(duration)}
        window = {}
        if rng.random() < 0.3:
            window["target"] = _month(_index(MONTHS[0]) + rng.randrange(3, 10))
            window["decay"] = rng.choice([0.1, 0.25, 0.5])
        if rng.random() < 0.2:
            window["deadline"] = _month(_index(MONTHS[0]) + rng.randrange(4, 12))
        projects.append(
            timed(
                pid,
                planned=MONTHS[planned],
                starts=[MONTHS[i] for i in options],
                duration=duration,
                costs=costs,
                demand=demand,
                value=float(rng.randint(0, 100)),
                mandatory=pid in mandatory,
                requires=frozenset(requires[pid]),
                excludes=frozenset(excludes[pid]),
                stage=rng.choice([Stage.IN_PROGRESS, Stage.APPROVED])
                if pid in running
                else Stage.CANDIDATE,
                **window,
            )
        )
    synergies = []
    for number in range(rng.randint(0, 2)):
        members = frozenset(rng.sample(ids, rng.randint(2, 3)))
        synergies.append(
            Synergy(
                id=number + 1,
                name=f"G{number + 1}",
                members=members,
                value_bonus=float(rng.choice([0, 20, 40, 60])),
                cost_saving=float(rng.choice([0, 0, 5, 15])),
            )
        )
    sequences = []
    for _ in range(rng.randint(0, 2)):
        a, b = sorted(rng.sample(ids, 2))  # before < after: no cycles
        sequences.append(Sequence(before=a, after=b, lag=rng.choice([0, 0, 1, 2])))
    capacity = {(r, m): float(rng.choice([40, 60, 80, 120])) for r in ROLES for m in MONTHS}
    return timing_input(
        projects,
        budget=float(rng.randint(30, 120)),
        capacity=capacity,
        synergies=tuple(synergies),
        sequences=tuple(sequences),
    )


# --- The independent checker -----------------------------------------------------------------


def project_value(project: TimedCandidate, start: str) -> float:
    finish = _index(start) + max(1, project.duration) - 1
    if project.deadline and finish > _index(project.deadline):
        return 0.0
    value = project.candidate.value
    if project.target_month and finish > _index(project.target_month):
        value *= max(0.0, 1 - project.decay * (finish - _index(project.target_month)))
    return value


def plan_value(data: TimingInput, starts: dict[int, str]) -> float:
    by_id = {p.candidate.id: p for p in data.timed}
    total = sum(project_value(by_id[pid], start) for pid, start in starts.items())
    return total + sum(g.value_bonus for g in data.synergies if g.members <= starts.keys())


def _running(data: TimingInput) -> set[int]:
    return {
        p.candidate.id
        for p in data.timed
        if p.candidate.stage in (Stage.IN_PROGRESS, Stage.APPROVED)
        and p.candidate.id not in data.base.stopped
    }


def plan_feasible(data: TimingInput, starts: dict[int, str]) -> bool:
    """Whether the plan (project → start month) keeps every rule: running projects in at
    their planned start, mandatory ones in, starts inside windows, requires, excludes,
    sequences (finish-to-start: start ≥ predecessor's start + duration + lag), and the budget
    per year and hours per role-month left once running projects hold theirs; a realised
    synergy's saving comes off the year of its earliest member start."""
    by_id = {p.candidate.id: p for p in data.timed}
    running = _running(data)
    chosen = set(starts)
    if not running <= chosen:
        return False
    for pid, start in starts.items():
        project = by_id[pid]
        allowed = (project.planned_start,) if pid in running else project.starts
        if start not in allowed:
            return False
    for project in data.timed:
        c = project.candidate
        if c.mandatory and c.id not in chosen:
            return False
        if c.id in chosen and not c.requires <= chosen:
            return False
        partners = c.excludes & chosen
        if c.id in running:
            partners -= running
        if c.id in chosen and partners:
            return False
    for s in data.sequences:
        if s.after in chosen and s.after not in running:
            if s.before not in chosen:
                return False
            before = by_id[s.before]
            if _index(starts[s.after]) < _index(starts[s.before]) + before.duration + s.lag:
                return False
    used, reserved = {}, {}
    for pid, start in starts.items():
        project = by_id[pid]
        spend, hours = uses_at(start, project.cost_profile, project.demand_profile)
        bucket = reserved if pid in running else used
        for year, amount in spend.items():
            bucket[("budget", year)] = bucket.get(("budget", year), 0.0) + amount
        for cell, amount in hours.items():
            bucket[("capacity", *cell)] = bucket.get(("capacity", *cell), 0.0) + amount
    for group in data.synergies:
        if group.cost_saving and group.members <= chosen:
            earliest = min(_index(starts[pid]) for pid in group.members)
            if earliest <= _index(MONTHS[-1]):
                key = ("budget", _year(_month(max(earliest, _index(MONTHS[0])))))
                used[key] = used.get(key, 0.0) - group.cost_saving
    limits = {("budget", y.label): data.base.budget * y.share for y in data.base.years}
    limits.update({("capacity", *cell): hours for cell, hours in data.base.capacity.items()})
    for key, amount in used.items():
        room = max(0.0, limits.get(key, 0.0) - reserved.get(key, 0.0))
        if amount > room + 1e-7:
            return False
    return True


def brute_force(data: TimingInput) -> tuple[float, dict[int, str]] | None:
    """The best value over every choice of start (or none) for every project, and a plan
    that reaches it; None when no plan is feasible. Partial plans that already overflow a
    capacity cell are cut (hours only grow as projects are added; savings are in money)."""
    projects = list(data.timed)
    limits = dict(data.base.capacity)
    running = _running(data)
    best: list = [None, None]

    def extend(index, starts, hours):
        if index == len(projects):
            if plan_feasible(data, starts):
                value = plan_value(data, starts)
                if best[0] is None or value > best[0] + 1e-9:
                    best[0], best[1] = value, dict(starts)
            return
        project = projects[index]
        pid = project.candidate.id
        choices = [project.planned_start] if pid in running else list(project.starts)
        if pid not in running:
            extend(index + 1, starts, hours)  # not chosen
        for start in choices:
            _, more = uses_at(start, {}, project.demand_profile)
            after = dict(hours)
            for cell, amount in more.items():
                after[cell] = after.get(cell, 0.0) + amount
            if pid not in running and any(
                after[cell] > limits.get(cell, 0.0) + 1e-7 for cell in more
            ):
                continue
            starts[pid] = start
            extend(index + 1, starts, after if pid not in running else hours)
            del starts[pid]

    extend(0, {}, {})
    return None if best[0] is None else (best[0], best[1])
