"""`python -m bench.selection`: time optimised project selection side by side with HiGHS and
CBC (portfolio/selection/solvers.py), each to the relative gap of 1e-4 the app asks for:

- selection of 2,000 synthetic candidates × 20 roles × 24 months (build + solve), and of
  5,000 (`--large`);
- with `--portfolio`, the same from the database (load + build + solve), on `seed_scale`
  portfolios in DATABASE_URL, and with `--large-portfolio` the ≈ 5,000-candidate one;
- the 11-point efficient frontier at 2,000, each point warm-started from its neighbour's
  slate, measured both ways of using two cores: parallel chains of points with one solver
  thread each, and one chain with the solver's own threads;
- timing and synergies (issue 17): 500 synthetic timed candidates with windows of up to 12
  start months × 20 roles × 36 months, 50 synergy groups and 50 sequences
  (`synthetic_timing_input`, `--timing 0` for none): the fixed-start optimum, select then
  shift, and the time-indexed optimum, with the model size, the gap and the gain over fixed
  starts; target < 60 s to gap ≤ 1e-4 (`--tight` makes the timing instance tight too). With
  `--timing-portfolio scale-timing`, the same shape from the database (load + build +
  solve), as `seed_scale --timing 500` writes it into a database of its own (`make bench`).

    python -m bench.selection [--candidates 2000] [--large 5000] [--roles 20] [--months 24]
        [--seed 2026] [--solvers highs,cbc] [--portfolio scale-01[,scale-02,...]]
        [--timing 500] [--timing-months 36] [--timing-window 12] [--timing-portfolio CODE]
        [--large-portfolio scale-01,...,scale-06] [--no-frontier] [--frontier-modes ...]

Every row prints its wall-clock time (the target's measure), the CPU time spent (this process
and the CBC processes), its target and "holds" or "does not hold"; a row holds when the solve
closed its gap (≤ 1e-4) within the target time. The load average is printed first: on a
shared machine the wall clock includes the wait for a core.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections import defaultdict

SELECTION_TARGET_SECONDS = 5  # 2,000 candidates, from the database to the slate
LARGE_SELECTION_TARGET_SECONDS = 15  # 5,000 candidates
FRONTIER_TARGET_SECONDS = 20  # 11 points at 2,000 candidates
TIMING_TARGET_SECONDS = 60  # 500 timed candidates × 12 starts × 20 roles × 36 months
# How the frontier uses the two cores: (label, chains of points side by side, HiGHS threads).
FRONTIER_MODES = {
    "chains": ("2 chains × 1 solver thread", 2, 1),
    "threads": ("1 chain × 2 solver threads", 1, 2),
}


def synthetic_input(*, candidates=2000, roles=20, months=24, seed=2026, tight=False):
    """A portfolio-planning instance in memory, shaped like a large PMO's pipeline: projects
    of 3–18 months asking 1–4 roles for 0.1–1 FTE, budgets of 100k–3M, benefits of 0.5–4×
    the budget and priority scores of 10–95. The budget covers about 55 % of what all
    candidates ask; four roles are bottlenecks (capacity for about 60 % of what is asked of
    them), the other sixteen have 85–130 % (so they bind in their busy months only). A few
    mandatory projects, "requires" chains and mutually exclusive pairs.

    `tight`: the stress case, every role at 50 % in every month: a random multi-dimensional
    knapsack with some 500 binding rows, which no exact solver closes quickly."""
    from portfolio.selection import Candidate, PlanningYear, SelectionInput, forced_projects

    rng = random.Random(seed)
    role_names = [f"Role {n:02d}" for n in range(1, roles + 1)]
    month_keys = [f"{2027 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    year_of = [key[:4] for key in month_keys]
    projects = []
    for index in range(candidates):
        start = rng.randrange(months - 2)
        span = range(start, min(months, start + rng.randint(3, 18)))
        budget = rng.randint(100, 3000) * 1000
        costs: dict[str, float] = defaultdict(float)
        for m in span:
            costs[year_of[m]] += budget / len(span)
        demand = {}
        for role in rng.sample(role_names, rng.randint(1, 4)):
            hours = rng.choice([16, 32, 40, 64, 80, 120, 160])
            for m in span:
                demand[(role, month_keys[m])] = float(hours)
        score = round(rng.uniform(10, 95), 2)
        benefit = round(budget * rng.uniform(0.5, 4), -3)
        projects.append(
            {
                "id": index + 1,
                "code": f"SYN-{index + 1:04d}",
                "value": round(benefit * score / 100),
                "score": score,
                "benefit": benefit,
                "budget": float(budget),
                "costs": dict(costs),
                "demand": demand,
            }
        )
    ids = [p["id"] for p in projects]
    for project in rng.sample(projects, candidates // 20):  # 5 % require an earlier project
        earlier = [pid for pid in ids if pid < project["id"]]
        if earlier:
            project["requires"] = frozenset([rng.choice(earlier)])
    exclusive = defaultdict(set)
    for _ in range(candidates // 50):  # 2 % in mutually exclusive pairs
        a, b = rng.sample(ids, 2)
        exclusive[a].add(b)
        exclusive[b].add(a)
    for project in projects:
        project["excludes"] = frozenset(exclusive.get(project["id"], ()))
    cell_demand, year_cost = defaultdict(float), defaultdict(float)
    for project in projects:
        for cell, hours in project["demand"].items():
            cell_demand[cell] += hours
        for year, cost in project["costs"].items():
            year_cost[year] += cost
    per_role = defaultdict(float)
    for (role, _month), hours in cell_demand.items():
        per_role[role] += hours / months
    if tight:
        ratio = dict.fromkeys(role_names, 0.5)
    else:
        bottlenecks = set(rng.sample(role_names, 4))
        ratio = {r: 0.6 if r in bottlenecks else rng.uniform(0.85, 1.3) for r in role_names}
    capacity = {
        (role, month): float(round(per_role[role] * ratio[role]))
        for role in role_names
        for month in month_keys
    }
    budget = round(0.55 * sum(year_cost.values()) / len(set(year_of)), -3)
    years = tuple(PlanningYear(label=y, share=1.0) for y in sorted(set(year_of)))

    def build(mandatory):
        return SelectionInput(
            candidates=tuple(Candidate(**p, mandatory=p["id"] in mandatory) for p in projects),
            budget=budget,
            years=years,
            capacity=capacity,
            months=tuple(month_keys),
        )

    # 1 % mandatory: small ones, so that they fit together (as real mandatory work must).
    small = sorted(projects, key=lambda p: p["budget"])[: candidates // 5]
    mandatory = {p["id"] for p in rng.sample(small, candidates // 100)}
    data = build(mandatory)
    while forced_projects(data)[1] is not None and mandatory:
        mandatory.pop()
        data = build(mandatory)
    return data


def synthetic_timing_input(
    *,
    candidates=500,
    roles=20,
    months=36,
    window=12,
    synergies=50,
    sequences=50,
    seed=2026,
    tight=False,
):
    """A timing instance (issue 17) in memory, shaped like `synthetic_input`'s pipeline: each
    project has a planned start, a window of up to `window` start months around it, a
    duration of 3–18 months, and its role demand and spend as profiles from its start; 5 %
    are in progress (fixed at their start), 1 % mandatory, 20 % have a market window (a
    target month with 5–20 % lost per month late, or a deadline). `synergies` groups of 2–4
    projects with a value bonus of 10–30 % of what they are worth or a cost saving, and
    `sequences` finish-to-start pairs with a lag of 0–2 months. Capacity is set from the
    demand at the planned starts as in `synthetic_input`: four bottleneck roles at 60 %, the
    rest at 85–130 % (`tight`: 55 % and 75–110 %); the budget per year is 55 % of what the
    planned starts spend.

    Only the shape of `TimingInput` is assumed, so the same bench runs on an input built by
    the loader from the database."""
    from portfolio.selection import Candidate, PlanningYear, SelectionInput
    from portfolio.selection.timing import Sequence, Synergy, TimedCandidate, TimingInput
    from projects.querysets import Stage

    rng = random.Random(seed)
    role_names = [f"Role {n:02d}" for n in range(1, roles + 1)]
    month_keys = [f"{2027 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    year_of = {key: key[:4] for key in month_keys}
    drafts = []
    for index in range(candidates):
        pid = index + 1
        duration = rng.randint(3, 18)
        planned = rng.randrange(0, months - 3)
        running = rng.random() < 0.05
        if running:
            starts = [planned]
        else:
            size = rng.randint(1, window)
            first = max(0, min(planned - rng.randint(0, size - 1), months - size))
            starts = list(range(first, first + size))
            if planned not in starts:
                planned = starts[0]
        budget = rng.randint(100, 3000) * 1000
        cost_profile = dict.fromkeys(range(duration), budget / duration)
        demand_profile = {}
        for role in rng.sample(role_names, rng.randint(1, 4)):
            hours = float(rng.choice([16, 32, 40, 64, 80, 120, 160]))
            for offset in range(duration):
                demand_profile[(role, offset)] = hours
        costs, demand = defaultdict(float), {}
        for offset, amount in cost_profile.items():
            if planned + offset < months:
                costs[year_of[month_keys[planned + offset]]] += amount
        for (role, offset), hours in demand_profile.items():
            if planned + offset < months:
                demand[(role, month_keys[planned + offset])] = hours
        score = round(rng.uniform(10, 95), 2)
        benefit = round(budget * rng.uniform(0.5, 4), -3)
        market = {}
        if not running and rng.random() < 0.2:
            target = min(months - 1, planned + duration - 1 + rng.randint(0, 3))
            if rng.random() < 0.7:
                market = {"target_month": month_keys[target], "decay": rng.choice([0.05, 0.1, 0.2])}
            else:
                market = {"deadline": month_keys[min(months - 1, target + 2)]}
        drafts.append(
            {
                "candidate": {
                    "id": pid,
                    "code": f"TIM-{pid:04d}",
                    "value": round(benefit * score / 100),
                    "score": score,
                    "benefit": benefit,
                    "budget": float(budget),
                    "costs": dict(costs),
                    "demand": demand,
                    "stage": Stage.IN_PROGRESS if running else Stage.CANDIDATE,
                },
                "planned_start": month_keys[planned],
                "starts": tuple(month_keys[m] for m in starts),
                "duration": duration,
                "demand_profile": demand_profile,
                "cost_profile": cost_profile,
                **market,
            }
        )
    cell_demand, year_cost = defaultdict(float), defaultdict(float)
    for draft in drafts:
        for cell, hours in draft["candidate"]["demand"].items():
            cell_demand[cell] += hours
        for year, cost in draft["candidate"]["costs"].items():
            year_cost[year] += cost
    per_role = defaultdict(float)
    for (role, _month), hours in cell_demand.items():
        per_role[role] += hours / months
    bottlenecks = set(rng.sample(role_names, 4))
    low, high, bottleneck = (0.75, 1.1, 0.55) if tight else (0.85, 1.3, 0.6)
    ratio = {r: bottleneck if r in bottlenecks else rng.uniform(low, high) for r in role_names}
    capacity = {
        (role, month): float(round(per_role[role] * ratio[role]))
        for role in role_names
        for month in month_keys
    }
    budget = round(0.55 * sum(year_cost.values()) / len(year_cost), -3)
    open_ids = [d["candidate"]["id"] for d in drafts if d["candidate"]["stage"] == Stage.CANDIDATE]
    mandatory = set()
    for pid in rng.sample(open_ids, candidates // 100):
        if drafts[pid - 1]["candidate"]["budget"] < 1_000_000:  # small ones, that fit
            mandatory.add(pid)
    groups = []
    for number in range(synergies):
        members = frozenset(rng.sample(open_ids, rng.randint(2, 4)))
        worth = sum(drafts[pid - 1]["candidate"]["value"] for pid in members)
        saving = rng.random() < 0.3
        groups.append(
            Synergy(
                id=number + 1,
                name=f"Synergy {number + 1}",
                members=members,
                value_bonus=0.0 if saving else round(worth * rng.uniform(0.1, 0.3)),
                cost_saving=round(
                    0.2 * min(drafts[pid - 1]["candidate"]["budget"] for pid in members)
                )
                if saving
                else 0.0,
            )
        )
    pairs, chained = [], set()
    while len(pairs) < sequences:
        a, b = rng.sample(open_ids, 2)
        before, after = (
            (a, b) if drafts[a - 1]["planned_start"] <= drafts[b - 1]["planned_start"] else (b, a)
        )
        if (before, after) in chained or (after, before) in chained or after in mandatory:
            continue
        chained.add((before, after))
        pairs.append(Sequence(before=before, after=after, lag=rng.randint(0, 2)))
    timed = tuple(
        TimedCandidate(
            candidate=Candidate(**d["candidate"], mandatory=d["candidate"]["id"] in mandatory),
            **{k: v for k, v in d.items() if k != "candidate"},
        )
        for d in drafts
    )
    base = SelectionInput(
        candidates=tuple(t.candidate for t in timed),
        budget=budget,
        years=tuple(PlanningYear(label=y) for y in sorted(year_cost)),
        capacity=capacity,
        months=tuple(month_keys),
    )
    return TimingInput(base=base, timed=timed, synergies=tuple(groups), sequences=tuple(pairs))


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and of the solver processes it waited for
    (CBC): on a loaded machine the wall clock shows the queue, this shows the work."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def holds(ok: bool) -> str:
    return "holds" if ok else "does not hold"


def verdict(ok: bool, comparison: bool) -> str:
    return f"{holds(ok)} (comparison)" if comparison else holds(ok)


def _gap(selection) -> str:
    return "?" if selection.gap is None else f"{selection.gap:.1e}"


class Table:
    """The rows of the run, printed again together at the end."""

    def __init__(self):
        self.rows: list[tuple[str, str, float, float, float, bool, bool]] = []

    def add(self, measure, solver, seconds, cpu, target, ok, *, comparison=False) -> bool:
        """A `comparison` row is not how the app runs (CBC, or the frontier on solver
        threads): printed beside the app's row, it does not decide the bench's verdict."""
        self.rows.append((measure, solver, seconds, cpu, target, ok, comparison))
        print(
            f"  → {measure:<62} {solver:<6} {seconds:7.2f} s (cpu {cpu:6.2f} s)  "
            f"target < {target:g} s  {verdict(ok, comparison)}",
            flush=True,
        )
        return ok

    @property
    def all_hold(self) -> bool:
        return all(row[5] for row in self.rows if not row[6])

    def print(self):
        print("\nSummary (wall-clock seconds; a row holds when solved to gap ≤ 1e-4 in time)")
        print(f"  {'measure':<62} {'solver':<6} {'seconds':>9}  {'cpu':>9}  {'target':<10} verdict")
        for measure, solver, seconds, cpu, target, ok, comparison in self.rows:
            print(
                f"  {measure:<62} {solver:<6} {seconds:7.2f} s  {cpu:7.2f} s  < {target:<6g} s  "
                f"{verdict(ok, comparison)}"
            )


def solve_once(data, *, label, solver, target, table, load_seconds=None, time_limit=60):
    """Build and solve `data` once with `solver`; print; add the row; the selection."""
    from portfolio import selection

    started, cpu = time.perf_counter(), cpu_seconds()
    model = selection.SelectionModel(data)
    build = time.perf_counter() - started
    optimal = model.solve(solver=solver, time_limit=time_limit)
    total = (load_seconds or 0) + build + optimal.solve_seconds
    cpu = cpu_seconds() - cpu
    name = selection.solvers.solver_label(solver)
    print(
        f"\n{label} with {name}: {len(data.candidates):,} candidates "
        f"({len(data.committed):,} committed), {len(data.capacity):,} role-months, "
        f"{len(data.years)} planning years; model {len(model.problem.constraints):,} rows"
    )
    if load_seconds is not None:
        print(f"  load from DB     {load_seconds:7.2f} s")
    print(f"  build model      {build:7.2f} s")
    if not optimal.ok:
        print(f"  no slate: {optimal.message}")
    else:
        print(
            f"  solve ({name:<5})    {optimal.solve_seconds:7.2f} s   {optimal.status}, "
            f"gap {_gap(optimal)}; value {optimal.value:,.0f} with {len(optimal.chosen):,} "
            "projects"
        )
    scope = "load + build + solve" if load_seconds is not None else "build + solve"
    ok = optimal.proven_optimal and total < target
    table.add(
        f"{label}: {scope}", name, total, cpu, target, ok, comparison=solver != selection.HIGHS
    )
    return optimal


def timing_once(data, *, label, solver, table, time_limit=60, load_seconds=None):
    """The timing comparison of `data` (a TimingInput) with `solver`: the fixed-start
    optimum, select-then-shift from it, and the time-indexed optimum started from that; print
    the model size, times, gap and the gain over fixed starts; add the row (its time
    includes `load_seconds`, reading `data` from the database, when given)."""
    from portfolio import selection
    from portfolio.selection.timing import solve_timing

    name = selection.solvers.solver_label(solver)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = solve_timing(data, solver=solver, time_limit=time_limit)
    seconds = time.perf_counter() - started + (load_seconds or 0.0)
    cpu = cpu_seconds() - cpu
    windows = [len(t.starts) for t in data.timed]
    fixed, greedy = result.fixed, result.greedy
    print(
        f"\n{label} with {name}: {len(data.timed):,} candidates "
        f"({len(data.base.committed):,} running), windows of 1–{max(windows)} start months "
        f"(mean {sum(windows) / len(windows):.1f}), {len(data.base.capacity):,} role-months, "
        f"{len(data.synergies)} synergy groups, {len(data.sequences)} sequences"
    )
    if load_seconds is not None:
        print(f"  loaded           {load_seconds:7.2f} s   from the database (timing_loader)")
    print(
        f"  model            {result.variables:,} variables, {result.constraints:,} "
        f"constraints (built in {result.build_seconds:.2f} s)"
    )
    if fixed is not None:
        state = f"value {fixed.value:,.0f}" if fixed.ok else f"no plan: {fixed.message}"
        print(
            f"  fixed starts     {fixed.solve_seconds:7.2f} s   {fixed.status}, gap "
            f"{_gap(fixed)}; {state} with {len(fixed.starts):,} projects"
        )
    if greedy is not None:
        print(
            f"  select + shift            {'':<10}value {greedy.value:,.0f} with "
            f"{len(greedy.starts):,} projects ({len(greedy.moved)} moved)"
        )
    if not result.ok:
        print(f"  no plan: {result.message}")
    else:
        print(
            f"  timing ({name:<5})   {result.solve_seconds:7.2f} s   {result.status}, gap "
            f"{_gap(result)}; value {result.value:,.0f} with {len(result.starts):,} projects, "
            f"{len(result.moved)} moved, synergies {len(result.realised)}/{len(result.synergies)}"
            f" realised ({result.synergy_value:,.0f})"
        )
        if result.gain is not None:
            percent = "" if result.gain_percent is None else f" ({result.gain_percent:+.2f} %)"
            print(f"  gain over fixed starts: {result.gain:+,.0f}{percent}")
    ok = result.proven_optimal and seconds < TIMING_TARGET_SECONDS
    scope = "load + build + solve" if load_seconds is not None else "build + solve"
    table.add(f"{label}: timing, {scope} (3 models)", name, seconds, cpu, TIMING_TARGET_SECONDS, ok)
    return result


def frontier_once(data, *, label, solver, mode, table, time_limit=60):
    """The 11-point frontier of `data` with `solver`, using the cores as `mode` says."""
    from portfolio import selection

    title, workers, threads = FRONTIER_MODES[mode]
    if solver == selection.HIGHS:
        selection.solvers.use_highs_threads(threads)
    else:
        chains = f"{workers} chain{'s' if workers > 1 else ''}"
        title = f"{chains} × CBC's {selection.solvers.CBC_THREADS} threads"
    name = selection.solvers.solver_label(solver)
    started, cpu = time.perf_counter(), cpu_seconds()
    points = selection.efficient_frontier(
        data, workers=workers, solver=solver, time_limit=time_limit
    )
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    proven = all(p.selection.proven_optimal for p in points if p.selection.ok)
    print(f"\n{label}, frontier with {name}, {title}: {seconds:.2f} s")
    for point in points:
        value = "no slate" if point.value is None else f"{point.value:,.0f}"
        print(
            f"      {point.level:5.0%}  budget {point.budget:>16,.0f}  value {value:>16}"
            f"  {point.selection.solve_seconds:6.2f} s  gap {_gap(point.selection)}"
            f"{'  warm' if point.warm_started else ''}"
        )
    table.add(
        f"{label}: frontier (11), {title}",
        name,
        seconds,
        cpu,
        FRONTIER_TARGET_SECONDS,
        proven and seconds < FRONTIER_TARGET_SECONDS,
        comparison=(solver, workers) != (selection.HIGHS, selection.FRONTIER_WORKERS),
    )
    return points


def cover_forced_shortfall(data):
    """The input with just enough extra hours, per role and month, for the projects that
    must be selected: what a PMO would put in a scenario (contractors) when committed work
    already overflows capacity, as in `seed_scale` data (up to 160 % confirmed)."""
    import dataclasses

    from portfolio.selection import CAPACITY

    by_id = data.by_id()
    # Committed projects reserve their hours first: the forced ones need room on top.
    must = {c.id for c in data.candidates if c.mandatory} | set(data.committed)
    pending = list(must)
    while pending:
        for required in by_id[pending.pop()].requires:
            if required in by_id and required not in must:
                must.add(required)
                pending.append(required)
    need = defaultdict(float)
    for pid in must:
        for key, hours in by_id[pid].uses.items():
            if key[0] == CAPACITY:
                need[key[1:]] += hours
    capacity, added = dict(data.capacity), 0.0
    for cell, hours in need.items():
        available = max(0.0, capacity.get(cell, 0.0))
        if hours > available:
            added += hours - available
            capacity[cell] = hours
    return dataclasses.replace(data, capacity=capacity), added


def load_from_database(codes):
    from django.utils import timezone

    from portfolio import selection
    from portfolio.models import Portfolio
    from projects.models import Project

    portfolios = list(Portfolio.objects.filter(code__in=codes))
    missing = set(codes) - {p.code for p in portfolios}
    if missing:
        raise SystemExit(f"bench: no portfolio {', '.join(sorted(missing))} (run seed_scale)")
    started = time.perf_counter()
    data = selection.load_selection_input(
        projects=Project.objects.filter(portfolio__in=portfolios),
        fiscal_year_start_month=portfolios[0].fiscal_year_start_month,
        budget=sum(p.budget_envelope for p in portfolios),
        as_of=timezone.localdate(),
    )
    return data, time.perf_counter() - started


def load_timing_from_database(code, months):
    """The timing input of portfolio `code` over `months` months from today, as the timing
    view reads it (`timing_loader.timing_input`), and the seconds it took."""
    from django.utils import timezone

    from portfolio.models import Portfolio
    from portfolio.selection.timing_loader import timing_input

    portfolio = Portfolio.objects.filter(code=code).first()
    if portfolio is None:
        raise SystemExit(f"bench: no portfolio {code} (run seed_scale --timing 500)")
    started = time.perf_counter()
    data = timing_input(portfolio=portfolio, as_of=timezone.localdate(), horizon_months=months)
    return data, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.selection", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument(
        "--large", type=int, default=5000, help="synthetic candidates of the large row (0: none)"
    )
    parser.add_argument("--roles", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--tight", action="store_true", help="stress case: every role at 50 %% every month"
    )
    parser.add_argument("--solvers", default="highs,cbc", help="comma-separated: highs, cbc")
    parser.add_argument("--time-limit", type=float, default=60, help="per solve, seconds")
    parser.add_argument(
        "--portfolio",
        help="portfolio code(s), comma-separated, to load from DATABASE_URL as one selection",
    )
    parser.add_argument(
        "--large-portfolio",
        help="portfolio codes for the ≈ 5,000-candidate selection from DATABASE_URL",
    )
    parser.add_argument("--no-frontier", action="store_true")
    parser.add_argument(
        "--frontier-modes",
        default="chains,threads",
        help="HiGHS frontier: chains (2 × 1 thread), threads (1 × 2 threads), or both",
    )
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument(
        "--timing", type=int, default=500, help="synthetic timed candidates (0: no timing row)"
    )
    parser.add_argument("--timing-months", type=int, default=36)
    parser.add_argument("--timing-window", type=int, default=12, help="start months at most")
    parser.add_argument("--timing-synergies", type=int, default=50)
    parser.add_argument("--timing-sequences", type=int, default=50)
    parser.add_argument(
        "--timing-portfolio",
        help="portfolio code to load from DATABASE_URL as the timing instance "
        "(seed_scale --timing 500 makes scale-timing), over --timing-months months",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # portfolio.selection holds the loader too, which imports models
    from portfolio.selection import HIGHS, SOLVERS, forced_projects, solvers

    chosen_solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = set(chosen_solvers) - set(SOLVERS)
    if unknown:
        parser.error(f"unknown solver {', '.join(sorted(unknown))}")
    modes = [m.strip() for m in args.frontier_modes.split(",") if m.strip()]
    if set(modes) - set(FRONTIER_MODES):
        parser.error("--frontier-modes takes chains, threads")
    print(
        f"bench.selection on {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; solvers: {', '.join(chosen_solvers)}"
    )
    table = Table()
    shape = f"{args.roles} roles × {args.months} months"
    if not args.no_synthetic:
        data = synthetic_input(
            candidates=args.candidates,
            roles=args.roles,
            months=args.months,
            seed=args.seed,
            tight=args.tight,
        )
        label = f"synthetic {args.candidates:,} × {shape}{' (tight)' if args.tight else ''}"
        for solver in chosen_solvers:
            solve_once(
                data,
                label=label,
                solver=solver,
                target=SELECTION_TARGET_SECONDS,
                table=table,
                time_limit=args.time_limit,
            )
        if args.large:
            large = synthetic_input(
                candidates=args.large, roles=args.roles, months=args.months, seed=args.seed
            )
            for solver in chosen_solvers:
                solve_once(
                    large,
                    label=f"synthetic {args.large:,} × {shape}",
                    solver=solver,
                    target=LARGE_SELECTION_TARGET_SECONDS,
                    table=table,
                    time_limit=args.time_limit,
                )
        if not args.no_frontier:
            for solver in chosen_solvers:
                for mode in modes if solver == HIGHS else modes[:1]:
                    frontier_once(
                        data,
                        label=f"synthetic {args.candidates:,}",
                        solver=solver,
                        mode=mode,
                        table=table,
                        time_limit=args.time_limit,
                    )
            solvers.use_highs_threads(solvers.HIGHS_THREADS_DEFAULT)  # as the app runs
    if args.timing:
        timing = synthetic_timing_input(
            candidates=args.timing,
            roles=args.roles,
            months=args.timing_months,
            window=args.timing_window,
            synergies=args.timing_synergies,
            sequences=args.timing_sequences,
            seed=args.seed,
            tight=args.tight,
        )
        for solver in chosen_solvers:
            timing_once(
                timing,
                label=f"timing {args.timing:,} × {args.roles} roles × {args.timing_months} months",
                solver=solver,
                table=table,
                time_limit=args.time_limit,
            )
    if args.timing_portfolio:
        for solver in chosen_solvers:
            data, seconds = load_timing_from_database(args.timing_portfolio, args.timing_months)
            timing_once(
                data,
                label=f"DB {args.timing_portfolio}, {len(data.timed):,} cand.",
                solver=solver,
                table=table,
                time_limit=args.time_limit,
                load_seconds=seconds,
            )
    for codes_text, target in (
        (args.portfolio, SELECTION_TARGET_SECONDS),
        (args.large_portfolio, LARGE_SELECTION_TARGET_SECONDS),
    ):
        if not codes_text:
            continue
        codes = [code.strip() for code in codes_text.split(",") if code.strip()]
        for solver in chosen_solvers:
            data, seconds = load_from_database(codes)  # loaded again: each row times it
            label = f"DB {codes[0]}–{codes[-1]}" if len(codes) > 1 else f"DB {codes[0]}"
            problem = forced_projects(data)[1]
            if problem is not None:
                data, added = cover_forced_shortfall(data)
                print(f"\n{label} as stored has no slate: {problem.message}")
                print(f"  → solving with {added:,.0f} contractor hours added where they fall short")
            solve_once(
                data,
                label=f"{label}, {len(data.candidates):,} cand.",
                solver=solver,
                target=target,
                table=table,
                load_seconds=seconds,
                time_limit=args.time_limit,
            )
    table.print()
    ok = table.all_hold
    print("\nAll targets hold (HiGHS, as the app runs)." if ok else "\nSome targets do not hold.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
