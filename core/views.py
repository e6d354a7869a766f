"""Helpers every app's views share: read a posted form, page a list, and run a service so that
what it refuses becomes form errors (the form re-renders with the input kept, nothing
half-saved)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Page, Paginator

from core.concurrency import ConcurrentEditError


def posted(request):
    """A form's data: the POST (even an empty one, so it still validates), or None on GET."""
    return request.POST if request.method == "POST" else None


def form_data(form) -> dict:
    """The cleaned values a service applies (everything but the concurrency token)."""
    return {name: value for name, value in form.cleaned_data.items() if name != "version"}


def paginate(request, queryset) -> Page:
    """Page `?page=` of `queryset`; a page number that is out of range or not a number
    gives the last or the first page rather than an error."""
    return Paginator(queryset, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))


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
        # The form now shows the other person's changes; point its hidden version at the
        # current row so that saving again, on purpose, goes through.
        if "version" in form.fields:
            form.data = form.data.copy()
            form.data[form.add_prefix("version")] = conflict.current.version
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
