"""Actual cost views: the paginated list with its add form, edit, delete, the
all-or-nothing CSV upload and its template. Thin, like the plan views."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core import access
from core.views import form_data, posted, run_service
from projects import selectors, services
from projects.forms import CostEntryForm, CostUploadForm
from projects.models import CostCategory, CostEntry, Project
from projects.shortcuts import editable_project, visible_project

TEMPLATE_FILENAME = "slate-cost-template.csv"


def _page(request, template, project, *, can_edit=True, **context):
    """Render a cost page; `can_edit` says whether to show edit buttons (every page but the
    list is reached through `editable_project`, so it is true there)."""
    context = {"portfolio": project.portfolio, "project": project, "tab": "costs", **context}
    return render(
        request,
        template,
        {**context, "currency": project.portfolio.currency, "can_edit": can_edit},
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


@login_required
def cost_list(request, pk):
    """GET lists the costs with an add form for editors; POST adds one (the add form and
    the list stay on one page, so an error re-renders both with the input kept)."""
    project = visible_project(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    if request.method == "POST":
        access.require(can_edit)  # readers see the list, never a half-checked add
    form = CostEntryForm(
        posted(request),
        instance=CostEntry(project=project),
        initial={"date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        entry = run_service(
            form,
            lambda: services.cost_entry_create(
                project=project, data=form_data(form), by=request.user
            ),
        )
        if entry:
            messages.success(
                request,
                f"Cost of {_money(entry.amount, project.portfolio.currency)} "
                f"on {entry.date:%Y-%m-%d} added.",
            )
            return redirect("projects:costs", pk=project.pk)
    costs = selectors.cost_entries(project=project, user=request.user)
    page = Paginator(costs.entries, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "projects/cost_list.html",
        project,
        can_edit=can_edit,
        form=form,
        page_obj=page,
        total=costs.total,
        count=costs.count,
    )


def _entry(project: Project, entry_pk) -> CostEntry:
    entry = get_object_or_404(project.cost_entries, pk=entry_pk)
    entry.project = project
    return entry


@login_required
def cost_edit(request, pk, entry_pk):
    project = editable_project(request, pk)
    entry = _entry(project, entry_pk)
    form = CostEntryForm(posted(request), instance=entry)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.cost_entry_update(entry=entry, data=form_data(form), by=request.user),
        )
        if saved:
            messages.success(request, "Cost entry saved.")
            return redirect("projects:costs", pk=project.pk)
    return _page(request, "projects/cost_form.html", project, form=form, entry=entry)


@login_required
def cost_delete(request, pk, entry_pk):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    project = editable_project(request, pk)
    entry = _entry(project, entry_pk)
    if request.method == "POST":
        services.cost_entry_delete(entry=entry, by=request.user)
        messages.success(
            request,
            f"Cost of {_money(entry.amount, project.portfolio.currency)} "
            f"on {entry.date:%Y-%m-%d} deleted.",
        )
        return redirect("projects:costs", pk=project.pk)
    return _page(request, "projects/cost_confirm_delete.html", project, entry=entry)


@login_required
def cost_upload(request, pk):
    """Import every row of a CSV or none: a file with bad rows lists each one."""
    project = editable_project(request, pk)
    posting = request.method == "POST"
    form = CostUploadForm(request.POST, request.FILES) if posting else CostUploadForm()
    row_errors = []
    if posting and form.is_valid():
        try:
            entries = services.cost_entries_import_csv(
                project=project, file=form.cleaned_data["file"], by=request.user
            )
        except services.CostImportError as error:
            row_errors = error.errors
        else:
            total = sum((entry.amount for entry in entries), Decimal("0"))
            messages.success(
                request,
                f"Imported {len(entries)} cost entr{'y' if len(entries) == 1 else 'ies'} "
                f"totalling {_money(total, project.portfolio.currency)}.",
            )
            return redirect("projects:costs", pk=project.pk)
    return _page(
        request,
        "projects/cost_upload.html",
        project,
        form=form,
        row_errors=row_errors,
        categories=CostCategory.values,
    )


@login_required
def cost_template(request):
    response = HttpResponse(services.cost_csv_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response
