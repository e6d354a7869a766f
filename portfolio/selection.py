"""Optimised project selection (DESIGN.md §4, issue 7): which candidate and active projects to
fund under the budget per planning year and the capacity per role per month.

The model, solved with PuLP and its bundled CBC:

- one binary x_p per project in the model: stages idea, candidate, approved, in progress and
  on hold (closing, closed and cancelled projects are not choices any more);
- maximise Σ value_p × x_p, value = benefit × priority score ÷ 100, where the benefit is the
  project's expected benefit (over its life), or three years of its annual benefit when no
  total is recorded, and the score is its priority score (0–100); an unscored project gets
  the median score of the scored ones (50 when none is scored), so being unscored neither
  wins nor loses;
- budget, for every planning (fiscal) year of the horizon: Σ cost_p,y × x_p ≤ envelope ×
  (months of the year inside the horizon ÷ 12) − committed spend outside the model, where a
  project's cost in a year is its budget spread evenly over its months, counting the months
  of that year inside the horizon;
- capacity, for every role and month: Σ hours_p,r,m × x_p ≤ capacity − confirmed hours of the
  committed projects (approved, in progress, closing) outside the model ± scenario changes;
  a project's hours are its requested and confirmed allocations;
- mandatory and forced-in projects fixed to 1, forced-out ones to 0; "a requires b":
  x_a ≤ x_b; "a excludes b": x_a + x_b ≤ 1.

The horizon is the 24 months from the current one; projects starting after it are not in
the model. A project that requires one outside the model (cancelled, or not yet a choice
here) cannot be chosen; one that excludes a funded project outside it cannot either.

Everything below the loader is pure: plain frozen dataclasses in, plain results out, so the
tests can brute-force small instances without a database. Money is in the portfolio's
currency, hours are hours; floats, since the solver works in floats anyway.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property

import pulp

from core.months import add_months, month_end, month_start
from projects.querysets import ACTIVE_STAGES, PIPELINE_STAGES, Stage
from resources.selectors import calendar_rules

MODEL_STAGES = (*PIPELINE_STAGES, Stage.APPROVED, Stage.IN_PROGRESS, Stage.ON_HOLD)
# A requirement on a project outside the model is met when that project is funded or done.
REQUIREMENT_MET_STAGES = (*ACTIVE_STAGES, Stage.CLOSED)
HORIZON_MONTHS = 24
BENEFIT_YEARS_WITHOUT_TOTAL = 3
UNSCORED_DEFAULT = 50.0
FRONTIER_LEVELS = tuple(level / 100 for level in range(50, 151, 10))
SOLVER_TIME_LIMIT_SECONDS = 20  # a safety net: past it, the best slate found so far
FRONTIER_POINT_TIME_LIMIT_SECONDS = 10
# CBC's parallel branch and bound closes the hard cases (many binding rows) several times
# faster than one thread.
SOLVER_THREADS = max(1, min(os.cpu_count() or 1, 4))
BEST_POSSIBLE = re.compile(r"best possible (-?[\d.e+]+)")
# Money and hours are compared with this relative tolerance: the solver's answer is a float.
TOLERANCE = 1e-7

BUDGET, CAPACITY = "budget", "capacity"
OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# A constraint: ("budget", year label) or ("capacity", role name, "YYYY-MM").
Key = tuple[str, ...]


def constraint_label(key: Key) -> str:
    """ "budget 2027", "capacity Data engineer 2027-03"."""
    return " ".join(key)


def _fits(used: float, amount: float, limit: float) -> bool:
    return used + amount <= limit + TOLERANCE * max(1.0, abs(limit))


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _amount(key: Key, value: float) -> str:
    return f"{_number(value)} h" if key[0] == CAPACITY else _number(value)


# --- Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A project the selection may fund. `costs` maps planning years to its spend in them,
    `demand` maps (role, "YYYY-MM") to the hours it asks for."""

    id: int
    code: str
    value: float
    name: str = ""
    stage: str = Stage.CANDIDATE
    score: float = UNSCORED_DEFAULT  # priority score used (the fallback when unscored)
    scored: bool = True
    benefit: float = 0.0
    budget: float = 0.0
    costs: Mapping[str, float] = field(default_factory=dict)
    demand: Mapping[tuple[str, str], float] = field(default_factory=dict)
    mandatory: bool = False
    requires: frozenset[int] = frozenset()
    excludes: frozenset[int] = frozenset()
    # Why the project cannot be chosen whatever the rest, e.g. "requires X (cancelled)".
    blocked: str = ""
    # On hold because a committed scenario deferred it (Slate has no "deferred" stage).
    deferred: bool = False

    @cached_property
    def uses(self) -> dict[Key, float]:
        uses: dict[Key, float] = {(BUDGET, year): cost for year, cost in self.costs.items()}
        uses.update({(CAPACITY, role, month): h for (role, month), h in self.demand.items()})
        return uses

    @property
    def horizon_cost(self) -> float:
        """Its spend over the planning horizon (the budget's months inside it)."""
        return sum(self.costs.values())

    @property
    def hours(self) -> float:
        return sum(self.demand.values())

    @property
    def is_pipeline(self) -> bool:
        """Still to be decided: an idea, a candidate, or a deferred one."""
        return self.stage in PIPELINE_STAGES or self.deferred

    @property
    def stage_label(self) -> str:
        return "Deferred" if self.deferred else Stage(self.stage).label


