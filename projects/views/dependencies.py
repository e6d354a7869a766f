"""Dependency views: add, change and remove what a project depends on (from its page; the
portfolio's dependency graph is a portfolio page, portfolio/views/oversight.py).

Thin, like the plan views: look up through `visible_to` (404 when invisible), let the form
parse the input, call one service of `projects.dependencies` through `run_service` (its
refusals become form errors), then Post/Redirect/Get. PermissionDenied is the 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from core import access
from core.views import posted, run_service
from projects import dependencies
from projects.forms import DependencyForm, short_date
from projects.models import Project, ProjectDependency
from projects.shortcuts import editable_project


def _dependency_or_404(request, dependency_pk) -> ProjectDependency:
    """The dependency if the user sees its successor (the page is the successor's), else 404;
    403 when they may only read it."""
    try:
        dependency = dependencies.dependency_for_edit(user=request.user, pk=dependency_pk)
    except ProjectDependency.DoesNotExist as missing:
        raise Http404("No such dependency.") from missing
    access.require(access.can_edit_project(request.user, dependency.successor))
    hidden = "a project you cannot open"
    dependency.predecessor_label = (
        dependency.predecessor.code if dependency.predecessor_visible else hidden
    )
    return dependency


def _back_to_project(project: Project):
    return redirect(reverse("projects:detail", args=[project.pk]) + "#depends-on")


def _page(request, template, project, **context):
    return render(
        request,
        template,
        {
            "portfolio": project.portfolio,
            "project": project,
            "can_edit": True,
            "tab": "overview",
            **context,
        },
    )


@login_required
def dependency_create(request, pk):
    successor = editable_project(request, pk)
    form = DependencyForm(
        posted(request),
        candidates=dependencies.predecessor_choices(successor=successor, user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        dependency = run_service(
            form,
            lambda: dependencies.dependency_create(
                successor=successor, data=form.service_data(), by=request.user
            ),
        )
        if dependency:
            messages.success(
                request,
                f"{successor.code} now depends on {dependency.predecessor.code}, "
                f"needed by {short_date(dependency.needed_by)}.",
            )
            return _back_to_project(successor)
    return _page(request, "projects/dependency_form.html", successor, form=form)


@login_required
def dependency_edit(request, dependency_pk):
    dependency = _dependency_or_404(request, dependency_pk)
    successor = dependency.successor
    saved_predecessor_id, saved_label = dependency.predecessor_id, dependency.predecessor_label
    form = DependencyForm(
        posted(request),
        candidates=dependencies.predecessor_choices(successor=successor, user=request.user),
        instance=dependency,
        hidden_predecessor=not dependency.predecessor_visible,
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: dependencies.dependency_update(
                dependency=dependency, data=form.service_data(), by=request.user
            ),
        )
        if saved:
            label = (
                saved_label
                if saved.predecessor_id == saved_predecessor_id
                else saved.predecessor.code
            )
            messages.success(request, f"Dependency on {label} saved.")
            return _back_to_project(successor)
    return _page(
        request, "projects/dependency_form.html", successor, form=form, dependency=dependency
    )


@login_required
def dependency_delete(request, dependency_pk):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    dependency = _dependency_or_404(request, dependency_pk)
    successor = dependency.successor
    if request.method == "POST":
        dependencies.dependency_delete(dependency=dependency, by=request.user)
        messages.success(
            request, f"{successor.code} no longer depends on {dependency.predecessor_label}."
        )
        return _back_to_project(successor)
    return _page(
        request, "projects/dependency_confirm_delete.html", successor, dependency=dependency
    )
