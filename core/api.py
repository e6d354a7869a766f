"""What every app's API shares: a service's refusal as DRF's 400 body, and the list endpoints'
filter and ordering backends. Only DRF plumbing: no domain app is known here."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.settings import api_settings

# Every list: django-filter's `?field=` filters, then `?ordering=field` / `-field`.
LIST_FILTER_BACKENDS = [DjangoFilterBackend, OrderingFilter]


def error_detail(error: ValidationError, *, rows_field: str = "rows") -> dict:
    """A service's ValidationError as DRF's 400 body: field → messages. A set service's
    refusal (`SetValidationError`, with `row_errors`) adds `rows_field`: row index → field →
    messages, so a client finds the row and field each message is about."""
    if not hasattr(error, "error_dict"):
        detail = {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    else:
        detail = {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    row_errors = getattr(error, "row_errors", None)
    if row_errors:
        if detail.get(api_settings.NON_FIELD_ERRORS_KEY) and not hasattr(error, "error_dict"):
            # "Some rows need correcting": the rows say which.
            detail.pop(api_settings.NON_FIELD_ERRORS_KEY)
        detail[rows_field] = {
            str(index): {
                api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: list(
                    messages
                )
                for field, messages in fields.items()
            }
            for index, fields in sorted(row_errors.items())
        }
    return detail


@contextmanager
def service_errors(*, rows_field: str = "rows"):
    """Run a service call: its ValidationError becomes DRF's 400 naming the field(s).
    PermissionDenied passes through (DRF answers 403), as does an edit conflict."""
    try:
        yield
    except ValidationError as error:
        raise serializers.ValidationError(error_detail(error, rows_field=rows_field)) from error