@dataclass(frozen=True)
class PlanningYear:
    label: str
    share: float = 1.0  # months of the year inside the horizon ÷ 12
    committed: float = 0.0  # spend of projects outside the model (closing)


@dataclass(frozen=True)
class SelectionInput:
    candidates: tuple[Candidate, ...]
    budget: float  # per planning year
    years: tuple[PlanningYear, ...] = ()
    # Hours left per (role, "YYYY-MM") for the model's projects; negative when committed work
    # outside the model already exceeds the capacity.
    capacity: Mapping[tuple[str, str], float] = field(default_factory=dict)
    forced_in: frozenset[int] = frozenset()
    forced_out: frozenset[int] = frozenset()
    months: tuple[str, ...] = ()  # the horizon, "YYYY-MM", for display

    def __post_init__(self):
        # "Excludes" is symmetric (as Project.excludes is): make it so whatever the input.
        partners: dict[int, set[int]] = defaultdict(set)
        for candidate in self.candidates:
            for other in candidate.excludes:
                partners[candidate.id].add(other)
                partners[other].add(candidate.id)
        if any(partners[c.id] != c.excludes for c in self.candidates):
            symmetric = tuple(
                c
                if partners[c.id] == c.excludes
                else replace(c, excludes=frozenset(partners[c.id]))
                for c in self.candidates
            )
            object.__setattr__(self, "candidates", symmetric)

    def by_id(self) -> dict[int, Candidate]:
        return {candidate.id: candidate for candidate in self.candidates}

    def budget_limit(self, year: PlanningYear, budget: float | None = None) -> float:
        envelope = self.budget if budget is None else budget
        return max(0.0, envelope * year.share - year.committed)

    def limits(self, budget: float | None = None) -> dict[Key, float]:
        limits: dict[Key, float] = {
            (BUDGET, year.label): self.budget_limit(year, budget) for year in self.years
        }
        limits.update({(CAPACITY, *cell): max(0.0, hours) for cell, hours in self.capacity.items()})
        return limits

    def excluded_up_front(self) -> dict[int, str]:
        """Projects no slate may contain, with why."""
        reasons = dict.fromkeys(self.forced_out, "forced out by the scenario")
        for candidate in self.candidates:
            if candidate.blocked and candidate.id not in reasons:
                reasons[candidate.id] = candidate.blocked
        return reasons

    def with_budget(self, budget: float) -> SelectionInput:
        return SelectionInput(
            candidates=self.candidates,
            budget=budget,
            years=self.years,
            capacity=self.capacity,
            forced_in=self.forced_in,
            forced_out=self.forced_out,
            months=self.months,
        )


# --- Forced projects -----------------------------------------------------------------------


@dataclass(frozen=True)
class Infeasibility:
    constraint: str  # the constraint that fails, e.g. "budget 2027"
    message: str


