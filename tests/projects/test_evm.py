"""EVM formulas against hand-worked examples (docs/formulas.md)."""

from datetime import date
from decimal import Decimal as D

import pytest

from portfolio.models import EacBasis
from projects import evm
from projects.periods import status_date_due

START, END = date(2026, 1, 1), date(2026, 12, 31)  # 364 days apart


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2025, 12, 1), D("0")),  # before the start
        (START, D("0")),
        (date(2026, 7, 2), D("50.00")),  # 182 of 364 days, no milestones
        (END, D("100")),
        (date(2027, 3, 1), D("100")),  # after the end
    ],
)
def test_planned_percent_is_linear_without_milestones(as_of, expected):
    assert evm.planned_percent(START, END, [], as_of) == expected


def test_planned_percent_bends_at_milestones():
    # Milestone of weight 60 % at day 91 (2026-04-02): 0 → 60 over 91 days, 60 → 100 over 273.
    milestones = [(date(2026, 4, 2), D("60"))]
    assert evm.planned_percent(START, END, milestones, date(2026, 4, 2)) == D("60")
    # 45 days into the first segment: 60 × 45/91 = 29.6703…%, exact (not 29.67)
    assert evm.planned_percent(START, END, milestones, date(2026, 2, 15)) == D(60) * 45 / 91
    # 91 days after the milestone: 60 + 40 × 91/273 = 73.333…%
    assert evm.planned_percent(START, END, milestones, date(2026, 7, 2)) == D(60) + D(40) / 3


def test_planned_value_is_not_rounded_before_it_is_multiplied_by_the_budget():
    # 29.6703…% of 10,000,000 is 2,967,032.97: rounding the % to 29.67 first gave 2,967,000.
    planned = evm.planned_percent(START, END, [(date(2026, 4, 2), D("60"))], date(2026, 2, 15))
    figures = evm.earned_value(
        budget=D("10000000"),
        status_date=date(2026, 2, 15),
        planned_percent_complete=planned,
        percent_complete=D("25"),
        actual_cost=D("2500000"),
    )
    assert figures.planned_value == D("10000000") * D(60) * 45 / 91 / 100
    assert figures.planned_value.quantize(D("0.01")) == D("2967032.97")


def _figures(**changes):
    """BAC 200,000 measured at 31 Mar: planned 50 %, done 40 %, spent 100,000 by then and
    120,000 by today."""
    inputs = {
        "budget": D("200000"),
        "status_date": date(2026, 3, 31),
        "planned_percent_complete": D("50"),
        "percent_complete": D("40"),
        "actual_cost": D("100000"),
        "cost_to_date": D("120000"),
        **changes,
    }
    return evm.earned_value(**inputs)


def test_earned_value_hand_worked():
    figures = _figures()
    assert figures.status_date == date(2026, 3, 31)
    assert figures.planned_value == D("100000")
    assert figures.earned_value == D("80000")
    assert figures.actual_cost == D("100000")
    assert figures.spent_since_status_date == D("20000")  # booked after 31 Mar: not in CPI
    assert figures.cost_performance_index == D("0.8")
    assert figures.schedule_performance_index == D("0.8")
    assert figures.computed_estimate_at_completion == D("250000")  # 200,000 / 0.8
    # 100,000 + (200,000 − 80,000) / (0.8 × 0.8) = 100,000 + 187,500
    assert figures.pessimistic_estimate_at_completion == D("287500")
    assert figures.forecast_cost is None
    assert figures.estimate_at_completion == D("250000")  # no forecast: the computed one
    assert figures.variance_at_completion == D("-50000")


@pytest.mark.parametrize(
    ("basis", "forecast", "eac"),
    [
        # computed EAC 250,000 (BAC ÷ CPI 0.8)
        (EacBasis.WORSE_OF, D("230000"), D("250000")),  # the forecast is lower: computed
        (EacBasis.WORSE_OF, D("300000"), D("300000")),  # the forecast is higher: forecast
        (EacBasis.COMPUTED, D("300000"), D("250000")),
        (EacBasis.FORECAST, D("230000"), D("230000")),
        (EacBasis.FORECAST, None, D("250000")),  # no forecast: the computed one
    ],
)
def test_eac_follows_the_portfolio_basis(basis, forecast, eac):
    figures = _figures(forecast_cost=forecast, eac_basis=basis)
    assert figures.estimate_at_completion == eac
    assert figures.variance_at_completion == D("200000") - eac
    assert figures.forecast_cost == forecast
    assert figures.computed_estimate_at_completion == D("250000")  # shown whatever the basis


