"""The selection model: which projects to fund under the budget per planning year and the
capacity per role per month, a PuLP model solved by HiGHS or CBC (`solvers`). Pure: plain frozen
dataclasses in (`SelectionInput`), a plain `Selection` out, no database, so the tests can
brute-force small instances. Money is in the portfolio's currency, hours are hours; floats,
since the solver works in floats anyway. `loader` builds the input from the database.

- one binary x_p per project of `MODEL_STAGES` (ideas, candidates, approved, in-progress and
  on-hold projects; closing, closed and cancelled ones are not choices any more);
- committed projects (`COMMITTED_STAGES`: approved and in progress) are fixed to 1 unless
  the scenario stops them, and their budget and hours are reserved first: the other
  projects share what is left, max(0, limit − reserved). Committed work beyond a limit is
  an over-commitment to report, never a reason to drop a running project;
- maximise Σ value_p × x_p;
- budget, for every planning year: Σ cost_p,y × x_p ≤ envelope × the year's share of the
  horizon − committed spend outside the model − spend reserved by committed projects;
- capacity, for every role and month: Σ hours_p,r,m × x_p ≤ the hours left for the model −
  the hours reserved by committed projects;
- mandatory and forced-in projects fixed to 1, stopped, forced-out and blocked ones to 0;
  "a requires b": x_a ≤ x_b; "a excludes b": x_a + x_b ≤ 1 (unless both are committed).

docs/formulas.md, "Optimised selection", writes it out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import pulp
from django.conf import settings

from portfolio.selection import solvers
from projects.querysets import PIPELINE_STAGES, Stage

MODEL_STAGES = (*PIPELINE_STAGES, Stage.APPROVED, Stage.IN_PROGRESS, Stage.ON_HOLD)
# Funded and not finished: in every slate unless the scenario stops them.
COMMITTED_STAGES = (Stage.APPROVED, Stage.IN_PROGRESS)
UNSCORED_DEFAULT = 50.0
SOLVER_TIME_LIMIT_SECONDS = 20  # a safety net: past it, the best slate found so far
# Money and hours are compared with this relative tolerance: the solver's answer is a float.
TOLERANCE = 1e-7

BUDGET, CAPACITY = "budget", "capacity"
OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# A constraint: ("budget", year label) or ("capacity", role name, "YYYY-MM").
Key = tuple[str, ...]


def constraint_label(key: Key) -> str:
    """ "budget 2027", "capacity Data engineer 2027-03"."""
    return " ".join(key)


def fits(used: float, amount: float, limit: float) -> bool:
    """Whether `amount` more fits on top of `used` under `limit`, within TOLERANCE."""
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
    # On hold because a committed scenario deferred it (Slate has no "deferred" stage): the
    # pipeline stage (idea or candidate) it was deferred from.
    deferred_from: str = ""

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
    def deferred(self) -> bool:
        return bool(self.deferred_from)

    @property
    def is_pipeline(self) -> bool:
        """Still to be decided: an idea, a candidate, or a deferred one."""
        return self.stage in PIPELINE_STAGES or self.deferred

    @property
    def pipeline_stage(self) -> str:
        """Idea or candidate: where a pipeline project stands at the gates ("" otherwise)."""
        return self.stage if self.stage in PIPELINE_STAGES else self.deferred_from

    @property
    def is_committed(self) -> bool:
        """Approved or in progress: in every slate unless a scenario stops it."""
        return self.stage in COMMITTED_STAGES

    @property
    def stage_label(self) -> str:
        return "Deferred" if self.deferred else Stage(self.stage).label


@dataclass(frozen=True)
class PlanningYear:
    label: str
    share: float = 1.0  # months of the year inside the horizon ÷ 12
    committed: float = 0.0  # spend of projects outside the model (closing)


@dataclass(frozen=True)
class _OnConstraint:
    key: Key

    @property
    def label(self) -> str:
        return constraint_label(self.key)

    @property
    def kind(self) -> str:
        return self.key[0]


@dataclass(frozen=True)
class OverCommitment(_OnConstraint):
    """A budget year or capacity cell that committed projects alone overflow."""

    needed: float  # what the committed projects reserve
    available: float  # the limit

    @property
    def excess(self) -> float:
        return self.needed - self.available

    def __str__(self):
        return (
            f"{self.label} (committed work needs {_amount(self.key, self.needed)}, "
            f"{_amount(self.key, self.available)} available)"
        )


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
    # Committed projects the scenario stops (recorded as a no-go when it is committed).
    stopped: frozenset[int] = frozenset()
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

    @cached_property
    def committed(self) -> frozenset[int]:
        """The approved and in-progress projects the scenario does not stop."""
        return frozenset(
            c.id for c in self.candidates if c.is_committed and c.id not in self.stopped
        )

    @cached_property
    def reserved(self) -> dict[Key, float]:
        """The budget and hours the committed projects hold before anything is chosen."""
        return usage_by_constraint(self, self.committed)

    def room(self, budget: float | None = None) -> dict[Key, float]:
        """What the limits leave for the projects that are not committed."""
        reserved = self.reserved
        return {
            key: max(0.0, limit - reserved.get(key, 0.0))
            for key, limit in self.limits(budget).items()
        }

    def over_commitments(self, budget: float | None = None) -> tuple[OverCommitment, ...]:
        """The budget years and capacity cells committed work alone overflows, years first."""
        limits = self.limits(budget)
        found = [
            OverCommitment(key=key, needed=amount, available=limits.get(key, 0.0))
            for key, amount in self.reserved.items()
            if amount > 0 and not fits(amount, 0.0, limits.get(key, 0.0))
        ]
        return tuple(sorted(found, key=lambda over: _key_order(over.key)))

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
        """Projects no slate may contain, with why. Only a stop takes a committed project
        out: forcing it out, or a link to a project outside the model, does not."""
        reasons = dict.fromkeys(self.stopped, "stopped by the scenario")
        committed = self.committed
        for pid in self.forced_out - committed:
            reasons.setdefault(pid, "forced out by the scenario")
        for candidate in self.candidates:
            if candidate.blocked and candidate.id not in reasons and candidate.id not in committed:
                reasons[candidate.id] = candidate.blocked
        return reasons

    def with_budget(self, budget: float) -> SelectionInput:
        return replace(self, budget=budget)


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
    """The projects every slate must contain (committed, mandatory, forced in, and what they
    require), or the first reason no slate can: checked before solving, so the message names
    the constraint instead of showing a solver trace. Committed projects never make a slate
    infeasible by their budget or hours (see `SelectionInput.over_commitments`); the others
    must fit in what committed work leaves."""
    by_id = data.by_id()
    out = data.excluded_up_front()
    committed = data.committed
    forced: set[int] = set()
    pending = [c.id for c in data.candidates if c.mandatory] + sorted(
        pid for pid in data.forced_in if pid in by_id
    )
    reason_of = {pid: "mandatory" if by_id[pid].mandatory else "forced in" for pid in pending}
    for pid in sorted(committed):
        reason_of[pid] = f"committed, {Stage(by_id[pid].stage).label.lower()}"
        pending.append(pid)
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
            # Two running projects that exclude each other are both running: a fact, not a
            # choice the selection can undo.
            if pid < other and not {pid, other} <= committed:
                a, b = by_id[pid], by_id[other]
                return frozenset(), Infeasibility(
                    constraint=f"{a.code} excludes {b.code}",
                    message=f"{a.code} and {b.code} must both be selected, but they exclude "
                    "each other.",
                )
    chosen = forced - committed
    used = usage_by_constraint(data, chosen)
    room = data.room()
    for key in sorted(used, key=lambda k: (k[0] != BUDGET, k)):
        limit = room.get(key, 0.0)
        if used[key] > 0 and not fits(used[key], 0.0, limit):
            needing = [by_id[pid] for pid in chosen if by_id[pid].uses.get(key)]
            label = constraint_label(key)
            after = " after committed work" if data.reserved.get(key) else ""
            return frozenset(), Infeasibility(
                constraint=label,
                message=(
                    f"The projects that must be selected ({_names(needing)}) need "
                    f"{_amount(key, used[key])} of {label}, but only {_amount(key, limit)} "
                    f"is available{after}."
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
class ConstraintUse(_OnConstraint):
    limit: float
    used: float
    available: float  # before clamping: negative when already over-committed

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
    # The relative gap the solver reached, (best possible − value) ÷ |best possible|: at most
    # solvers.MIP_REL_GAP (1e-4) when optimal, 0 when proven exactly; None when it stopped
    # without saying, or nothing was solved.
    gap: float | None = None
    bound: float | None = None  # the solver's best possible value
    solver: str = ""  # "highs" or "cbc" (solvers.SOLVERS)
    # Budget years and capacity cells that committed projects alone overflow: a warning.
    over_commitments: tuple[OverCommitment, ...] = ()

    @classmethod
    def infeasible(cls, budget: float, infeasibility: Infeasibility) -> Selection:
        """No slate: the forced projects cannot all be in (`forced_projects` says why)."""
        return cls(
            status=INFEASIBLE,
            budget=budget,
            infeasibility=infeasibility,
            message=infeasibility.message,
        )

    @property
    def ok(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)

    @property
    def proven_optimal(self) -> bool:
        """Optimal within the gap the solve asked for (solvers.MIP_REL_GAP unless told)."""
        return self.status == OPTIMAL

    @property
    def exact(self) -> bool:
        """Proven optimal with no gap at all."""
        return self.proven_optimal and self.gap == 0

    @property
    def gap_percent(self) -> float | None:
        """The gap in % of the best possible value, for display."""
        return None if self.gap is None else self.gap * 100

    @property
    def solver_label(self) -> str:
        return solvers.solver_label(self.solver)


def usage_by_constraint(data: SelectionInput, chosen: Iterable[int]) -> dict[Key, float]:
    """What the `chosen` projects use of each budget year and capacity cell."""
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
    used = usage_by_constraint(data, chosen)
    out = data.excluded_up_front()
    reasons: dict[int, tuple[Reason, ...]] = {}
    for candidate in data.candidates:
        if candidate.id in chosen:
            continue
        found: list[Reason] = []
        if candidate.id in data.stopped:
            # The scenario's decision, whatever else adding it back would break.
            reasons[candidate.id] = (Reason(out[candidate.id], kind="stop"),)
            continue
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
            if amount > 0 and not fits(already, amount, limit):
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
    """Drop projects that add no value unless they must be in (committed, mandatory, forced
    in) or a chosen project requires them: a solver may keep them at no cost, but funding
    them buys nothing."""
    by_id, chosen = data.by_id(), set(chosen)
    keep = data.forced_in | data.committed
    while True:
        required = {r for pid in chosen for r in by_id[pid].requires}
        worthless = {
            pid
            for pid in chosen
            if by_id[pid].value <= 0
            and not by_id[pid].mandatory
            and pid not in keep
            and pid not in required
        }
        if not worthless:
            return chosen
        chosen -= worthless


def build_selection(data: SelectionInput, status: str, chosen, budget, seconds=0.0) -> Selection:
    """The result of a slate, however it was found (optimiser or greedy): worthless projects
    dropped, its value, usage, and why each other project is out."""
    chosen = frozenset(_without_worthless(data, chosen))
    by_id = data.by_id()
    return Selection(
        status=status,
        budget=budget,
        chosen=chosen,
        value=sum(by_id[pid].value for pid in chosen),
        reasons=explain_rejections(data, chosen, budget),
        usage=usage_by_constraint(data, chosen),
        solve_seconds=seconds,
        over_commitments=data.over_commitments(budget),
    )


# --- The optimiser -------------------------------------------------------------------------


class SelectionModel:
    """The PuLP model of one input, built once: `solve(budget=...)` changes only the budget
    constraints' right-hand sides, so the frontier re-solves the same model.

    Constraints are built from pre-grouped term lists (one LpAffineExpression per row), never
    by `+=` in loops, and capacity cells that every candidate together cannot overflow are
    left out: they can never bind. Committed projects are fixed to 1 and left out of the
    budget and capacity rows, whose right-hand sides are what they leave (`room`)."""

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
        committed = data.committed
        for candidate in data.candidates:
            if candidate.id in committed:
                continue
            for key, amount in candidate.uses.items():
                if amount > 0:
                    terms[key].append((x[candidate.id], amount))
                    totals[key] += amount
        limits = data.room()
        self.budget_constraints: dict[str, pulp.LpConstraint] = {}
        for number, (key, row) in enumerate(sorted(terms.items(), key=lambda kv: kv[0])):
            if key[0] == CAPACITY and fits(totals[key], 0.0, limits.get(key, 0.0)):
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
                if other in x and candidate.id < other and not {candidate.id, other} <= committed:
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
        start: Iterable[int] | None = None,
        time_limit: float = SOLVER_TIME_LIMIT_SECONDS,
        solver: str | None = None,
        gap: float = solvers.MIP_REL_GAP,
        log_path: str | None = None,
    ) -> Selection:
        """The slate at `budget` (the input's by default), solved by `solver` (the
        SLATE_MIP_SOLVER setting by default) to the relative `gap`, starting from the `start`
        slate when given (a neighbour's on the frontier: it must fit this budget)."""
        data = self.data
        budget = data.budget if budget is None else budget
        solver = solvers.check_solver(solver or configured_solver())
        infeasibility = self.infeasibility
        if infeasibility is None and budget != data.budget:
            infeasibility = forced_projects(data.with_budget(budget))[1]
        if infeasibility is not None:
            return replace(
                Selection.infeasible(budget, infeasibility),
                over_commitments=data.over_commitments(budget),
                solver=solver,
            )
        if not data.candidates:
            return replace(build_selection(data, OPTIMAL, (), budget), gap=0.0, solver=solver)
        room = data.room(budget)
        for year in data.years:
            if year.label in self.budget_constraints:
                self.budget_constraints[year.label].changeRHS(room[(BUDGET, year.label)])
        initial = None
        if start is not None:
            chosen_before = set(start) | self.forced
            initial = {var.name: float(pid in chosen_before) for pid, var in self.variables.items()}
        try:
            outcome = solvers.solve(
                self.problem,
                solver=solver,
                gap=gap,
                time_limit=time_limit,
                start=initial,
                log_path=log_path,
            )
        except pulp.PulpSolverError as error:
            return Selection(
                status=ERROR,
                budget=budget,
                message=f"The solver could not run ({type(error).__name__}).",
                solver=solver,
            )
        if not outcome.found:
            # Cannot happen after the forced-project check (the forced set alone is a
            # feasible slate), but a solver refusal still gets words, not a trace.
            return Selection(
                status=ERROR,
                budget=budget,
                message=f"The solver found no slate within {time_limit:g} s ({outcome.status}).",
                solve_seconds=outcome.seconds,
                solver=solver,
            )
        # A fixed project that is in no row and adds no value is not in the LP at all.
        chosen = [
            pid
            for pid, var in self.variables.items()
            if pid in self.forced or (var.varValue or 0) > 0.5
        ]
        result = build_selection(
            data, OPTIMAL if outcome.optimal else FEASIBLE, chosen, budget, outcome.seconds
        )
        return replace(result, gap=outcome.gap, bound=outcome.bound, solver=solver)


def configured_solver() -> str:
    """The SLATE_MIP_SOLVER setting: "highs" (the default) or "cbc"."""
    return getattr(settings, "SLATE_MIP_SOLVER", solvers.DEFAULT_SOLVER)


def optimise(data: SelectionInput, **options) -> Selection:
    return SelectionModel(data).solve(**options)
