"""Dependency views: add, change and remove what a project depends on (from its page), and
the portfolio's dependency graph (issue 8, item 6).

Thin, like the plan views: look up through `visible_to` (404 when invisible), let the form
parse the input, call one service of `projects.dependencies` through `run_service` (its
refusals become form errors), then Post/Redirect/Get. PermissionDenied is the 403.

The form lives here, not in `projects/forms.py`: it is this page's only form and that module
belongs to the plan pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format

import charts
from core import access
from core.views import posted, run_service
from portfolio.models import Portfolio
from projects import dependencies
from projects.models import DependencyKind, Milestone, Project, ProjectDependency
from projects.shortcuts import editable_project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _day(value) -> str:
    return date_format(value, "j M Y")


def _milestone_label(milestone: Milestone) -> str:
    if milestone.actual_date:
        when = f"done {_day(milestone.actual_date)}"
    elif milestone.forecast_date:
        when = f"forecast {_day(milestone.forecast_date)}"
    elif milestone.baseline_date:
        when = f"baseline {_day(milestone.baseline_date)}"
    else:
        when = "no date"
    return f"{milestone.name} ({when})"


class DependencyForm(forms.Form):
    """One select says both whom the project needs and what delivers it: per predecessor
    project, an option for its finish and one per milestone ("p12" or "m34"), grouped by
    project, so a milestone always belongs to the chosen project and no JavaScript is needed.
    The service checks the same rules again."""

    predecessor = forms.ChoiceField(
        label="Needs from",
        help_text="The project this one waits for, and which of its milestones delivers "
        "(or its finish).",
    )
    kind = forms.ChoiceField(choices=DependencyKind.choices, initial=DependencyKind.FINISH_TO_START)
    deliverable = forms.CharField(
        max_length=200,
        required=False,
        help_text="What is handed over, e.g. “Data architecture v2”; required for a shared "
        "deliverable.",
    )
    needed_by = forms.DateField(widget=DATE, help_text="When this project needs it.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Why it is needed"
    )

    def __init__(self, data=None, *, candidates: list[Project], instance=None):
        self.instance = instance
        initial = {}
        if instance is not None:
            initial = {
                "predecessor": _choice_value(instance.predecessor, instance.predecessor_milestone),
                "kind": instance.kind,
                "deliverable": instance.deliverable,
                "needed_by": instance.needed_by,
                "description": instance.description,
            }
        super().__init__(data, initial=initial)
        self._choices = {}
        groups = []
        for project in candidates:
            options = [(f"p{project.pk}", f"{project.code} finishes ({_day(project.end_date)})")]
            self._choices[f"p{project.pk}"] = (project, None)
            for milestone in project.milestones_in_order:
                options.append((f"m{milestone.pk}", _milestone_label(milestone)))
                self._choices[f"m{milestone.pk}"] = (project, milestone)
            groups.append((f"{project.code} · {project.name}", options))
        if instance is not None:
            # The current choice stays selectable even when it is not offered any more (a
            # project of another portfolio linked by a PMO admin, or one the user cannot see).
            current = _choice_value(instance.predecessor, instance.predecessor_milestone)
            if current not in self._choices:
                milestone = instance.predecessor_milestone
                label = _milestone_label(milestone) if milestone else "its finish"
                groups.insert(0, (f"{instance.predecessor.code} (current)", [(current, label)]))
                self._choices[current] = (instance.predecessor, milestone)
        self.fields["predecessor"].choices = [("", "Choose a project…"), *groups]

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("predecessor")
        if choice:
            cleaned["predecessor"], cleaned["predecessor_milestone"] = self._choices[choice]
        return cleaned

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in dependencies.DEPENDENCY_FIELDS}


def _choice_value(project: Project, milestone: Milestone | None) -> str:
    return f"m{milestone.pk}" if milestone else f"p{project.pk}"


def _dependency_or_404(request, dependency_pk) -> ProjectDependency:
    """The dependency if the user sees its successor (the page is the successor's), else 404;
    403 when they may only read it."""
    try:
        dependency = dependencies.dependency_for_edit(user=request.user, pk=dependency_pk)
    except ProjectDependency.DoesNotExist as missing:
        raise Http404("No such dependency.") from missing
    access.require(access.can_edit_project(request.user, dependency.successor))
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
                f"needed by {_day(dependency.needed_by)}.",
            )
            return _back_to_project(successor)
    return _page(request, "projects/dependency_form.html", successor, form=form)


@login_required
def dependency_edit(request, dependency_pk):
    dependency = _dependency_or_404(request, dependency_pk)
    successor = dependency.successor
    form = DependencyForm(
        posted(request),
        candidates=dependencies.predecessor_choices(successor=successor, user=request.user),
        instance=dependency,
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: dependencies.dependency_update(
                dependency=dependency, data=form.service_data(), by=request.user
            ),
        )
        if saved:
            messages.success(request, f"Dependency on {saved.predecessor.code} saved.")
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
            request, f"{successor.code} no longer depends on {dependency.predecessor.code}."
        )
        return _back_to_project(successor)
    return _page(
        request, "projects/dependency_confirm_delete.html", successor, dependency=dependency
    )


@login_required
def portfolio_dependency_graph(request, code):
    portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
    rows = dependencies.dependency_rows(
        dependencies.portfolio_dependencies(portfolio=portfolio, user=request.user)
    )
    edges = dependencies.dependency_edges(rows)
    return render(
        request,
        "portfolio/dependencies.html",
        {
            "portfolio": portfolio,
            "rows": rows,
            "late_count": sum(1 for row in rows if row.dependency.is_late),
            "chart": charts.dependency_chart(edges, layers=dependencies.dependency_layers(edges)),
        },
    )