@pytest.mark.parametrize("basis", [EacBasis.WORSE_OF, EacBasis.COMPUTED])
def test_without_a_computed_eac_the_forecast_is_used(basis):
    figures = _figures(actual_cost=D("0"), forecast_cost=D("210000"), eac_basis=basis)
    assert figures.cost_performance_index is None
    assert figures.computed_estimate_at_completion is None
    assert figures.estimate_at_completion == D("210000")


@pytest.mark.parametrize(
    ("forecast", "optimistic"),
    [
        # computed EAC 250,000; amber 0.85: flagged below 250,000 × 0.85 = 212,500
        (D("212499.99"), True),
        (D("212500"), False),  # exactly the amber band below: not more than it
        (D("230000"), False),
        (D("400000"), False),  # pessimistic is not optimistic
        (None, False),
    ],
)
def test_a_forecast_below_the_computed_eac_by_more_than_the_amber_band_is_optimistic(
    forecast, optimistic
):
    figures = _figures(forecast_cost=forecast)
    assert (
        evm.is_forecast_optimistic(
            figures.forecast_cost,
            figures.computed_estimate_at_completion,
            amber_threshold=D("0.85"),
        )
        is optimistic
    )


def test_no_status_date_no_pv_ev_or_indices():
    """No submitted report: nothing is measured (it used to count as 0 % done, SPI 0, red)."""
    figures = _figures(
        status_date=None,
        planned_percent_complete=None,
        percent_complete=None,
        actual_cost=None,
        forecast_cost=D("190000"),
    )
    for name in (
        "planned_value",
        "earned_value",
        "actual_cost",
        "cost_performance_index",
        "schedule_performance_index",
        "computed_estimate_at_completion",
        "pessimistic_estimate_at_completion",
        "forecast_cost",
        "estimate_at_completion",
        "variance_at_completion",
    ):
        assert getattr(figures, name) is None, name
    assert figures.spent_since_status_date == figures.cost_to_date == D("120000")
    assert (
        evm.computed_health(figures.cost_performance_index, figures.schedule_performance_index)
        == ""
    )


def test_zero_divisors_give_none_not_a_crash():
    figures = _figures(planned_percent_complete=D("0"), percent_complete=D("0"), actual_cost=D("0"))
    assert figures.cost_performance_index is None
    assert figures.schedule_performance_index is None
    assert figures.computed_estimate_at_completion is None
    assert figures.pessimistic_estimate_at_completion is None
    assert figures.estimate_at_completion is None
    assert figures.variance_at_completion is None


def test_pessimistic_eac_needs_both_indices():
    figures = _figures(planned_percent_complete=D("0"))  # PV 0: no SPI
    assert figures.cost_performance_index == D("0.8")
    assert figures.schedule_performance_index is None
    assert figures.pessimistic_estimate_at_completion is None


# --- Status date and missing reports ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "as_of", "due"),
    [
        # Monthly, 5 grace days: November's report is due by 5 Dec.
        ("monthly", date(2026, 11, 29), date(2026, 10, 31)),
        ("monthly", date(2026, 12, 5), date(2026, 10, 31)),
        ("monthly", date(2026, 12, 6), date(2026, 11, 30)),
        # Weekly (Monday to Sunday): the week ending Sunday 29 Nov is due by Friday 4 Dec.
        ("weekly", date(2026, 12, 4), date(2026, 11, 22)),
        ("weekly", date(2026, 12, 5), date(2026, 11, 29)),
    ],
)
def test_status_date_due_is_one_period_plus_the_grace_days_back(kind, as_of, due):
    assert status_date_due(kind, as_of) == due


