"""portfolio.selection.solvers: HiGHS by default and CBC by setting, the relative gap every
solve reports (at most 1e-4), warm starts, and the efficient frontier's chains."""

from __future__ import annotations

import highspy
import pytest

from portfolio.selection import solvers
from portfolio.selection.frontier import chains, efficient_frontier
from portfolio.selection.model import OPTIMAL, SelectionModel, optimise
from tests.portfolio.selection.instances import brute_force, knapsack_instance, random_instance

BOTH = pytest.mark.parametrize("solver", solvers.SOLVERS)


def test_highs_is_the_default_and_the_setting_selects_cbc(settings):
    data = random_instance(3)
    assert optimise(data).solver == solvers.HIGHS
    settings.SLATE_MIP_SOLVER = "cbc"
    assert optimise(data).solver == solvers.CBC
    assert optimise(data, solver="highs").solver == solvers.HIGHS  # a solve may still choose


def test_an_unknown_solver_is_refused():
    with pytest.raises(ValueError, match="Unknown MIP solver 'glpk'"):
        optimise(random_instance(3), solver="glpk")


@BOTH
@pytest.mark.parametrize("seed", [1, 6])  # HiGHS stops at a gap of 8e-5 on 6
def test_every_solve_reports_a_gap_within_1e_4_of_the_exact_optimum(solver, seed):
    """With the default gap each solver stops within 1e-4 of the best possible value, says how
    close it got, and the slate is worth at least 99.99 % of the exact optimum."""
    data = knapsack_instance(seed)
    exact = optimise(data, solver=solvers.CBC, gap=0, time_limit=120)
    assert exact.status == OPTIMAL and exact.gap == 0
    result = optimise(data, solver=solver)
    assert solvers.MIP_REL_GAP == 1e-4
    assert result.status == OPTIMAL and result.solver == solver
    assert result.gap is not None and 0 <= result.gap <= solvers.MIP_REL_GAP
    assert result.value <= exact.value + 1e-6
    assert result.value >= exact.value * (1 - solvers.MIP_REL_GAP)
    assert result.bound >= exact.value - 1e-6  # a bound on the optimum, never below it


@BOTH
def test_both_solvers_reach_the_same_exact_optimum_with_gap_0(solver):
    data = knapsack_instance(5)
    result = optimise(data, solver=solver, gap=0, time_limit=120)
    assert result.exact
    assert result.value == optimise(data, solver=solvers.CBC, gap=0, time_limit=120).value


def test_highs_receives_the_starting_slate(monkeypatch):
    """PuLP's HiGHS class has no warm start: WarmHiGHS hands the start to Highs.setSolution
    (sparse: the named columns), and the solve still ends at the optimum."""
    handed = []
    original = highspy.Highs.setSolution

    def spy(self, *args):
        handed.append(args)
        return original(self, *args)

    monkeypatch.setattr(highspy.Highs, "setSolution", spy)
    data = random_instance(7)
    model = SelectionModel(data)
    first = model.solve(solver=solvers.HIGHS, gap=0)
    assert not handed
    again = model.solve(solver=solvers.HIGHS, gap=0, start=first.chosen)
    ((count, indices, values),) = handed
    assert count == len(indices) == len(values) == len(model.variables)
    names = {var.index: var.name for var in model.problem.variables()}
    started = {names[int(i)] for i, v in zip(indices, values, strict=True) if v == 1.0}
    assert started == {model.variables[pid].name for pid in first.chosen}
    assert again.value == first.value == pytest.approx(brute_force(data))


@BOTH
def test_a_warm_start_from_the_level_below_keeps_the_optimum(solver):
    data = knapsack_instance(4)
    model = SelectionModel(data)
    lower = model.solve(budget=data.budget * 0.8, solver=solver, gap=0)
    warm = model.solve(budget=data.budget, solver=solver, gap=0, start=lower.chosen)
    cold = SelectionModel(data).solve(solver=solver, gap=0)
    assert warm.exact and warm.value == cold.value


def test_cbc_reads_the_bound_and_gap_from_its_log():
    partial = "Partial search - best objective -900 (best possible -1000), took 5 iterations"
    assert solvers._cbc_bound(partial, optimal=False, value=900.0) == 1000.0
    summary = (
        "Result - Optimal solution found (within gap tolerance)\n\n"
        "Objective value:                999.00000000\n"
        "Upper bound:                    999.05\n"
        "Gap:                            0.00\n"
    )
    assert solvers._cbc_bound(summary, optimal=True, value=999.0) == 999.05
    assert solvers._cbc_bound("Result - Optimal solution found\n", optimal=True, value=5.0) == 5.0
    assert solvers.relative_gap(999.0, 999.05) == pytest.approx(0.05 / 999.05)
    assert solvers.relative_gap(0.0, 0.0) == 0.0


def test_the_frontier_levels_are_cut_into_runs_of_neighbours():
    levels = [0.5 + n / 10 for n in range(11)]
    assert chains(levels, 2) == [levels[:6], levels[6:]]
    assert chains(levels, 1) == [levels]
    assert chains([1.0], 2) == [[1.0]]


@BOTH
def test_each_frontier_point_starts_from_its_neighbour_below(solver, monkeypatch):
    starts = []
    original = SelectionModel.solve

    def spy(self, **options):
        selection = original(self, **options)
        chosen = selection.chosen if selection.ok else None
        starts.append((options["budget"], options.get("start"), chosen))
        return selection

    monkeypatch.setattr(SelectionModel, "solve", spy)
    data = random_instance(11)  # no slate at the lowest levels: those start nothing
    points = efficient_frontier(data, solver=solver, workers=2, gap=0)
    solved = {budget: (start, chosen) for budget, start, chosen in starts}
    cut = chains([p.level for p in points], 2)
    for run in cut:
        first, *rest = run
        assert solved[data.budget * first][0] is None
        for below, level in zip(run, rest, strict=False):
            assert solved[data.budget * level][0] == solved[data.budget * below][1]
    assert any(p.warm_started for p in points) and not all(p.warm_started for p in points)
    for point in points:
        assert point.warm_started == (solved[point.budget][0] is not None)
    for point in points:
        assert point.selection.solver == solver
        assert point.value == pytest.approx(brute_force(data.with_budget(point.budget)))
