from decimal import Decimal

import pytest

from risks import scoring


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
