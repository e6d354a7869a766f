"""What every app's API lists share: django-filter's `?field=` filters, then
`?ordering=field` / `-field` (each viewset names its `ordering_fields`). A service's refusal as
a 400 is `core.http_concurrency.service_errors`."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

LIST_FILTER_BACKENDS = [DjangoFilterBackend, OrderingFilter]
