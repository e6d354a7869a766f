"""Planned %, earned value, health, watermelon and milestone slip: the one implementation
every page, API field, review and digest uses (docs/formulas.md, "Planned %" to "Milestone
slip"). Pure functions on Decimals and dates; no database access here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
RATIO = Decimal("0.001")
RAG_ORDER = {"green": 0, "amber": 1, "red": 2}


def planned_percent(
    baseline_start: date | None,
    baseline_end: date | None,
    milestones: Iterable[tuple[date | None, Decimal]],
    as_of: date,
) -> Decimal:
    """Planned % complete at `as_of`, piecewise-linear by calendar day through (baseline
    start, 0), each milestone's (baseline date, cumulative weight), (baseline end, 100)."""
    if baseline_start is None or baseline_end is None:
        return Decimal("0")
    if as_of <= baseline_start:
        return Decimal("0")
    if as_of >= baseline_end:
        return HUNDRED
    points = [(baseline_start, Decimal("0"))]
    cumulative = Decimal("0")
    for milestone_date, weight in sorted(
        (m for m in milestones if m[0] is not None), key=lambda m: m[0]
    ):
        cumulative = min(HUNDRED, cumulative + Decimal(weight))
        if baseline_start < milestone_date < baseline_end:
            points.append((milestone_date, cumulative))
    points.append((baseline_end, HUNDRED))
    for (left_date, left_pct), (right_date, right_pct) in zip(points, points[1:], strict=False):
        if left_date <= as_of <= right_date:
            span = (right_date - left_date).days
            if span == 0:
                return right_pct
            fraction = Decimal((as_of - left_date).days) / Decimal(span)
            return (left_pct + (right_pct - left_pct) * fraction).quantize(CENT)
    return HUNDRED  # unreachable: as_of lies inside [start, end]


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO)


@dataclass(frozen=True)
class EarnedValue:
    budget_at_completion: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    cost_performance_index: Decimal | None
    schedule_performance_index: Decimal | None
    estimate_at_completion: Decimal | None
    variance_at_completion: Decimal | None


def earned_value(
    *,
    budget: Decimal,
    planned_percent_complete: Decimal,
    percent_complete: Decimal,
    actual_cost: Decimal,
    forecast_cost: Decimal | None = None,
) -> EarnedValue:
    budget = Decimal(budget)
    planned = (budget * Decimal(planned_percent_complete) / HUNDRED).quantize(CENT)
    earned = (budget * Decimal(percent_complete) / HUNDRED).quantize(CENT)
    actual = Decimal(actual_cost).quantize(CENT)
    cpi = ratio(earned, actual)
    spi = ratio(earned, planned)
    if forecast_cost is not None:
        eac = Decimal(forecast_cost).quantize(CENT)
    elif cpi:
        eac = (budget * actual / earned).quantize(CENT)  # BAC / CPI without rounding CPI first
    else:
        eac = None
    return EarnedValue(
        budget_at_completion=budget,
        planned_value=planned,
        earned_value=earned,
        actual_cost=actual,
        cost_performance_index=cpi,
        schedule_performance_index=spi,
        estimate_at_completion=eac,
        variance_at_completion=None if eac is None else budget - eac,
    )


def computed_health(
    cpi: Decimal | None,
    spi: Decimal | None,
    *,
    green_threshold: Decimal = Decimal("0.95"),
    amber_threshold: Decimal = Decimal("0.85"),
) -> str:
    """Green when every known index ≥ green threshold, amber ≥ amber, else red; '' if none known."""
    known = [index for index in (cpi, spi) if index is not None]
    if not known:
        return ""
    worst = min(known)
    if worst >= green_threshold:
        return "green"
    if worst >= amber_threshold:
        return "amber"
    return "red"


def is_watermelon(reported_overall: str, dimension_rags: Iterable[str], computed: str) -> bool:
    """Green outside, red inside: reported two bands better than computed, or reported green
    while one of its own dimensions is red."""
    if not reported_overall:
        return False
    if reported_overall == "green" and "red" in set(dimension_rags):
        return True
    if computed:
        return RAG_ORDER[computed] - RAG_ORDER[reported_overall] >= 2
    return False


def milestone_slip_days(
    baseline: date | None,
    forecast: date | None,
    actual: date | None,
    *,
    done: bool,
    as_of: date,
) -> int | None:
    """Days a milestone is late (+) or early (−) against its baseline, as of `as_of`; None
    without a baseline. Reached (done, or an actual date): its date (actual, else forecast,
    else baseline) − baseline. Not reached: the later of its forecast (else baseline) and
    `as_of` − baseline, so a forecast already in the past makes it late by `as_of`. It is
    late when the slip is above 0 (docs/formulas.md, "Milestone slip")."""
    if baseline is None:
        return None
    if done or actual is not None:
        return ((actual or forecast or baseline) - baseline).days
    return (max(forecast or baseline, as_of) - baseline).days
