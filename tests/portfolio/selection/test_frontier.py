"""portfolio.selection.frontier: monotone, one model re-solved per chain of levels, the same
values in one chain or two, and budget levels with no feasible slate."""

from __future__ import annotations

import pytest

from portfolio.selection.frontier import efficient_frontier
from portfolio.selection.model import PlanningYear, SelectionInput, SelectionModel
from tests.portfolio.selection.instances import brute_force, project, random_instance


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("seed", [3, 7, 11])
def test_frontier_is_monotone_and_reuses_one_model_per_chain(seed, workers, monkeypatch):
    data = random_instance(seed)
    built = []
    original = SelectionModel.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SelectionModel, "__init__", counting)
    points = efficient_frontier(data, workers=workers)
    assert len(built) == workers
    assert [round(p.level, 2) for p in points] == [0.5 + n / 10 for n in range(11)]
    values = [p.value for p in points if p.value is not None]
    assert values == sorted(values)
    for point in points:
        if point.value is not None:
            assert point.value == pytest.approx(brute_force(data.with_budget(point.budget)))


def test_frontier_marks_budget_levels_the_mandatory_projects_do_not_fit():
    data = SelectionInput(
        candidates=(project(1, mandatory=True, costs={"2027": 70.0}), project(2)),
        budget=100.0,
        years=(PlanningYear("2027"),),
    )
    points = efficient_frontier(data)
    assert [p.value is None for p in points[:3]] == [True, True, False]
    assert points[0].selection.infeasibility.constraint == "budget 2027"
