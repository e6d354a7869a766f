"""The MIP solvers the selection model runs through PuLP: HiGHS (`highspy`, the default) or
CBC (bundled with PuLP), chosen by the `SLATE_MIP_SOLVER` setting or per solve.

Both stop at the same relative gap, `MIP_REL_GAP` (1e-4: the slate is worth at least
99.99 % of the best possible) unless the caller asks for another (the brute-force tests ask
for 0), and both report the gap they reached: HiGHS from its info record, CBC from its log.
Both start from a given slate (warm start) when one is passed: CBC through PuLP's
`warmStart`, HiGHS through `Highs.setSolution`, which PuLP's `HiGHS` class does not expose.

Pure: a PuLP problem in, an `Outcome` out; `model.SelectionModel.solve` turns it into a
`Selection`."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy
import pulp

HIGHS, CBC = "highs", "cbc"
SOLVERS = (HIGHS, CBC)
SOLVER_LABELS = {HIGHS: "HiGHS", CBC: "CBC"}
DEFAULT_SOLVER = HIGHS
# The relative gap every solve closes to: (best possible − value) ÷ |best possible| for CBC,
# |primal − dual| ÷ |primal| for HiGHS.
MIP_REL_GAP = 1e-4
# CBC's parallel branch and bound closes the hard cases (many binding rows) several times
# faster than one thread.
CBC_THREADS = max(1, min(os.cpu_count() or 1, 4))

# HiGHS's threads per solve. One: a selection closes at the root node, where a second
# thread buys nothing, and the frontier runs its chains of points side by side instead
# (frontier.FRONTIER_WORKERS; bench/selection.py measures both ways). HiGHS keeps one thread
# pool per process, sized at its first solve, and fails a later solve that asks for another
# size: change it only through `use_highs_threads`.
HIGHS_THREADS_DEFAULT = 1
HIGHS_THREADS: int | None = HIGHS_THREADS_DEFAULT
# HiGHS without presolve: on the selection model (a knapsack per budget year and capacity
# cell) presolve removes almost nothing (661 rows → 660 at 5,000 candidates) and costs the
# root node dearly: 4.5 s of CPU with it, 1.1 s without, at 5,000 candidates; at 2,000 it is
# no slower anywhere on the frontier (bench/selection.py; docs/performance.md).
HIGHS_OPTIONS = {"presolve": "off"}

_CBC_RESULT = re.compile(r"^Result - (.*)$", re.MULTILINE)
_CBC_FINAL_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(-?[\d.e+-]+)", re.MULTILINE)
_CBC_BEST_POSSIBLE = re.compile(r"best possible (-?[\d.e+]+)")


@dataclass(frozen=True)
class Outcome:
    """What a solve says, whatever the solver: whether it closed the gap it was asked for,
    the gap it reached (relative; None when the solver did not say) and the best possible
    value (the bound; a maximum, so positive for positive values)."""

    solver: str
    found: bool  # a slate was found (x values are set on the problem's variables)
    optimal: bool  # closed to the requested gap (an exact optimum when that gap is 0)
    gap: float | None
    bound: float | None
    seconds: float
    status: str  # the solver's own word, for messages


def use_highs_threads(threads: int | None) -> None:
    """Size HiGHS's thread pool for the solves that follow in this process (None: as many as
    there are cores). It rebuilds the pool, so no HiGHS solve may be running meanwhile: for
    `bench.selection`, which compares the frontier on solver threads and in chains."""
    global HIGHS_THREADS
    highspy.Highs.resetGlobalScheduler(True)
    HIGHS_THREADS = threads


def solver_label(solver: str) -> str:
    return SOLVER_LABELS.get(solver, solver)


def check_solver(solver: str) -> str:
    if solver not in SOLVERS:
        raise ValueError(f"Unknown MIP solver {solver!r}: use one of {', '.join(SOLVERS)}.")
    return solver


def relative_gap(value: float, bound: float | None) -> float | None:
    """(bound − value) ÷ |bound|, never negative; 0 when both are 0."""
    if bound is None:
        return None
    if not bound:
        return 0.0 if not value else None
    return max(0.0, (bound - value) / abs(bound))


class WarmHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface (highspy) with a starting slate: `start` maps variable names to
    values, handed to HiGHS as a (partial) solution after the model is built. HiGHS checks it
    and keeps it as the first incumbent when it is feasible."""

    def __init__(self, *, start: Mapping[str, float] | None = None, **options):
        super().__init__(**options)
        self.start = dict(start or {})
        self.start_accepted: bool | None = None

    def buildSolverModel(self, lp):
        super().buildSolverModel(lp)
        if self.start:
            # The sparse form of setSolution: the columns named in the start, the rest free.
            indices, values = [], []
            for var in lp.variables():
                if var.name in self.start:
                    indices.append(var.index)
                    values.append(float(self.start[var.name]))
            status = lp.solverModel.setSolution(
                len(indices),
                numpy.array(indices, dtype=numpy.int32),
                numpy.array(values, dtype=numpy.float64),
            )
            self.start_accepted = status != highspy.HighsStatus.kError


