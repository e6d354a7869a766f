"""Project plan views: plan fields, baseline, milestones.

Thin: look the project up through `visible_to` (404 when invisible), let the form parse the
input, call one service through `run_service` (its refusals become form errors), then
Post/Redirect/Get. PermissionDenied from a service is never caught: it is the 403."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from core import access
from core.people import person_name
from core.views import form_data, posted, run_service
from projects import selectors, services
from projects.forms import MilestoneForm, ProjectPlanForm, ReorderForm, VersionForm
from projects.models import Milestone, Project
from projects.shortcuts import editable_project, visible_project

person = person_name


def _page(request, template, project, *, can_edit=True, **context):
    """Render a plan page; `can_edit` says whether to show edit buttons (true on the pages
    reached through `editable_project`)."""
    return render(
        request,
        template,
        {"portfolio": project.portfolio, "project": project, "can_edit": can_edit, **context},
    )


# --- Plan and baseline ----------------------------------------------------------------------


@login_required
def project_edit(request, pk):
    project = editable_project(request, pk)
    # The form edits a copy, so the page header keeps showing what is saved.
    form = ProjectPlanForm(posted(request), instance=copy.copy(project))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.project_update(
                project=form.instance,
                data=form_data(form),
                expected_version=form.cleaned_data["version"],
                by=request.user,
            ),
        )
        if saved:
            messages.success(request, f"Plan of {project.code} saved.")
            return redirect("projects:detail", pk=project.pk)
    return _page(
        request,
        "projects/plan_edit.html",
        project,
        tab="plan",
        form=form,
        has_baseline=selectors.has_baseline(project),
        baseline_form=VersionForm(initial={"version": project.version}),
    )


@require_POST
@login_required
def project_set_baseline(request, pk):
    project = visible_project(request, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        run_service(
            form,
            lambda: services.project_set_baseline(
                project=project, expected_version=form.cleaned_data["version"], by=request.user
            ),
        )
    if form.errors:
        for error in form.non_field_errors() or ["The baseline form was incomplete; try again."]:
            messages.error(request, error)
    else:
        set_at = date_format(timezone.localtime(project.baseline_set_at), "j M Y H:i")
        messages.success(
            request,
            f"Baseline set by {person(request.user)} on {set_at}: "
            f"{date_format(project.baseline_start, 'j M Y')} – "
            f"{date_format(project.baseline_end, 'j M Y')}, with the BAC and the milestone "
            "forecasts.",
        )
    return redirect("projects:edit", pk=project.pk)


# --- Milestones ---------------------------------------------------------------------------


@login_required
def milestone_list(request, pk):
    project = visible_project(request, pk)
    rows = selectors.milestone_rows(project=project, user=request.user)
    return _page(
        request,
        "projects/milestone_list.html",
        project,
        can_edit=access.can_edit_project(request.user, project),
        tab="milestones",
        rows=rows,
        total_weight=sum(row.milestone.weight for row in rows),
    )


@login_required
def milestone_create(request, pk):
    project = editable_project(request, pk)
    form = MilestoneForm(posted(request), instance=Milestone(project=project))
    if request.method == "POST" and form.is_valid():
        milestone = run_service(
            form,
            lambda: services.milestone_create(
                project=project, data=form_data(form), by=request.user
            ),
        )
        if milestone:
            messages.success(request, f"Milestone “{milestone.name}” added.")
            return redirect("projects:milestones", pk=project.pk)
    return _page(request, "projects/milestone_form.html", project, tab="milestones", form=form)


def _milestone(project: Project, milestone_pk) -> Milestone:
    milestone = get_object_or_404(project.milestones, pk=milestone_pk)
    milestone.project = project  # already loaded, with its portfolio
    return milestone


@login_required
def milestone_edit(request, pk, milestone_pk):
    project = editable_project(request, pk)
    milestone = _milestone(project, milestone_pk)
    form = MilestoneForm(posted(request), instance=milestone)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.milestone_update(
                milestone=milestone,
                data=form_data(form),
                expected_version=form.cleaned_data["version"],
                by=request.user,
            ),
        )
        if saved:
            messages.success(request, f"Milestone “{saved.name}” saved.")
            return redirect("projects:milestones", pk=project.pk)
    return _page(
        request,
        "projects/milestone_form.html",
        project,
        tab="milestones",
        form=form,
        milestone=milestone,
    )


@login_required
def milestone_delete(request, pk, milestone_pk):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    project = editable_project(request, pk)
    milestone = _milestone(project, milestone_pk)
    if request.method == "POST":
        services.milestone_delete(milestone=milestone, by=request.user)
        messages.success(request, f"Milestone “{milestone.name}” deleted.")
        return redirect("projects:milestones", pk=project.pk)
    return _page(
        request,
        "projects/milestone_confirm_delete.html",
        project,
        tab="milestones",
        milestone=milestone,
    )


@require_POST
@login_required
def milestones_reorder(request, pk):
    """`order` is the full new order, comma-separated milestone ids (the up/down buttons of
    the list post it, so reordering needs no JavaScript)."""
    project = visible_project(request, pk)
    form = ReorderForm(request.POST)
    if form.is_valid():
        run_service(
            form,
            lambda: services.milestones_reorder(
                project=project, ordered_ids=form.cleaned_data["order"], by=request.user
            ),
        )
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, "Milestone order saved.")
    return redirect("projects:milestones", pk=project.pk)
