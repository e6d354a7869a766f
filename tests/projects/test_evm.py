"""EVM formulas against hand-worked examples (docs/formulas.md)."""

from datetime import date
from decimal import Decimal as D

import pytest

from projects import evm

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
    assert evm.planned_percent(START, END, milestones, date(2026, 4, 2)) == D("60.00")
    # Halfway to the milestone (day 45.5 → take day 45): 60 × 45/91 = 29.67
    assert evm.planned_percent(START, END, milestones, date(2026, 2, 15)) == D("29.67")
    # 91 days after the milestone: 60 + 40 × 91/273 = 73.33
    assert evm.planned_percent(START, END, milestones, date(2026, 7, 2)) == D("73.33")


def test_planned_percent_accumulates_weights_in_date_order_and_ignores_undated():
    milestones = [(date(2026, 10, 1), D("30")), (None, D("50")), (date(2026, 4, 2), D("20"))]
    assert evm.planned_percent(START, END, milestones, date(2026, 4, 2)) == D("20.00")
    assert evm.planned_percent(START, END, milestones, date(2026, 10, 1)) == D("50.00")


def test_planned_percent_without_baseline_is_zero():
    assert evm.planned_percent(None, None, [], date(2026, 6, 1)) == D("0")


def test_earned_value_hand_worked():
    # BAC 200,000; planned 50 %, done 40 %, spent 100,000.
    figures = evm.earned_value(
        budget=D("200000"),
        planned_percent_complete=D("50"),
        percent_complete=D("40"),
        actual_cost=D("100000"),
    )
    assert figures.planned_value == D("100000.00")
    assert figures.earned_value == D("80000.00")
    assert figures.cost_performance_index == D("0.800")
    assert figures.schedule_performance_index == D("0.800")
    assert figures.estimate_at_completion == D("250000.00")  # 200,000 / 0.8
    assert figures.variance_at_completion == D("-50000.00")


def test_forecast_cost_overrides_eac():
    figures = evm.earned_value(
        budget=D("200000"),
        planned_percent_complete=D("50"),
        percent_complete=D("40"),
        actual_cost=D("100000"),
        forecast_cost=D("230000"),
    )
    assert figures.estimate_at_completion == D("230000.00")
    assert figures.variance_at_completion == D("-30000.00")


def test_zero_divisors_give_none_not_a_crash():
    figures = evm.earned_value(
        budget=D("50000"),
        planned_percent_complete=D("0"),
        percent_complete=D("0"),
        actual_cost=D("0"),
    )
    assert figures.cost_performance_index is None
    assert figures.schedule_performance_index is None
    assert figures.estimate_at_completion is None
    assert figures.variance_at_completion is None


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
