"""portfolio.selection.rank_by_score: the greedy slate against the optimal one, and bundles
of required projects."""

from __future__ import annotations

import pytest

from portfolio.selection.model import PlanningYear, SelectionInput, optimise
from portfolio.selection.rank_by_score import greedy
from portfolio.selection.report import build_report
from tests.portfolio.selection.instances import project


def test_greedy_by_score_can_be_worse_than_optimal():
    """The top scorer eats the budget: greedy gets 60, two smaller projects give 100."""
    data = SelectionInput(
        candidates=(
            project(1, value=60.0, score=90.0, costs={"2027": 6.0}),
            project(2, value=50.0, score=80.0, costs={"2027": 5.0}),
            project(3, value=50.0, score=70.0, costs={"2027": 5.0}),
        ),
        budget=10.0,
        years=(PlanningYear("2027"),),
    )
    optimal, greedy_slate = optimise(data), greedy(data)
    assert optimal.chosen == {2, 3} and optimal.value == 100
    assert greedy_slate.chosen == {1} and greedy_slate.value == 60
    report = build_report(data, optimal)
    assert report.value_gap == 40
    assert report.greedy_behind_percent == pytest.approx(40)
    assert [row.candidate.id for row in report.only_optimised] == [2, 3]
    assert [row.candidate.id for row in report.only_greedy] == [1]


def test_greedy_takes_what_a_project_requires_with_it():
    data = SelectionInput(
        candidates=(
            project(1, value=50.0, score=90.0, requires=frozenset({2}), costs={"2027": 4.0}),
            project(2, value=5.0, score=10.0, costs={"2027": 4.0}),
            project(3, value=40.0, score=50.0, costs={"2027": 4.0}),
        ),
        budget=8.0,
        years=(PlanningYear("2027"),),
    )
    assert greedy(data).chosen == {1, 2}
