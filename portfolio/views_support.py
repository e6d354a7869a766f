"""Glue shared by the write views: run a service and turn what it refuses into form errors,
so a form re-renders with the user's input kept and nothing half-saved."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404

from portfolio import access
from portfolio.concurrency import ConcurrentEditError


def posted(request):
    """A form's data: the POST (even an empty one, so it still validates), or None on GET."""
    return request.POST if request.method == "POST" else None


def form_data(form) -> dict:
    """The cleaned values a service applies (everything but the concurrency token)."""
    return {name: value for name, value in form.cleaned_data.items() if name != "version"}


def visible_project(request, pk):
    """The project if the user may see it, else 404."""
    from projects.selectors import project_page_queryset

    return get_object_or_404(project_page_queryset(user=request.user), pk=pk)


def editable_project(request, pk):
    """The project for a page that only shows an edit form: 404 when invisible, 403 when the
    user may only read it (the services check the same rule again when they write)."""
    project = visible_project(request, pk)
    access.require(access.can_edit_project(request.user, project))
    return project


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
