"""Risk score, band, probability levels and exposure, in Python and as SQL expressions: the one
definition the registers, heat maps, KPIs, API and reviews use (docs/formulas.md, "Risks")."""

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, IntegerField, Value, When

from core.money import MONEY, money_zero

LEVELS = (1, 2, 3, 4, 5)
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


def probability_percent(level: int) -> int:
    """The probability a level stands for, in whole percent (level 3 → 50)."""
    return int(PROBABILITY_BY_LEVEL[level] * 100)


def band_score_ranges() -> list[tuple[str, int, int]]:
    """(band, lowest score, highest score) of each band, counting only the scores a product of
    two levels can reach: critical starts at 20, since no product lies between 17 and 19."""
    scores = sorted({risk_score(p, i) for p in LEVELS for i in LEVELS})
    ranges, above = [], 0
    for band, upper in BANDS:
        ranges.append((band, min(s for s in scores if above < s <= upper), upper))
        above = upper
    return ranges


# --- The same rules in SQL, on Risk rows ------------------------------------------------------


def risk_score_expression() -> ExpressionWrapper:
    """`risk_score` of each row, for ordering in SQL."""
    return ExpressionWrapper(F("probability") * F("impact"), output_field=IntegerField())


def risk_exposure_expression() -> Case:
    """`risk_exposure` of each row, for sums in SQL (not rounded to the cent per row)."""
    return Case(
        *[
            When(probability=level, then=F("cost_impact") * Value(share))
            for level, share in PROBABILITY_BY_LEVEL.items()
        ],
        default=money_zero(),
        output_field=DecimalField(**MONEY),
    )
