from decimal import Decimal

import pytest

from risks import scoring
from risks.models import Risk
from tests.factories import RiskFactory


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "critical"),
        (25, "critical"),
    ],
)
def test_bands(score, band):
    assert scoring.risk_band(score) == band


def test_exposure_uses_the_probability_of_the_level():
    assert scoring.risk_exposure(1, Decimal("100000")) == Decimal("10000.00")
    assert scoring.risk_exposure(4, Decimal("250000")) == Decimal("175000.00")


def test_score_is_probability_times_impact():
    assert scoring.risk_score(3, 4) == 12


def test_probability_percent_of_each_level():
    assert [scoring.probability_percent(level) for level in scoring.LEVELS] == [10, 30, 50, 70, 90]


def test_band_score_ranges_start_at_the_lowest_reachable_score():
    assert scoring.band_score_ranges() == [
        ("low", 1, 4),
        ("medium", 5, 9),
        ("high", 10, 16),
        ("critical", 20, 25),  # no product of two levels lies between 17 and 19
    ]


@pytest.mark.django_db
def test_sql_expressions_agree_with_the_python_rules(portfolio):
    for probability in scoring.LEVELS:
        for impact in scoring.LEVELS:
            RiskFactory(
                portfolio=portfolio,
                project=None,
                probability=probability,
                impact=impact,
                cost_impact=Decimal("12345.67"),
            )
    rows = Risk.objects.annotate(
        score_value=scoring.risk_score_expression(),
        exposure_value=scoring.risk_exposure_expression(),
    )
    assert rows.count() == 25
    for risk in rows:
        assert risk.score_value == scoring.risk_score(risk.probability, risk.impact)
        assert risk.exposure_value.quantize(Decimal("0.01")) == scoring.risk_exposure(
            risk.probability, risk.cost_impact
        )