def solve(
    problem: pulp.LpProblem,
    *,
    solver: str = DEFAULT_SOLVER,
    gap: float = MIP_REL_GAP,
    time_limit: float,
    start: Mapping[str, float] | None = None,
    log_path: str | None = None,
    highs_options: Mapping[str, object] | None = None,
) -> Outcome:
    """Solve the maximisation `problem` with `solver`, to the relative `gap` or the time
    limit, from the `start` slate (variable name → value) when given; `highs_options` over
    HIGHS_OPTIONS for HiGHS (the timing model's own). Raises `pulp.PulpSolverError` when the
    solver cannot run."""
    check_solver(solver)
    if solver == HIGHS:
        return _solve_highs(
            problem, gap=gap, time_limit=time_limit, start=start, options=highs_options
        )
    return _solve_cbc(problem, gap=gap, time_limit=time_limit, start=start, log_path=log_path)


def _solve_highs(problem, *, gap, time_limit, start, options=None) -> Outcome:
    engine = WarmHiGHS(
        msg=False,
        gapRel=gap,
        timeLimit=time_limit,
        threads=HIGHS_THREADS,
        start=start,
        **{**HIGHS_OPTIONS, **(options or {})},
    )
    started = time.perf_counter()
    problem.solve(engine)
    seconds = time.perf_counter() - started
    highs = problem.solverModel
    status = highs.getModelStatus()
    info = highs.getInfo()
    found = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    # HiGHS minimises the negated objective: its dual bound is minus the best possible value.
    bound = -info.mip_dual_bound if abs(info.mip_dual_bound) < highspy.kHighsInf else None
    reached = info.mip_gap if found and 0 <= info.mip_gap < highspy.kHighsInf else None
    return Outcome(
        solver=HIGHS,
        found=found,
        optimal=status == highspy.HighsModelStatus.kOptimal,
        gap=reached,
        bound=bound,
        seconds=seconds,
        status=highs.modelStatusToString(status),
    )


def _solve_cbc(problem, *, gap, time_limit, start, log_path) -> Outcome:
    if start is not None:
        for var in problem.variables():
            var.setInitialValue(start.get(var.name, 0))
    with tempfile.TemporaryDirectory(prefix="slate-selection-") as directory:
        log = log_path or os.path.join(directory, "cbc.log")
        engine = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=time_limit,
            gapRel=gap,
            warmStart=start is not None,
            logPath=log,
            threads=CBC_THREADS,
        )
        started = time.perf_counter()
        problem.solve(engine)
        seconds = time.perf_counter() - started
        try:
            with open(log, errors="replace") as handle:
                text = handle.read()
        except OSError:
            text = ""
    found = problem.status == pulp.LpStatusOptimal
    optimal = found and problem.sol_status == pulp.LpSolutionOptimal
    value = (pulp.value(problem.objective) or 0.0) if found else 0.0
    bound = _cbc_bound(text, optimal=optimal, value=value)
    results = _CBC_RESULT.findall(text)
    return Outcome(
        solver=CBC,
        found=found,
        optimal=optimal,
        gap=relative_gap(value, bound) if found else None,
        bound=bound,
        seconds=seconds,
        status=results[-1].strip() if results else pulp.LpStatus[problem.status],
    )


def _cbc_bound(text: str, *, optimal: bool, value: float) -> float | None:
    """The best possible value from CBC's log. CBC minimises, so it prints a maximum negated.
    Its summary has "Upper bound: 1.2e+09" (or "Lower bound: -1.2e+09") after a gap or time
    stop; an "Optimal solution found" without one closed the gap to 0 (the "best possible" of
    its progress lines is stale then); a partial search says "best possible -1.2e+09"."""
    final = _CBC_FINAL_BOUND.findall(text)
    if final:
        return abs(float(final[-1]))  # values are never negative
    if optimal:
        return value
    found = _CBC_BEST_POSSIBLE.findall(text)
    return abs(float(found[-1])) if found else None
