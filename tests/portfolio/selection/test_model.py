"""portfolio.selection.model: the optimiser against brute force, infeasible forced sets and
the explanations of what keeps each project out."""

from __future__ import annotations

import pytest

from portfolio.selection.model import INFEASIBLE, SelectionInput, optimise
from portfolio.selection.rank_by_score import greedy
from portfolio.selection.report import Binding, binding_constraints
from portfolio.selection.solvers import SOLVERS
from projects.querysets import Stage
from tests.portfolio.selection.instances import (
    YEARS,
    brute_force,
    feasible,
    project,
    random_instance,
)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(30))
def test_optimiser_matches_brute_force(seed, solver):
    data = random_instance(seed)
    expected = brute_force(data)
    result = optimise(data, solver=solver, gap=0)  # exact: no gap allowed
    if expected is None:
        assert result.status == INFEASIBLE
        assert result.infeasibility.constraint
    else:
        assert result.proven_optimal and result.exact and result.gap == 0
        assert result.solver == solver
        assert result.value == pytest.approx(expected)
        assert feasible(data, set(result.chosen))
        greedy_slate = greedy(data)
        assert feasible(data, set(greedy_slate.chosen))
        assert greedy_slate.value <= result.value + 1e-9


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(30))
def test_optimiser_matches_brute_force_with_committed_projects(seed, solver):
    data = random_instance(seed, committed=True)
    expected = brute_force(data)
    result = optimise(data, solver=solver, gap=0)  # exact: no gap allowed
    if expected is None:
        assert result.status == INFEASIBLE
    else:
        assert result.proven_optimal and result.exact and result.gap == 0
        assert result.solver == solver
        assert result.value == pytest.approx(expected)
        assert feasible(data, set(result.chosen))
        assert data.committed <= result.chosen
        assert not result.chosen & data.stopped
        greedy_slate = greedy(data)
        assert feasible(data, set(greedy_slate.chosen))
        assert greedy_slate.value <= result.value + 1e-9


def test_the_committed_brute_force_cases_cover_over_commitment_and_stops():
    instances = [random_instance(seed, committed=True) for seed in range(30)]
    assert any(data.stopped for data in instances)
    assert any(optimise(data).over_commitments for data in instances)
    assert sum(brute_force(data) is not None for data in instances) >= 15


def test_the_brute_force_cases_cover_every_constraint_kind():
    instances = [random_instance(seed) for seed in range(30)]
    assert any(c.mandatory for data in instances for c in data.candidates)
    assert any(c.requires for data in instances for c in data.candidates)
    assert any(c.excludes for data in instances for c in data.candidates)
    assert any(brute_force(data) is None for data in instances)  # some are infeasible
    assert all(len(data.candidates) <= 15 for data in instances)


# --- Infeasible forced sets -----------------------------------------------------------------


def test_mandatory_projects_over_budget_name_the_budget_year():
    data = SelectionInput(
        candidates=(
            project(1, mandatory=True, costs={"2027": 60.0}),
            project(2, mandatory=True, costs={"2027": 50.0}),
        ),
        budget=100.0,
        years=YEARS,
    )
    result = optimise(data)
    assert result.status == INFEASIBLE
    assert result.infeasibility.constraint == "budget 2027"
    assert "P1, P2" in result.message
    assert "110" in result.message and "100" in result.message
    assert "Traceback" not in result.message


def test_forced_projects_over_capacity_name_the_role_and_month():
    data = SelectionInput(
        candidates=(
            project(1, demand={("Data engineer", "2027-03"): 120.0}),
            project(2, mandatory=True, demand={("Data engineer", "2027-03"): 80.0}),
        ),
        budget=100.0,
        years=YEARS,
        capacity={("Data engineer", "2027-03"): 160.0},
        forced_in=frozenset({1}),
    )
    result = optimise(data)
    assert result.infeasibility.constraint == "capacity Data engineer 2027-03"
    assert "200 h" in result.message and "160 h" in result.message


@pytest.mark.parametrize(
    ("data", "constraint"),
    [
        (
            SelectionInput(
                candidates=(project(1, mandatory=True),),
                budget=1.0,
                forced_out=frozenset({1}),
            ),
            "mandatory P1",
        ),
        (
            SelectionInput(
                candidates=(project(1, requires=frozenset({2})), project(2)),
                budget=1.0,
                forced_in=frozenset({1}),
                forced_out=frozenset({2}),
            ),
            "required by P1 P2",
        ),
        (
            SelectionInput(
                candidates=(
                    project(1, mandatory=True, excludes=frozenset({2})),
                    project(2, mandatory=True, excludes=frozenset({1})),
                ),
                budget=1.0,
            ),
            "P1 excludes P2",
        ),
    ],
)
def test_conflicting_forced_projects_are_named(data, constraint):
    result = optimise(data)
    assert result.status == INFEASIBLE
    assert result.infeasibility.constraint == constraint


def test_committed_work_already_over_capacity_blocks_the_cell_not_the_model():
    """Committed work outside the model can leave a cell below zero: nothing new fits there,
    but projects that need none of it are still chosen."""
    data = SelectionInput(
        candidates=(project(1, demand={("QA", "2027-01"): 10.0}), project(2)),
        budget=100.0,
        years=YEARS,
        capacity={("QA", "2027-01"): -40.0},
    )
    result = optimise(data)
    assert result.chosen == {2}
    assert [r.constraint for r in result.reasons[1]] == ["capacity QA 2027-01"]