def _names(candidates: Iterable[Candidate], limit: int = 5) -> str:
    codes = sorted(candidate.code for candidate in candidates)
    shown = ", ".join(codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


def forced_projects(data: SelectionInput) -> tuple[frozenset[int], Infeasibility | None]:
    """The projects every slate must contain (mandatory, forced in, and what they require),
    or the first reason no slate can: checked before solving, so the message names the
    constraint instead of showing a solver trace."""
    by_id = data.by_id()
    out = data.excluded_up_front()
    forced: set[int] = set()
    pending = [c.id for c in data.candidates if c.mandatory] + sorted(
        pid for pid in data.forced_in if pid in by_id
    )
    reason_of = {pid: "mandatory" if by_id[pid].mandatory else "forced in" for pid in pending}
    while pending:
        pid = pending.pop()
        if pid in forced:
            continue
        candidate = by_id[pid]
        if pid in out:
            why = reason_of[pid]
            return frozenset(), Infeasibility(
                constraint=f"{why} {candidate.code}",
                message=f"{candidate.code} must be selected ({why}) but is {out[pid]}.",
            )
        forced.add(pid)
        for required in sorted(candidate.requires):
            if required in by_id and required not in forced:
                reason_of.setdefault(required, f"required by {candidate.code}")
                pending.append(required)
    for pid in sorted(forced):
        for other in sorted(by_id[pid].excludes & forced):
            if pid < other:
                a, b = by_id[pid], by_id[other]
                return frozenset(), Infeasibility(
                    constraint=f"{a.code} excludes {b.code}",
                    message=f"{a.code} and {b.code} must both be selected, but they exclude "
                    "each other.",
                )
    used: dict[Key, float] = defaultdict(float)
    for pid in forced:
        for key, amount in by_id[pid].uses.items():
            used[key] += amount
    limits = data.limits()
    for key in sorted(used, key=lambda k: (k[0] != BUDGET, k)):
        limit = limits.get(key, 0.0)
        if not _fits(used[key], 0.0, limit):
            needing = [by_id[pid] for pid in forced if by_id[pid].uses.get(key)]
            label = constraint_label(key)
            return frozenset(), Infeasibility(
                constraint=label,
                message=(
                    f"The projects that must be selected ({_names(needing)}) need "
                    f"{_amount(key, used[key])} of {label}, but only {_amount(key, limit)} "
                    "is available."
                ),
            )
    return frozenset(forced), None


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a project is not in a slate: the constraint it would break, and by how much."""

    constraint: str
    detail: str = ""
    kind: str = ""  # budget, capacity, requires, excludes, forced, value

    def __str__(self):
        return f"{self.constraint} ({self.detail})" if self.detail else self.constraint


@dataclass(frozen=True)
class ConstraintUse:
    key: Key
    limit: float
    used: float
    available: float  # before clamping: negative when already over-committed

    @property
    def label(self) -> str:
        return constraint_label(self.key)

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def slack(self) -> float:
        return self.limit - self.used

    @property
    def utilisation(self) -> float | None:
        return self.used * 100 / self.limit if self.limit else None


@dataclass(frozen=True)
class Selection:
    status: str  # optimal, feasible (stopped at the time limit), infeasible, error
    budget: float
    chosen: frozenset[int] = frozenset()
    value: float = 0.0
    reasons: Mapping[int, tuple[Reason, ...]] = field(default_factory=dict)
    usage: Mapping[Key, float] = field(default_factory=dict)
    infeasibility: Infeasibility | None = None
    message: str = ""
    solve_seconds: float = 0.0
    bound: float | None = None  # the solver's best possible value, when it stopped early

    @property
    def ok(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)

    @property
    def proven_optimal(self) -> bool:
        return self.status == OPTIMAL

    @property
    def gap(self) -> float | None:
        """How far the value may be from the optimum, in % of the best possible (0 when
        proven optimal; None when the solver stopped without saying)."""
        if self.proven_optimal:
            return 0.0
        if self.bound is None or not self.bound:
            return None
        return max(0.0, (self.bound - self.value) * 100 / abs(self.bound))


def _usage(data: SelectionInput, chosen: Iterable[int]) -> dict[Key, float]:
    by_id = data.by_id()
    used: dict[Key, float] = defaultdict(float)
    for pid in chosen:
        for key, amount in by_id[pid].uses.items():
            used[key] += amount
    return dict(used)


def explain_rejections(
    data: SelectionInput, chosen: frozenset[int], budget: float | None = None
) -> dict[int, tuple[Reason, ...]]:
    """For each project left out of `chosen`, what adding it on top of the slate would break:
    a scenario or link first (forced out, excludes a chosen project, requires one that is not
    chosen), then every budget year and capacity cell it would overflow. A project that
    breaks nothing is left out because it adds no value."""
    by_id = data.by_id()
    limits = data.limits(budget)
    used = _usage(data, chosen)
    out = data.excluded_up_front()
    reasons: dict[int, tuple[Reason, ...]] = {}
    for candidate in data.candidates:
        if candidate.id in chosen:
            continue
        found: list[Reason] = []
        if candidate.id in out:
            found.append(Reason(out[candidate.id], kind="forced"))
        for other in sorted(candidate.excludes & chosen, key=lambda pid: by_id[pid].code):
            found.append(Reason(f"excludes {by_id[other].code}", "chosen", kind="excludes"))
        for other in sorted(candidate.requires - chosen, key=lambda pid: by_id[pid].code):
            if other in by_id:
                found.append(Reason(f"requires {by_id[other].code}", "not chosen", "requires"))
        for key, amount in sorted(candidate.uses.items(), key=lambda item: _key_order(item[0])):
            limit = limits.get(key, 0.0)
            already = used.get(key, 0.0)
            if amount > 0 and not _fits(already, amount, limit):
                left = max(0.0, limit - already)
                found.append(
                    Reason(
                        constraint_label(key),
                        f"needs {_amount(key, amount)}, {_amount(key, left)} left",
                        kind=key[0],
                    )
                )
        if not found and candidate.value > 0:
            # Only a solver stopped by its time limit leaves out a project that fits.
            found.append(Reason("would fit", "not reached within the solver's time limit"))
        elif not found:
            found.append(Reason("adds no value", "no benefit or priority recorded", "value"))
        reasons[candidate.id] = tuple(found)
    return reasons


def _key_order(key: Key):
    return (0 if key[0] == BUDGET else 1, key[1:] if key[0] == BUDGET else (key[2], key[1]))


def _without_worthless(data: SelectionInput, chosen: set[int]) -> set[int]:
    """Drop projects that add no value unless they must be in or a chosen project requires
    them: a solver may keep them at no cost, but funding them buys nothing."""
    by_id, chosen = data.by_id(), set(chosen)
    while True:
        required = {r for pid in chosen for r in by_id[pid].requires}
        worthless = {
            pid
            for pid in chosen
            if by_id[pid].value <= 0
            and not by_id[pid].mandatory
            and pid not in data.forced_in
            and pid not in required
        }
        if not worthless:
            return chosen
        chosen -= worthless


def _selection(data: SelectionInput, status: str, chosen, budget, seconds=0.0) -> Selection:
    chosen = frozenset(_without_worthless(data, chosen))
    by_id = data.by_id()
    return Selection(
        status=status,
        budget=budget,
        chosen=chosen,
        value=sum(by_id[pid].value for pid in chosen),
        reasons=explain_rejections(data, chosen, budget),
        usage=_usage(data, chosen),
        solve_seconds=seconds,
    )


# --- The optimiser -------------------------------------------------------------------------


class SelectionModel:
    """The PuLP model of one input, built once: `solve(budget=...)` changes only the budget
    constraints' right-hand sides, so the frontier re-solves the same model.

    Constraints are built from pre-grouped term lists (one LpAffineExpression per row), never
    by `+=` in loops, and capacity cells that every candidate together cannot overflow are
    left out: they can never bind."""

    def __init__(self, data: SelectionInput):
        started = time.perf_counter()
        self.data = data
        self.forced, self.infeasibility = forced_projects(data)
        self.problem = pulp.LpProblem("project_selection", pulp.LpMaximize)
        out = data.excluded_up_front()
        # Integer in [0, 1] rather than LpBinary: PuLP resets a binary's bounds to 0 and 1,
        # and the bounds are how forced projects are fixed.
        add_variable = getattr(self.problem, "add_variable", pulp.LpVariable)  # PuLP < 3.3
        self.variables = {
            c.id: add_variable(
                f"x{c.id}",
                lowBound=1 if c.id in self.forced else 0,
                upBound=0 if c.id in out else 1,
                cat=pulp.LpInteger,
            )
            for c in data.candidates
        }
        x = self.variables
        self.problem.setObjective(
            pulp.LpAffineExpression([(x[c.id], c.value) for c in data.candidates if c.value])
        )
        terms: dict[Key, list] = defaultdict(list)
        totals: dict[Key, float] = defaultdict(float)
        for candidate in data.candidates:
            for key, amount in candidate.uses.items():
                if amount > 0:
                    terms[key].append((x[candidate.id], amount))
                    totals[key] += amount
        limits = data.limits()
        self.budget_constraints: dict[str, pulp.LpConstraint] = {}
        for number, (key, row) in enumerate(sorted(terms.items(), key=lambda kv: kv[0])):
            if key[0] == CAPACITY and _fits(totals[key], 0.0, limits.get(key, 0.0)):
                continue
            constraint = pulp.LpConstraint(
                pulp.LpAffineExpression(row),
                sense=pulp.LpConstraintLE,
                rhs=limits.get(key, 0.0),
                name=f"{key[0][0]}{number}",
            )
            self.problem.addConstraint(constraint)
            if key[0] == BUDGET:
                self.budget_constraints[key[1]] = constraint
        for candidate in data.candidates:
            for required in sorted(candidate.requires):
                if required in x:
                    self.problem.addConstraint(
                        pulp.LpConstraint(
                            pulp.LpAffineExpression([(x[candidate.id], 1), (x[required], -1)]),
                            sense=pulp.LpConstraintLE,
                            rhs=0,
                            name=f"r{candidate.id}_{required}",
                        )
                    )
            for other in sorted(candidate.excludes):
                if other in x and candidate.id < other:
                    self.problem.addConstraint(
                        pulp.LpConstraint(
                            pulp.LpAffineExpression([(x[candidate.id], 1), (x[other], 1)]),
                            sense=pulp.LpConstraintLE,
                            rhs=1,
                            name=f"e{candidate.id}_{other}",
                        )
                    )
        self.build_seconds = time.perf_counter() - started

    def solve(
        self,
        *,
        budget: float | None = None,
        warm_start: bool = False,
        time_limit: float = SOLVER_TIME_LIMIT_SECONDS,
        log_path: str | None = None,
    ) -> Selection:
        data = self.data
        budget = data.budget if budget is None else budget
        infeasibility = self.infeasibility
        if infeasibility is None and budget != data.budget:
            infeasibility = forced_projects(data.with_budget(budget))[1]
        if infeasibility is not None:
            return Selection(
                status=INFEASIBLE,
                budget=budget,
                infeasibility=infeasibility,
                message=infeasibility.message,
            )
        if not data.candidates:
            return _selection(data, OPTIMAL, (), budget)
        for year in data.years:
            if year.label in self.budget_constraints:
                self.budget_constraints[year.label].changeRHS(data.budget_limit(year, budget))
        with tempfile.TemporaryDirectory(prefix="slate-selection-") as directory:
            log = log_path or os.path.join(directory, "cbc.log")
            # gapRel=0: CBC stops only when the slate is proven optimal (or at the time limit).
            solver = pulp.PULP_CBC_CMD(
                msg=False,
                timeLimit=time_limit,
                gapRel=0,
                warmStart=warm_start,
                logPath=log,
                threads=SOLVER_THREADS,
            )
            started = time.perf_counter()
            try:
                self.problem.solve(solver)
            except pulp.PulpSolverError as error:
                return Selection(
                    status=ERROR,
                    budget=budget,
                    message=f"The solver could not run ({type(error).__name__}).",
                )
            seconds = time.perf_counter() - started
            bound = _best_possible(log)
        if self.problem.status != pulp.LpStatusOptimal:
            # Cannot happen after the forced-project check (the forced set alone is a
            # feasible slate), but a solver refusal still gets words, not a trace.
            return Selection(
                status=ERROR,
                budget=budget,
                message="The solver found no slate within "
                f"{time_limit:g} s ({pulp.LpStatus[self.problem.status]}).",
                solve_seconds=seconds,
            )
        chosen = [pid for pid, var in self.variables.items() if (var.varValue or 0) > 0.5]
        proven = self.problem.sol_status == pulp.LpSolutionOptimal
        result = _selection(data, OPTIMAL if proven else FEASIBLE, chosen, budget, seconds)
        return result if proven else replace(result, bound=bound)


def _best_possible(log_path: str) -> float | None:
    """CBC's bound when it stopped early ("Partial search - … (best possible -1.2e+09)"; CBC
    minimises, so a maximum shows negated)."""
    try:
        with open(log_path, errors="replace") as log:
            found = BEST_POSSIBLE.findall(log.read())
    except OSError:
        return None
    return abs(float(found[-1])) if found else None


def optimise(data: SelectionInput, **options) -> Selection:
    return SelectionModel(data).solve(**options)


# --- Greedy rank-by-score ------------------------------------------------------------------


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
        return Selection(
            status=INFEASIBLE,
            budget=budget,
            infeasibility=infeasibility,
            message=infeasibility.message,
        )
    by_id = data.by_id()
    out = data.excluded_up_front()
    limits = data.limits(budget)
    chosen = set(forced)
    used = defaultdict(float, _usage(data, chosen))
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
        if all(_fits(used[key], amount, limits.get(key, 0.0)) for key, amount in extra.items()):
            chosen |= bundle
            for key, amount in extra.items():
                used[key] += amount
    return _selection(data, FEASIBLE, chosen, budget)


# --- Efficient frontier --------------------------------------------------------------------


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


# --- Presentation helpers shared by the pages ----------------------------------------------


@dataclass(frozen=True)
class YearBudget:
    label: str
    limit: float
    committed: float
    optimised: float
    greedy: float

    @property
    def slack(self) -> float:
        return self.limit - self.optimised


@dataclass(frozen=True)
class RoleLoad:
    role: str
    demand: float  # hours the slate asks of the role over the horizon
    available: float  # hours left for the model's projects over the horizon
    peak_month: str
    peak_utilisation: float | None  # demand ÷ available in the busiest month, %
    full_months: int  # months with no hours left after the slate

    @property
    def utilisation(self) -> float | None:
        return self.demand * 100 / self.available if self.available > 0 else None


def year_budgets(data: SelectionInput, optimised: Selection, greedy_choice: Selection):
    return [
        YearBudget(
            label=year.label,
            limit=data.budget_limit(year, optimised.budget),
            committed=year.committed,
            optimised=optimised.usage.get((BUDGET, year.label), 0.0),
            greedy=greedy_choice.usage.get((BUDGET, year.label), 0.0),
        )
        for year in data.years
    ]


def role_loads(data: SelectionInput, selection: Selection) -> list[RoleLoad]:
    """Per role: the slate's hours against the hours left, and its busiest month. Roles the
    slate does not use are left out."""
    by_role: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (role, month), available in data.capacity.items():
        demand = selection.usage.get((CAPACITY, role, month), 0.0)
        by_role[role].append((month, demand, max(0.0, available)))
    loads = []
    for role, cells in sorted(by_role.items()):
        demand = sum(cell[1] for cell in cells)
        if not demand:
            continue
        peak = max(cells, key=_pressure)
        loads.append(
            RoleLoad(
                role=role,
                demand=demand,
                available=sum(cell[2] for cell in cells),
                peak_month=peak[0],
                peak_utilisation=peak[1] * 100 / peak[2] if peak[2] else None,
                full_months=sum(
                    1 for _m, hours, available in cells if hours and not _fits(hours, 1, available)
                ),
            )
        )
    return loads


def _pressure(cell: tuple[str, float, float]) -> float:
    _month, hours, available = cell
    if available:
        return hours / available
    return float("inf") if hours else 0.0


@dataclass(frozen=True)
class Binding:
    """A budget year, or a role over the months it binds in, and how many projects it keeps
    out."""

    label: str
    projects: int
    months: tuple[str, ...] = ()

    @property
    def months_label(self) -> str:
        if len(self.months) <= 3:
            return ", ".join(self.months)
        return f"{self.months[0]} … {self.months[-1]} ({len(self.months)} months)"


def binding_constraints(data: SelectionInput, selection: Selection) -> list[Binding]:
    """The constraints named in the rejections, capacity grouped by role, with how many
    projects each keeps out, most first: what each constraint costs the portfolio."""
    kept_out: dict[str, set[int]] = defaultdict(set)
    months: dict[str, set[str]] = defaultdict(set)
    for pid, reasons in selection.reasons.items():
        for reason in reasons:
            if reason.kind == BUDGET:
                kept_out[reason.constraint].add(pid)
            elif reason.kind == CAPACITY:
                label, month = reason.constraint.rsplit(" ", 1)
                kept_out[label].add(pid)
                months[label].add(month)
    rows = [
        Binding(label=label, projects=len(pids), months=tuple(sorted(months.get(label, ()))))
        for label, pids in kept_out.items()
    ]
    return sorted(
        rows, key=lambda row: (-row.projects, not row.label.startswith(BUDGET), row.label)
    )


# --- Loading from the database -------------------------------------------------------------


def _month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def fiscal_year_label(month: date, start_month: int) -> str:
    """The planning year a month belongs to: "2027" for calendar years, else "FY 2027/28"
    (named by the calendar year it starts in)."""
    if start_month == 1:
        return str(month.year)
    first = month.year if month.month >= start_month else month.year - 1
    return f"FY {first}/{(first + 1) % 100:02d}"


def _calendar_standard_hours(months: list[date]) -> dict[int | None, list[Decimal]]:
    """Standard hours of each month per calendar (None: the default calendar), the hours an
    FTE allocation converts with (resources.capacity)."""
    rules = calendar_rules()
    return {pk: [rule.standard_hours(month) for month in months] for pk, rule in rules.items()}


def _spread_allocations(rows, months, month_index, standard_hours, add) -> None:
    """Call add(owner, role, month index, hours) for every month of every allocation row
    (owner, role, unit, amount, start month, end month, calendar id) inside the horizon."""
    from resources.capacity import allocation_hours

    last = len(months) - 1
    for owner, role, unit, amount, start, end, calendar_id in rows:
        first_index = month_index.get(start, 0 if start < months[0] else None)
        if first_index is None:
            continue
        last_index = month_index.get(end, last if end > months[-1] else None)
        if last_index is None:
            continue
        hours_of = standard_hours.get(calendar_id, standard_hours[None])
        for index in range(first_index, last_index + 1):
            add(owner, role, index, allocation_hours(unit, amount, hours_of[index]))


def selection_input(
    *,
    portfolio,
    as_of: date,
    budget: Decimal | float | None = None,
    scenario=None,
    horizon_months: int = HORIZON_MONTHS,
) -> SelectionInput:
    """The selection input of one portfolio: its envelope (or `budget`, or the scenario's
    budget limit), and the scenario's forced projects and capacity changes."""
    from projects.models import Project

    forced_in, forced_out, capacity_changes = frozenset(), frozenset(), {}
    if scenario is not None:
        budget = scenario.budget_limit if budget is None else budget
        forced_in = frozenset(scenario.forced_in.values_list("pk", flat=True))
        forced_out = frozenset(scenario.forced_out.values_list("pk", flat=True))
        capacity_changes = scenario.capacity_changes or {}
    return load_selection_input(
        projects=Project.objects.filter(portfolio=portfolio),
        fiscal_year_start_month=portfolio.fiscal_year_start_month,
        budget=portfolio.budget_envelope if budget is None else budget,
        as_of=as_of,
        forced_in=forced_in,
        forced_out=forced_out,
        capacity_changes=capacity_changes,
        horizon_months=horizon_months,
    )


