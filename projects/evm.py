"""Planned %, earned value at the status date, EAC, health, watermelon and milestone slip: the
one implementation every page, API field, review and digest uses (docs/formulas.md, "Status
date" to "Milestone slip"). Pure functions on Decimals and dates; no database access here.
Nothing is rounded: templates and serializers round for display."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolio.models import EacBasis

HUNDRED = Decimal("100")
RAG_ORDER = {"green": 0, "amber": 1, "red": 2}


def planned_percent(
    baseline_start: date | None,
    baseline_end: date | None,
    milestones: Iterable[tuple[date | None, Decimal]],
    as_of: date,
) -> Decimal:
    """Planned % complete at `as_of`, piecewise-linear by calendar day through (baseline
    start, 0), each milestone's (baseline date, cumulative weight), (baseline end, 100).
    Exact: never rounded here (templates round for display)."""
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
            return left_pct + (right_pct - left_pct) * (as_of - left_date).days / Decimal(span)
    return HUNDRED  # unreachable: as_of lies inside [start, end]


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator ÷ denominator, exact; none when either is none or the divisor is 0."""
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def estimate_at_completion(
    computed: Decimal | None, forecast: Decimal | None, basis: str = EacBasis.WORSE_OF
) -> Decimal | None:
    """The EAC a portfolio rolls up (`Portfolio.eac_basis`): the worse (higher) of the computed
    EAC and the PM's forecast, or one of them; the other when the chosen one is unknown."""
    if basis == EacBasis.COMPUTED:
        return computed if computed is not None else forecast
    if basis == EacBasis.FORECAST:
        return forecast if forecast is not None else computed
    return max((v for v in (computed, forecast) if v is not None), default=None)


def is_forecast_optimistic(
    forecast: Decimal | None, computed: Decimal | None, *, amber_threshold: Decimal
) -> bool:
    """The PM's forecast is below the computed EAC by more than the amber band
    (1 − amber threshold, relative to the computed EAC): more optimistic than the numbers."""
    if forecast is None or computed is None:
        return False
    return computed - forecast > computed * (1 - Decimal(amber_threshold))


@dataclass(frozen=True)
class EarnedValue:
    """A project's earned-value figures at its status date (docs/formulas.md, "Status date"):
    PV, EV, AC, CPI, SPI and the computed EACs are none without one. Exact; round to show."""

    status_date: date | None
    budget_at_completion: Decimal
    planned_value: Decimal | None
    earned_value: Decimal | None
    actual_cost: Decimal | None  # cost entries dated on or before the status date
    cost_to_date: Decimal  # every cost entry dated on or before the as-of date
    cost_performance_index: Decimal | None
    schedule_performance_index: Decimal | None
    forecast_cost: Decimal | None  # the PM's, from the status date's report
    computed_estimate_at_completion: Decimal | None  # BAC ÷ CPI
    pessimistic_estimate_at_completion: Decimal | None  # AC + (BAC − EV) ÷ (CPI × SPI)
    eac_basis: str
    estimate_at_completion: Decimal | None  # the one `eac_basis` picks
    variance_at_completion: Decimal | None

    @property
    def spent_since_status_date(self) -> Decimal:
        """Costs booked after the status date (all of them without one): not in CPI."""
        return self.cost_to_date - (self.actual_cost or Decimal("0"))


def earned_value(
    *,
    budget: Decimal,
    status_date: date | None,
    planned_percent_complete: Decimal | None,
    percent_complete: Decimal | None,
    actual_cost: Decimal | None,
    cost_to_date: Decimal = Decimal("0"),
    forecast_cost: Decimal | None = None,
    eac_basis: str = EacBasis.WORSE_OF,
) -> EarnedValue:
    """EVM at the status date. `planned_percent_complete` is the plan's % at the status date,
    `percent_complete` and `forecast_cost` the status date's report's, `actual_cost` the cost
    entries up to the status date. Without a status date there is nothing to measure."""
    budget = Decimal(budget)
    cost_to_date = Decimal(cost_to_date or 0)
    if status_date is None:
        return EarnedValue(
            status_date=None,
            budget_at_completion=budget,
            planned_value=None,
            earned_value=None,
            actual_cost=None,
            cost_to_date=cost_to_date,
            cost_performance_index=None,
            schedule_performance_index=None,
            forecast_cost=None,
            computed_estimate_at_completion=None,
            pessimistic_estimate_at_completion=None,
            eac_basis=eac_basis,
            estimate_at_completion=None,
            variance_at_completion=None,
        )
    planned = budget * Decimal(planned_percent_complete or 0) / HUNDRED
    earned = budget * Decimal(percent_complete or 0) / HUNDRED
    actual = Decimal(actual_cost or 0)
    cpi = ratio(earned, actual)
    spi = ratio(earned, planned)
    computed = budget * actual / earned if cpi else None  # BAC ÷ CPI
    pessimistic = actual + (budget - earned) / (cpi * spi) if cpi and spi else None
    forecast = None if forecast_cost is None else Decimal(forecast_cost)
    eac = estimate_at_completion(computed, forecast, eac_basis)
    return EarnedValue(
        status_date=status_date,
        budget_at_completion=budget,
        planned_value=planned,
        earned_value=earned,
        actual_cost=actual,
        cost_to_date=cost_to_date,
        cost_performance_index=cpi,
        schedule_performance_index=spi,
        forecast_cost=forecast,
        computed_estimate_at_completion=computed,
        pessimistic_estimate_at_completion=pessimistic,
        eac_basis=eac_basis,
        estimate_at_completion=eac,
        variance_at_completion=None if eac is None else budget - eac,
    )


def report_missing(
    *, status_date: date | None, due: date, start_date: date, expected_to_report: bool
) -> bool:
    """The project's status date lags: it is expected to report (an active project started
    by `due`) and has no submitted report for the period ending on `due` or later
    (`projects.periods.status_date_due`: one period plus the grace days)."""
    if not expected_to_report or start_date > due:
        return False
    return status_date is None or status_date < due


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


@dataclass(frozen=True)
class Health:
    computed: str  # green, amber, red; "" when neither CPI nor SPI is known
    is_watermelon: bool
    forecast_optimistic: bool  # `is_forecast_optimistic`


def project_health(
    figures: EarnedValue,
    *,
    reported_overall: str,
    dimension_rags: Iterable[str],
    green_threshold: Decimal,
    amber_threshold: Decimal,
) -> Health:
    """Computed health, the watermelon flag and the optimistic-forecast flag of a project's
    figures against the report of its status date (blank RAGs without one)."""
    computed = computed_health(
        figures.cost_performance_index,
        figures.schedule_performance_index,
        green_threshold=green_threshold,
        amber_threshold=amber_threshold,
    )
    return Health(
        computed=computed,
        is_watermelon=is_watermelon(reported_overall, dimension_rags, computed),
        forecast_optimistic=is_forecast_optimistic(
            figures.forecast_cost,
            figures.computed_estimate_at_completion,
            amber_threshold=amber_threshold,
        ),
    )


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
