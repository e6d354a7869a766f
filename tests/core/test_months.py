from datetime import date

from core.months import (
    add_months,
    month_count,
    month_end,
    month_key_offset,
    month_start,
    months_between,
    shift_months,
)


def test_add_months_crosses_year_ends_both_ways():
    assert add_months(date(2026, 11, 29), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 3, 15), 0) == date(2026, 3, 1)


def test_month_bounds_know_leap_years():
    assert month_start(date(2028, 2, 17)) == date(2028, 2, 1)
    assert month_end(date(2028, 2, 17)) == date(2028, 2, 29)
    assert month_end(date(2027, 2, 1)) == date(2027, 2, 28)


def test_month_count_and_months_between_include_both_ends():
    assert month_count(date(2026, 11, 30), date(2027, 2, 1)) == 4
    assert months_between(date(2026, 11, 30), date(2027, 2, 1)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert months_between(date(2026, 5, 1), date(2026, 4, 30)) == []


def test_shift_months_keeps_the_day_and_month_ends():
    assert shift_months(date(2027, 1, 15), 1) == date(2027, 2, 15)
    assert shift_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert shift_months(date(2027, 2, 28), 2) == date(2027, 4, 30)
    assert shift_months(date(2027, 3, 30), -1) == date(2027, 2, 28)
    assert shift_months(date(2027, 5, 10), 0) == date(2027, 5, 10)


def test_month_key_offset_counts_months_both_ways():
    assert month_key_offset(date(2027, 11, 20), "2028-02") == 3
    assert month_key_offset(date(2027, 3, 1), "2026-12") == -3