def load_selection_input(
    *,
    projects,
    fiscal_year_start_month: int,
    budget: Decimal | float,
    as_of: date,
    forced_in: frozenset[int] = frozenset(),
    forced_out: frozenset[int] = frozenset(),
    capacity_changes: Mapping[str, Mapping[str, float]] | None = None,
    horizon_months: int = HORIZON_MONTHS,
) -> SelectionInput:
    """Build the input from `projects` (a Project queryset: one portfolio, or several for the
    benchmark) in a fixed number of queries, however many projects, roles and allocations."""
    from portfolio.models import GateDecision
    from projects.models import Project
    from resources.models import Allocation, AllocationStatus
    from resources.selectors import role_capacity_grid

    first_month = month_start(as_of)
    months = [add_months(first_month, n) for n in range(horizon_months)]
    month_index = {month: n for n, month in enumerate(months)}
    month_keys = [_month_key(month) for month in months]
    year_of = [fiscal_year_label(month, fiscal_year_start_month) for month in months]
    horizon_end = month_end(months[-1])

    # 1. The projects: the model's and those closing (committed spend outside the model).
    rows = list(
        projects.filter(
            stage__in=(*MODEL_STAGES, Stage.CLOSING), start_date__lte=horizon_end
        ).values_list(
            "pk",
            "code",
            "name",
            "stage",
            "budget",
            "expected_benefit",
            "annual_benefit",
            "is_mandatory",
            "start_date",
            "end_date",
        )
    )
    model_rows = [row for row in rows if row[3] in MODEL_STAGES]
    model_ids = [row[0] for row in model_rows]
    model_projects = projects.filter(stage__in=MODEL_STAGES, start_date__lte=horizon_end)

    def spend(budget_amount, start, end) -> dict[str, float]:
        project_months = (end.year - start.year) * 12 + end.month - start.month + 1
        monthly = float(budget_amount) / project_months
        costs: dict[str, float] = defaultdict(float)
        first = month_start(start)
        for index, month in enumerate(months):
            if first <= month <= end:
                costs[year_of[index]] += monthly
        return dict(costs)

    committed: dict[str, float] = defaultdict(float)
    for *_head, stage, amount, _eb, _ab, _m, start, end in rows:
        if stage == Stage.CLOSING:
            for year, cost in spend(amount, start, end).items():
                committed[year] += cost

    # 2–3. Links. A link to a project outside the model is settled here, once.
    requires, excludes = defaultdict(set), defaultdict(set)
    blocked: dict[int, str] = {}
    model_set = set(model_ids)
    for source, target, target_stage, target_code in Project.requires.through.objects.filter(
        from_project__in=model_projects
    ).values_list("from_project_id", "to_project_id", "to_project__stage", "to_project__code"):
        if target in model_set:
            requires[source].add(target)
        elif target_stage not in REQUIREMENT_MET_STAGES:
            label = Stage(target_stage).label.lower()
            blocked.setdefault(source, f"requires {target_code} ({label})")
    for source, target, target_stage, target_code in Project.excludes.through.objects.filter(
        from_project__in=model_projects
    ).values_list("from_project_id", "to_project_id", "to_project__stage", "to_project__code"):
        if target in model_set:
            excludes[source].add(target)
        elif target_stage in REQUIREMENT_MET_STAGES:
            label = Stage(target_stage).label.lower()
            blocked.setdefault(source, f"excludes {target_code} ({label})")

    # 4–6. Hours: the model's allocations, and the confirmed ones of committed projects
    # outside it, with the calendars their FTE converts with.
    standard_hours = _calendar_standard_hours(months)
    window = {"start_month__lte": months[-1], "end_month__gte": months[0]}
    fields = ("project_id", "role__name", "unit", "amount", "start_month", "end_month")
    demand: dict[int, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))

    def add_demand(pid, role, index, hours):
        demand[pid][(role, month_keys[index])] += float(hours)

    _spread_allocations(
        Allocation.objects.filter(project__in=model_projects, **window)
        .exclude(status=AllocationStatus.REJECTED)
        .values_list(*fields, "resource__calendar_id"),
        months,
        month_index,
        standard_hours,
        add_demand,
    )
    outside: dict[tuple[str, str], float] = defaultdict(float)

    def add_outside(_pid, role, index, hours):
        outside[(role, month_keys[index])] += float(hours)

    _spread_allocations(
        Allocation.objects.filter(
            status=AllocationStatus.CONFIRMED, project__stage__in=ACTIVE_STAGES, **window
        )
        .exclude(project__in=model_projects)
        .values_list(*fields, "resource__calendar_id"),
        months,
        month_index,
        standard_hours,
        add_outside,
    )

    # 7. Capacity of every role and month (resources.selectors: the formulas live there).
    grid = role_capacity_grid(first_month=first_month, month_count=horizon_months)
    capacity: dict[tuple[str, str], float] = {}
    for row in grid.rows:
        for month_key, cell in zip(month_keys, row.cells, strict=True):
            cell_key = (row.label, month_key)
            capacity[cell_key] = float(cell.capacity) - outside.get(cell_key, 0.0)
    for role, changes in (capacity_changes or {}).items():
        for month_key, hours in changes.items():
            if (role, month_key) in capacity:
                capacity[(role, month_key)] += float(hours)

    # 8. Deferred: on hold since a gate decision took them from idea or candidate.
    latest_from: dict[int, str] = {}
    for pid, from_stage in (
        GateDecision.objects.filter(project__in=model_projects, project__stage=Stage.ON_HOLD)
        .order_by("project_id", "-decided_on", "-recorded_at", "-pk")
        .values_list("project_id", "from_stage")
    ):
        latest_from.setdefault(pid, from_stage)

    # 9. Priority scores (portfolio.priority: the one formula).
    from portfolio.priority import priority_scores

    scores = priority_scores(project_ids=model_ids)
    known = [float(score) for score in scores.values() if score is not None]
    fallback = statistics.median(known) if known else UNSCORED_DEFAULT

    candidates = []
    for pid, code, name, stage, amount, expected, annual, mandatory, start, end in model_rows:
        benefit = float(expected) or float(annual) * BENEFIT_YEARS_WITHOUT_TOTAL
        score = scores.get(pid)
        used_score = fallback if score is None else float(score)
        candidates.append(
            Candidate(
                id=pid,
                code=code,
                name=name,
                stage=stage,
                value=benefit * used_score / 100,
                score=used_score,
                scored=score is not None,
                benefit=benefit,
                budget=float(amount),
                costs=spend(amount, start, end),
                demand=dict(demand.get(pid, {})),
                mandatory=mandatory,
                requires=frozenset(requires.get(pid, ())),
                excludes=frozenset(excludes.get(pid, ())),
                blocked=blocked.get(pid, ""),
                deferred=stage == Stage.ON_HOLD and latest_from.get(pid) in PIPELINE_STAGES,
            )
        )
    share: dict[str, int] = defaultdict(int)
    for label in year_of:
        share[label] += 1
    return SelectionInput(
        candidates=tuple(candidates),
        budget=float(budget),
        years=tuple(
            PlanningYear(label=label, share=count / 12, committed=committed.get(label, 0.0))
            for label, count in share.items()
        ),
        capacity=capacity,
        forced_in=frozenset(forced_in) & model_set,
        forced_out=frozenset(forced_out) & model_set,
        months=tuple(month_keys),
    )


