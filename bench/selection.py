"""`python -m bench.selection`: time optimised project selection on 2,000
candidates × 20 roles × 24 months: building the model, solving it to proven optimality, the
greedy rank-by-score choice and the 11-point efficient frontier; with `--portfolio`, also from
the database (loading included), on `seed_scale` portfolios in DATABASE_URL.

    python -m bench.selection [--candidates 2000] [--roles 20] [--months 24] [--seed 2026]
                              [--portfolio scale-01[,scale-02,...]] [--no-frontier]

Targets: from the database to the chosen slate under 10 s; the frontier under 60 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SINGLE_SOLVE_TARGET_SECONDS = 10
FRONTIER_TARGET_SECONDS = 60


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


def cbc_result(log_path: str) -> str:
    """CBC's own verdict, the "Result - …" line at the end of its log."""
    text = Path(log_path).read_text(errors="replace") if os.path.exists(log_path) else ""
    found = re.findall(r"^Result - (.*)$", text, flags=re.MULTILINE)
    return found[-1].strip() if found else "no result line"


def timed(label, call, results):
    started = time.perf_counter()
    value = call()
    results[label] = time.perf_counter() - started
    return value


def _gap(selection) -> str:
    return "?" if selection.gap is None else f"{selection.gap:.4f} %"


def run(data, *, label, frontier=True, load_seconds=None, time_limit=60) -> bool:
    """Time build, solve, greedy (and the frontier) on `data`; print; True if on target."""
    from portfolio import selection

    times: dict[str, float] = {}
    model = timed("build", lambda: selection.SelectionModel(data), times)
    with tempfile.TemporaryDirectory() as directory:
        log_path = os.path.join(directory, "cbc.log")
        optimal = timed(
            "solve", lambda: model.solve(log_path=log_path, time_limit=time_limit), times
        )
        verdict = cbc_result(log_path)
    greedy_choice = timed("greedy", lambda: selection.greedy(data), times)
    print(
        f"\n{label}: {len(data.candidates):,} candidates, {len(data.capacity):,} role-months, "
        f"{len(data.years)} planning years; model {len(model.problem.constraints):,} rows "
        "(capacity rows that can never bind are left out)"
    )
    if load_seconds is not None:
        print(f"  load from DB     {load_seconds:7.2f} s")
    print(f"  build model      {times['build']:7.2f} s")
    if not optimal.ok:
        print(f"  no slate: {optimal.message}")
        return False
    print(
        f"  solve (CBC)      {times['solve']:7.2f} s   {optimal.status}; CBC: {verdict}; "
        f"gap {_gap(optimal)}"
    )
    print(f"  greedy           {times['greedy']:7.2f} s")
    total = times["build"] + times["solve"] + (load_seconds or 0)
    scope = "load + build + solve" if load_seconds is not None else "build + solve"
    print(
        f"  → slate          {total:7.2f} s   ({scope}; target < {SINGLE_SOLVE_TARGET_SECONDS} s)"
    )
    behind = optimal.value - greedy_choice.value
    share = behind * 100 / optimal.value if optimal.value else 0.0
    print(f"  objective value  {optimal.value:,.0f} with {len(optimal.chosen):,} projects")
    print(
        f"  greedy value     {greedy_choice.value:,.0f} with {len(greedy_choice.chosen):,} "
        f"projects: {share:.2f} % behind ({behind:,.0f})"
    )
    ok = optimal.proven_optimal and total < SINGLE_SOLVE_TARGET_SECONDS
    if frontier:
        points = timed(
            "frontier",
            lambda: selection.efficient_frontier(data, time_limit=time_limit),
            times,
        )
        proven = all(p.selection.proven_optimal for p in points if p.selection.ok)
        print(
            f"  frontier (11)    {times['frontier']:7.2f} s   (target < "
            f"{FRONTIER_TARGET_SECONDS} s); every point proven optimal: {proven}"
        )
        for point in points:
            value = "no slate" if point.value is None else f"{point.value:,.0f}"
            print(
                f"      {point.level:5.0%}  budget {point.budget:>16,.0f}  value {value:>16}"
                f"  {point.selection.solve_seconds:6.2f} s  gap {_gap(point.selection)}"
            )
        ok = ok and proven and times["frontier"] < FRONTIER_TARGET_SECONDS
    return ok


def cover_forced_shortfall(data):
    """The input with just enough extra hours, per role and month, for the projects that
    must be selected: what a PMO would put in a scenario (contractors) when committed work
    already overflows capacity, as in `seed_scale` data (up to 160 % confirmed)."""
    import dataclasses

    from portfolio.selection import CAPACITY

    by_id = data.by_id()
    must = {c.id for c in data.candidates if c.mandatory}
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.selection", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--roles", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--tight", action="store_true", help="stress case: every role at 50 %% every month"
    )
    parser.add_argument("--time-limit", type=float, default=60, help="per solve, seconds")
    parser.add_argument(
        "--portfolio",
        help="portfolio code(s), comma-separated, to load from DATABASE_URL as one selection",
    )
    parser.add_argument("--no-frontier", action="store_true")
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # portfolio.selection holds the loader too, which imports models
    ok = True
    if not args.no_synthetic:
        data = synthetic_input(
            candidates=args.candidates,
            roles=args.roles,
            months=args.months,
            seed=args.seed,
            tight=args.tight,
        )
        ok = run(
            data,
            label=f"Synthetic{' (tight)' if args.tight else ''}, seed {args.seed}",
            frontier=not args.no_frontier,
            time_limit=args.time_limit,
        )
    if args.portfolio:
        from portfolio.selection import forced_projects

        codes = [code.strip() for code in args.portfolio.split(",") if code.strip()]
        data, seconds = load_from_database(codes)
        label = f"Database ({', '.join(codes)})"
        problem = forced_projects(data)[1]
        if problem is not None:
            data, added = cover_forced_shortfall(data)
            print(f"\n{label} as stored has no slate: {problem.message}")
            print(f"  → solving with {added:,.0f} contractor hours added where they fall short")
        ok = (
            run(
                data,
                label=label,
                frontier=not args.no_frontier,
                load_seconds=seconds,
                time_limit=args.time_limit,
            )
            and ok
        )
    print("\nAll targets met." if ok else "\nSome targets missed.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
