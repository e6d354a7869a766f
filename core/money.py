"""Money and percent columns: one precision for every amount Slate stores."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import DecimalField, Value

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def money_zero() -> Value:
    """A zero amount as a SQL value, for Coalesce and Case defaults."""
    return Value(Decimal("0"), output_field=DecimalField(**MONEY))