# --- The selection page ---------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionRow:
    candidate: Candidate
    optimised: bool
    greedy: bool
    greedy_rank: int
    reasons: tuple[Reason, ...] = ()  # why the optimiser left it out
    greedy_reasons: tuple[Reason, ...] = ()  # why the greedy ranking left it out

    @property
    def first_reasons(self) -> tuple[Reason, ...]:
        return self.reasons[:3]

    @property
    def more_reasons(self) -> int:
        return max(0, len(self.reasons) - 3)


@dataclass(frozen=True)
class SelectionReport:
    data: SelectionInput
    optimised: Selection
    greedy: Selection
    chosen: list[SelectionRow]
    rejected: list[SelectionRow]
    only_optimised: list[SelectionRow]
    only_greedy: list[SelectionRow]
    years: list[YearBudget]
    loads: list[RoleLoad]
    binding: list[Binding]

    @property
    def value_gap(self) -> float:
        return self.optimised.value - self.greedy.value

    @property
    def greedy_behind_percent(self) -> float | None:
        if not self.optimised.value:
            return None
        return self.value_gap * 100 / self.optimised.value

    @property
    def unscored(self) -> int:
        return sum(1 for c in self.data.candidates if not c.scored)

    @property
    def fallback_score(self) -> float | None:
        unscored = [c.score for c in self.data.candidates if not c.scored]
        return unscored[0] if unscored else None

    @property
    def spend(self) -> float:
        return sum(year.optimised for year in self.years)

    @property
    def greedy_spend(self) -> float:
        return sum(year.greedy for year in self.years)


