"""ORM building blocks shared by the selectors of every app."""

from django.db.models import IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.money import money_zero


def scalar_subquery(queryset: QuerySet, *, group_by: str, aggregate, output_field):
    """One aggregate over the rows of `queryset` that belong to the outer row.

    `queryset` must already be filtered on an `OuterRef`; grouping by that same column makes
    the subquery return exactly one row (or none, hence the Coalesce)."""
    rows = queryset.order_by().values(group_by).annotate(value=aggregate).values("value")
    zero = (
        Value(0, output_field=IntegerField())
        if isinstance(output_field, IntegerField)
        else money_zero()
    )
    return Coalesce(Subquery(rows, output_field=output_field), zero, output_field=output_field)
