"""Fetch the project a view is about, or answer 404/403 (as django.shortcuts does)."""

from django.shortcuts import get_object_or_404

from core import access
from projects.selectors import project_page_queryset


def visible_project(request, pk):
    """The project if the user may see it, else 404."""
    return get_object_or_404(project_page_queryset(user=request.user), pk=pk)


def editable_project(request, pk):
    """The project for a page that only shows an edit form: 404 when invisible, 403 when the
    user may only read it (the services check the same rule again when they write)."""
    project = visible_project(request, pk)
    access.require(access.can_edit_project(request.user, project))
    return project