def build_report(data: SelectionInput, optimised: Selection | None = None) -> SelectionReport:
    """The optimal slate, the greedy one beside it, and what each constraint cost."""
    optimised = optimised or optimise(data)
    greedy_choice = greedy(data)
    rank = {c.id: n for n, c in enumerate(greedy_order(data), start=1)}
    rows = [
        SelectionRow(
            candidate=c,
            optimised=c.id in optimised.chosen,
            greedy=c.id in greedy_choice.chosen,
            greedy_rank=rank[c.id],
            reasons=optimised.reasons.get(c.id, ()),
            greedy_reasons=greedy_choice.reasons.get(c.id, ()),
        )
        for c in data.candidates
    ]
    by_rank = sorted(rows, key=lambda row: row.greedy_rank)
    return SelectionReport(
        data=data,
        optimised=optimised,
        greedy=greedy_choice,
        chosen=[row for row in by_rank if row.optimised],
        rejected=[row for row in by_rank if not row.optimised],
        only_optimised=[row for row in by_rank if row.optimised and not row.greedy],
        only_greedy=[row for row in by_rank if row.greedy and not row.optimised],
        years=year_budgets(data, optimised, greedy_choice) if optimised.ok else [],
        loads=role_loads(data, optimised) if optimised.ok else [],
        binding=binding_constraints(data, optimised) if optimised.ok else [],
    )


def selection_report(
    *, portfolio, as_of: date, budget: Decimal | None = None, scenario=None
) -> SelectionReport:
    return build_report(
        selection_input(portfolio=portfolio, as_of=as_of, budget=budget, scenario=scenario)
    )


def frontier_report(*, portfolio, as_of: date, scenario=None) -> list[FrontierPoint]:
    data = selection_input(portfolio=portfolio, as_of=as_of, scenario=scenario)
    return efficient_frontier(data, time_limit=FRONTIER_POINT_TIME_LIMIT_SECONDS)
