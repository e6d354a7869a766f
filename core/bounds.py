"""The one window of sane dates: every date or month that enters Slate (a form, a query
string, a URL part, the API, a CSV import) must fall between `SLATE_DATE_MIN` and
`SLATE_DATE_MAX`. Outside it, month and period arithmetic overflows `date` (year 1 or 9999)
and a stored row would break every page that reads it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Context, Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
CENT = Decimal("0.01")
WIDE = Context(prec=1000)  # quantizing a huge amount must not raise


def date_window() -> tuple[date, date]:
    return settings.SLATE_DATE_MIN, settings.SLATE_DATE_MAX


def outside_window_message(day: date) -> str:
    first, last = date_window()
    return (
        f"{day:%Y-%m-%d} is outside the dates Slate accepts ({first:%Y-%m-%d} to {last:%Y-%m-%d})."
    )


def in_window(day: date) -> bool:
    first, last = date_window()
    return first <= day <= last


def validate_date_in_window(value: date) -> None:
    """A model or form field validator (also for month fields: their value is a date)."""
    if value is not None and not in_window(value):
        raise ValidationError(outside_window_message(value), code="date_window")


def parse_date_param(raw: str | None) -> date | None:
    """`YYYY-MM-DD` inside the window, or None (absent, unreadable or outside)."""
    try:
        day = date.fromisoformat(raw or "")
    except ValueError:
        return None
    return day if in_window(day) else None


def parse_month_param(raw: str | None) -> date | None:
    """`YYYY-MM` inside the window, as its first day, or None (absent, unreadable or outside)."""
    match = MONTH_PATTERN.fullmatch(raw or "")
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    month = date(int(match[1]), int(match[2]), 1)
    return month if in_window(month) else None


def amount_problem(value: Decimal) -> str | None:
    """Why a money amount cannot be stored as is (NaN, infinite, sub-cent), or None."""
    if not value.is_finite():
        return "Enter a finite amount."
    if value.as_tuple().exponent < -2 and value != value.quantize(CENT, context=WIDE):
        return "Amounts are in whole cents: use at most two decimal places."
    return None


def normalise_amount(value: Decimal) -> Decimal:
    """-0 (and -0.00) is stored as 0: a sign on nothing only confuses exports and sorting."""
    return value.copy_abs() if value == 0 else value


class BoundedDateField(forms.DateField):
    """A form's date field that refuses a date outside the window."""

    default_validators = [validate_date_in_window]


# Ids: every primary key is a signed 64-bit integer. Django guards exact lookups against a
# larger number, but not `__in` lists, where 2**63 reaches the database and fails there.
ID_MAX = 2**63 - 1


def parse_id_param(raw: str | None) -> int | None:
    """A positive id from a query string, or None (absent, unreadable or beyond any id)."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= ID_MAX else None


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A list of ids in which one beyond any id is an invalid choice, named in the error,
    rather than a query the database refuses."""

    def _check_values(self, value):
        if self.to_field_name is None:
            try:
                values = list(value)
            except TypeError:
                values = []
            for pk in values:
                text = str(pk)
                if text.isascii() and text.isdigit() and int(text) > ID_MAX:
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": text},
                    )
        return super()._check_values(value)
