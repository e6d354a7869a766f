from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from core.bounds import (
    ID_MAX,
    BoundedModelMultipleChoiceField,
    amount_problem,
    normalise_amount,
    parse_date_param,
    parse_id_param,
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


@pytest.mark.parametrize("raw", ["", None, "0", "-1", "1.5", "x", "\u0663", str(2**63)])
def test_ids_that_no_row_can_have_are_none(raw):
    assert parse_id_param(raw) is None


def test_the_largest_id_still_parses():
    assert parse_id_param(str(ID_MAX)) == ID_MAX


@pytest.mark.django_db
def test_an_id_beyond_any_id_in_a_list_is_an_invalid_choice_not_a_database_error():
    field = BoundedModelMultipleChoiceField(queryset=get_user_model().objects.all())
    with pytest.raises(ValidationError, match=f"{2**63} is not one of the available choices"):
        field.clean(["1", str(2**63)])
