"""Priority score = Σ weight × normalised score (docs/formulas.md, "Priority score"), against
hand-worked figures."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import ProjectScore, ScoringCriterion
from portfolio.priority import priority_scores
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def criterion(portfolio, name, weight, direction="higher"):
    return ScoringCriterion.objects.create(
        portfolio=portfolio, name=name, weight=D(weight), direction=direction
    )


def score(project, criterion, value):
    ProjectScore.objects.create(project=project, criterion=criterion, score=value)


@pytest.fixture
def healthcare_criteria(portfolio):
    """The demo's healthcare criteria: 35 + 25 + 20 + 20 = 100."""
    return [
        criterion(portfolio, "Patient impact", "35"),
        criterion(portfolio, "Regulatory need", "25"),
        criterion(portfolio, "Financial return", "20"),
        criterion(portfolio, "Delivery risk", "20", "lower"),
    ]


def scored(portfolio, criteria, values):
    project = ProjectFactory(portfolio=portfolio)
    for item, value in zip(criteria, values, strict=True):
        score(project, item, value)
    return project


def test_hand_worked_scores(portfolio, healthcare_criteria):
    # 35·(5−1)/4 + 25·(2−1)/4 + 20·(4−1)/4 + 20·(5−3)/4 = 35 + 6.25 + 15 + 10 = 66.25
    telemedicine = scored(portfolio, healthcare_criteria, (5, 2, 4, 3))
    # 35·1 + 25·1 + 20·0.5 + 20·0 = 70
    records = scored(portfolio, healthcare_criteria, (5, 5, 3, 5))
    # 35·0.25 + 25·0.75 + 20·1 + 20·0.25 = 8.75 + 18.75 + 20 + 5 = 52.5
    billing = scored(portfolio, healthcare_criteria, (2, 4, 5, 4))
    result = priority_scores(project_ids=[telemedicine.pk, records.pk, billing.pk])
    assert result == {telemedicine.pk: D("66.25"), records.pk: D("70"), billing.pk: D("52.5")}


def test_best_on_every_criterion_is_100_and_worst_is_0(portfolio, healthcare_criteria):
    best = scored(portfolio, healthcare_criteria, (5, 5, 5, 1))
    worst = scored(portfolio, healthcare_criteria, (1, 1, 1, 5))
    assert priority_scores(project_ids=[best.pk, worst.pk]) == {best.pk: 100, worst.pk: 0}


def test_lower_is_better_reverses_the_scale(portfolio):
    risk = criterion(portfolio, "Risk", "40", "lower")
    low_risk, high_risk = ProjectFactory(portfolio=portfolio), ProjectFactory(portfolio=portfolio)
    score(low_risk, risk, 2)  # 40 × (5 − 2) / 4 = 30
    score(high_risk, risk, 4)  # 40 × (5 − 4) / 4 = 10
    assert priority_scores(project_ids=[low_risk.pk, high_risk.pk]) == {
        low_risk.pk: D("30"),
        high_risk.pk: D("10"),
    }


def test_fractional_weights_stay_exact(portfolio):
    thirds = [criterion(portfolio, f"C{n}", "33.33") for n in range(3)]
    project = scored(portfolio, thirds, (3, 4, 5))
    # 33.33 × (2 + 3 + 4) / 4 = 33.33 × 2.25 = 74.9925
    assert priority_scores(project_ids=[project.pk]) == {project.pk: D("74.9925")}


def test_unscored_criteria_add_nothing_and_unscored_projects_have_none(
    portfolio, healthcare_criteria
):
    partly = ProjectFactory(portfolio=portfolio)
    score(partly, healthcare_criteria[0], 3)  # 35 × 2/4 = 17.5; the rest unscored
    never = ProjectFactory(portfolio=portfolio)
    assert priority_scores(project_ids=[partly.pk, never.pk]) == {
        partly.pk: D("17.5"),
        never.pk: None,
    }
    assert priority_scores(project_ids=[]) == {}


def test_one_query_whatever_the_number_of_projects(portfolio, healthcare_criteria):
    projects = [scored(portfolio, healthcare_criteria, (3, 3, 3, 3)) for _ in range(12)]
    with CaptureQueriesContext(connection) as queries:
        result = priority_scores(project_ids=[p.pk for p in projects])
    assert len(queries) == 1
    assert set(result.values()) == {D("50")}
