"""Glue shared by the write views: run a service and turn what it refuses into form errors,
so a form re-renders with the user's input kept and nothing half-saved."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portfolio.concurrency import ConcurrentEditError


def run_service(form: forms.Form, call: Callable[[], object]):
    """Call `call()`; on a validation error or an edit conflict, attach it to `form` and
    return None. A conflict is also kept on `form.conflict` so the template can show what the
    other person changed. PermissionDenied is not caught: it becomes a 403."""
    form.conflict = None
    try:
        return call()
    except ConcurrentEditError as conflict:
        form.conflict = conflict
        form.add_error(None, str(conflict))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = field if field in form.fields and field != NON_FIELD_ERRORS else None
                for message in messages:
                    form.add_error(target, message)
        else:
            for message in error.messages:
                form.add_error(None, message)
    return None