@pytest.mark.parametrize(
    ("status_date", "start", "active", "missing"),
    [
        (date(2026, 11, 30), date(2026, 1, 1), True, False),  # up to date
        (date(2026, 10, 31), date(2026, 1, 1), True, True),  # November's report is late
        (None, date(2026, 1, 1), True, True),  # never reported
        (None, date(2026, 12, 1), True, False),  # started after the due period
        (date(2026, 10, 31), date(2026, 1, 1), False, False),  # on hold, closed…: not expected
    ],
)
def test_report_missing_when_the_status_date_lags(status_date, start, active, missing):
    due = status_date_due("monthly", date(2026, 12, 6))  # 30 Nov
    assert (
        evm.report_missing(
            status_date=status_date, due=due, start_date=start, expected_to_report=active
        )
        is missing
    )


@pytest.mark.parametrize(
    ("cpi", "spi", "health"),
    [
        (D("1.000"), D("0.950"), "green"),
        (D("0.949"), D("1.2"), "amber"),
        (D("0.850"), D("0.9"), "amber"),
        (D("0.849"), D("1.0"), "red"),
        (None, D("0.96"), "green"),
        (None, None, ""),
    ],
)
def test_computed_health_uses_the_worst_index(cpi, spi, health):
    assert evm.computed_health(cpi, spi) == health


def test_computed_health_honours_portfolio_thresholds():
    assert evm.computed_health(D("0.92"), D("0.92"), green_threshold=D("0.90")) == "green"


@pytest.mark.parametrize(
    ("reported", "dimensions", "computed", "expected"),
    [
        ("green", ["green"] * 5, "red", True),  # two bands better
        ("green", ["green", "red", "green", "green", "green"], "green", True),  # red inside
        ("green", ["green"] * 5, "amber", False),  # one band is optimism, not a watermelon
        ("amber", ["amber"] * 5, "red", False),
        ("red", ["red"] * 5, "green", False),
        ("green", ["green"] * 5, "", False),
    ],
)
def test_watermelon_rule(reported, dimensions, computed, expected):
    assert evm.is_watermelon(reported, dimensions, computed) is expected


# --- Milestone slip ---------------------------------------------------------------------------

BASELINE = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("forecast", "actual", "done", "as_of", "slip"),
    [
        # Not reached, forecast still ahead of as_of: forecast − baseline.
        (date(2026, 7, 10), None, False, date(2026, 6, 1), 10),
        (date(2026, 6, 20), None, False, date(2026, 6, 1), -10),  # forecast early
        (None, None, False, date(2026, 6, 1), 0),  # no forecast: the baseline holds
        # Ties: forecast on the baseline is on time, up to and on the baseline day itself.
        (BASELINE, None, False, date(2026, 6, 1), 0),
        (BASELINE, None, False, BASELINE, 0),
        (date(2026, 7, 10), None, False, date(2026, 7, 10), 10),  # due today, not yet late by as_of
        # Not reached, forecast already past: late by as_of − baseline.
        (BASELINE, None, False, date(2026, 7, 1), 1),
        (date(2026, 7, 10), None, False, date(2026, 8, 9), 40),
        (None, None, False, date(2026, 7, 31), 31),
        (date(2026, 6, 20), None, False, date(2026, 6, 25), -5),  # past, but before the baseline
        # Reached: actual − baseline, whatever the forecast and as_of.
        (date(2026, 9, 1), BASELINE, False, date(2026, 12, 1), 0),  # actual on the baseline
        (date(2026, 7, 5), date(2026, 6, 25), False, date(2026, 12, 1), -5),  # actual before
        (date(2026, 6, 1), date(2026, 7, 12), True, date(2026, 12, 1), 12),  # actual after
        (date(2026, 7, 12), date(2026, 7, 12), False, date(2026, 6, 1), 12),  # actual in the future
        # Done without an actual date: its forecast, else its baseline.
        (date(2026, 7, 5), None, True, date(2026, 12, 1), 5),
        (None, None, True, date(2026, 12, 1), 0),
    ],
)
def test_milestone_slip_days(forecast, actual, done, as_of, slip):
    assert evm.milestone_slip_days(BASELINE, forecast, actual, done=done, as_of=as_of) == slip


def test_milestone_without_a_baseline_has_no_slip():
    assert (
        evm.milestone_slip_days(None, date(2026, 7, 1), None, done=False, as_of=date(2026, 8, 1))
        is None
    )
    assert (
        evm.milestone_slip_days(None, None, date(2026, 7, 1), done=True, as_of=date(2026, 8, 1))
        is None
    )