# --- Committed projects --------------------------------------------------------------------


def test_a_running_project_short_of_two_hours_stays_chosen_as_an_over_commitment():
    """Committed work is reserved first: a running project worth nothing that needs 2 h more
    QA than there is stays in the slate; the shortfall is a warning, candidates needing QA
    that month get no room, and the rest of the selection goes on."""
    qa = ("QA", "2027-01")
    data = SelectionInput(
        candidates=(
            project(1, value=0.0, stage=Stage.IN_PROGRESS, demand={qa: 160.0}),
            project(2, value=50.0, demand={qa: 1.0}),
            project(3, value=20.0, costs={"2027": 10.0}),
        ),
        budget=100.0,
        years=YEARS,
        capacity={qa: 158.0},
    )
    result = optimise(data)
    assert result.ok
    assert result.chosen == {1, 3}
    assert [str(r) for r in result.reasons[2]] == ["capacity QA 2027-01 (needs 1 h, 0 h left)"]
    (over,) = result.over_commitments
    assert (over.label, over.needed, over.available) == ("capacity QA 2027-01", 160.0, 158.0)
    assert greedy(data).chosen == {1, 3}


def test_forcing_a_running_project_in_is_not_infeasible_when_committed_work_overflows():
    data = SelectionInput(
        candidates=(
            project(1, stage=Stage.IN_PROGRESS, costs={"2027": 150.0}),
            project(2, stage=Stage.APPROVED, mandatory=True, demand={("QA", "2027-01"): 9.0}),
            project(3, costs={"2027": 1.0}),
        ),
        budget=100.0,
        years=YEARS,
        capacity={("QA", "2027-01"): 8.0},
        forced_in=frozenset({1}),
    )
    result = optimise(data)
    assert result.ok and result.chosen == {1, 2}
    assert {o.label for o in result.over_commitments} == {"budget 2027", "capacity QA 2027-01"}
    assert [r.kind for r in result.reasons[3]] == ["budget"]


def test_a_stopped_project_frees_its_budget_and_a_running_one_keeps_what_it_requires():
    data = SelectionInput(
        candidates=(
            project(1, stage=Stage.IN_PROGRESS, value=90.0, costs={"2027": 80.0}),
            project(2, value=60.0, costs={"2027": 70.0}),
            project(3, stage=Stage.IN_PROGRESS, value=5.0, requires=frozenset({4})),
            project(4, value=0.0, costs={"2027": 10.0}),
            project(5, stage=Stage.IN_PROGRESS, value=5.0, excludes=frozenset({6})),
            project(6, stage=Stage.IN_PROGRESS, value=5.0),
        ),
        budget=100.0,
        years=YEARS,
        stopped=frozenset({1}),
    )
    result = optimise(data)
    assert result.chosen == {2, 3, 4, 5, 6}
    assert [str(r) for r in result.reasons[1]] == ["stopped by the scenario"]
    assert not result.over_commitments


def test_stopping_a_project_a_running_one_requires_is_named():
    data = SelectionInput(
        candidates=(
            project(1, stage=Stage.IN_PROGRESS, requires=frozenset({2})),
            project(2, stage=Stage.IN_PROGRESS),
        ),
        budget=100.0,
        stopped=frozenset({2}),
    )
    result = optimise(data)
    assert result.status == INFEASIBLE
    assert result.infeasibility.constraint == "required by P1 P2"
    assert "stopped by the scenario" in result.message


# --- Explanations ---------------------------------------------------------------------------


def test_each_rejected_project_names_what_keeps_it_out():
    data = SelectionInput(
        candidates=(
            project(1, value=200.0, costs={"2027": 60.0}, demand={("Dev", "2027-01"): 100.0}),
            project(2, value=30.0, costs={"2027": 50.0}),  # budget
            project(3, value=30.0, demand={("Dev", "2027-01"): 80.0}),  # capacity
            project(4, value=30.0, excludes=frozenset({1})),  # excludes the chosen 1
            project(5, value=30.0, requires=frozenset({2})),  # requires the rejected 2
            project(6, value=0.0),  # worth nothing
            project(7, value=30.0),  # forced out
        ),
        budget=100.0,
        years=YEARS,
        capacity={("Dev", "2027-01"): 160.0},
        forced_out=frozenset({7}),
    )
    result = optimise(data)
    assert result.chosen == {1}
    reasons = {pid: [str(r) for r in found] for pid, found in result.reasons.items()}
    assert reasons[2] == ["budget 2027 (needs 50, 40 left)"]
    assert reasons[3] == ["capacity Dev 2027-01 (needs 80 h, 60 h left)"]
    assert reasons[4] == ["excludes P1 (chosen)"]
    assert reasons[5] == ["requires P2 (not chosen)"]
    assert reasons[6] == ["adds no value (no benefit or priority recorded)"]
    assert reasons[7] == ["forced out by the scenario"]
    assert binding_constraints(data, result) == [
        Binding("budget 2027", 1),
        Binding("capacity Dev", 1, ("2027-01",)),
    ]
