"""Risk score, band and exposure (DESIGN.md §4). One definition for pages, API and reviews."""

from decimal import Decimal

PROBABILITY_BY_LEVEL = {
    1: Decimal("0.10"),
    2: Decimal("0.30"),
    3: Decimal("0.50"),
    4: Decimal("0.70"),
    5: Decimal("0.90"),
}
BANDS = (("low", 4), ("medium", 9), ("high", 16), ("critical", 25))


def risk_score(probability: int, impact: int) -> int:
    return probability * impact


def risk_band(score: int) -> str:
    for band, upper in BANDS:
        if score <= upper:
            return band
    raise ValueError(f"risk score {score} is outside 1–25")


def risk_exposure(probability: int, cost_impact: Decimal) -> Decimal:
    return (PROBABILITY_BY_LEVEL[probability] * cost_impact).quantize(Decimal("0.01"))
