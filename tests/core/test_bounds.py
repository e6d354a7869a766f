from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.bounds import (
    amount_problem,
    normalise_amount,
    parse_date_param,
    parse_month_param,
    validate_date_in_window,
)


def test_the_window_follows_the_settings(settings):
    settings.SLATE_DATE_MIN, settings.SLATE_DATE_MAX = date(2000, 1, 1), date(2030, 12, 31)
    assert parse_date_param("2000-01-01") == date(2000, 1, 1)
    assert parse_date_param("1999-12-31") is None
    assert parse_month_param("2031-01") is None
    assert parse_month_param("2030-12") == date(2030, 12, 1)


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "", None, "2026-13-01", "x\x00"])
def test_dates_outside_the_window_or_unreadable_are_none(raw):
    assert parse_date_param(raw) is None


@pytest.mark.parametrize("raw", ["0001-01", "9999-12", "2026-13", "2026-1", "", None])
def test_months_outside_the_window_or_unreadable_are_none(raw):
    assert parse_month_param(raw) is None


def test_the_validator_names_the_window():
    validate_date_in_window(date(2026, 11, 29))
    with pytest.raises(ValidationError, match="outside the dates Slate accepts"):
        validate_date_in_window(date(1, 1, 1))


def test_sub_cent_and_non_finite_amounts_are_refused_and_minus_zero_is_zero():
    assert amount_problem(Decimal("12.500")) is None
    assert "two decimal places" in amount_problem(Decimal("1.005"))
    assert amount_problem(Decimal("NaN")) == "Enter a finite amount."
    assert amount_problem(Decimal("1e309")) is None  # finite: the caller's range check refuses it
    assert str(normalise_amount(Decimal("-0.00"))) == "0.00"
