"""What every app's API lists share: django-filter's `?field=` filters, then
`?ordering=field` / `-field` (each viewset names its `ordering_fields`). A service's refusal as
a 400 is `core.http_concurrency.service_errors`."""

from django import forms
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

# A query value django-filter would read as "no filter" though the schema's type refuses it:
# an empty date, number or boolean, or a boolean other than true/false ("null" reads as none).
TYPED_FIELDS = (
    forms.DateField,
    forms.DateTimeField,
    forms.TimeField,
    forms.DecimalField,
    forms.IntegerField,
    forms.FloatField,
    forms.NullBooleanField,
    forms.BooleanField,
    forms.ModelChoiceField,
)
BOOLEANS = ("true", "false")


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend that answers 400 for a filter value outside the schema's type
    rather than ignoring the filter (and answering every row)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = strict_errors(filterset, request.query_params)
            if errors:
                raise ValidationError(errors)
        return filterset


def strict_errors(filterset, params) -> dict[str, list[str]]:
    errors = {}
    for name, declared in filterset.filters.items():
        for value in params.getlist(name):
            if isinstance(declared, BooleanFilter):
                if value.lower() not in BOOLEANS:
                    errors[name] = ["Must be true or false."]
            elif isinstance(declared.field, TYPED_FIELDS) and not value.strip():
                errors[name] = ["A value is required (leave the parameter out for all)."]
    return errors


LIST_FILTER_BACKENDS = [StrictFilterBackend, OrderingFilter]
