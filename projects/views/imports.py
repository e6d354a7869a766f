"""Importing a project plan: upload (to a project, or to a portfolio for a new project or the
one the plan was imported as), preview, import. Thin: the reader, the preview and the import
are projects/imports/. A kept upload is shown only to the person who uploaded it (404 to
those who cannot see its portfolio, 403 to the others). A file the Celery worker reads (all
but MS Project XML) shows its progress on the preview's page until it is ready or failed."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core import access
from core.views import run_service
from portfolio.models import Portfolio
from projects.forms import PlanUploadForm, PortfolioPlanUploadForm
from projects.imports import services as imports
from projects.imports.plan import PlanFileError
from projects.models import PlanImport, PlanImportState
from projects.shortcuts import editable_project

READ_STATUS_REFRESH_SECONDS = 2
READ_WAIT_WARNING = timedelta(minutes=2)  # longer than any plan file takes to read


@login_required
def plan_import_to_project(request, pk):
    project = editable_project(request, pk)
    return _upload(request, PlanUploadForm, portfolio=project.portfolio, project=project)


@login_required
def plan_import_to_portfolio(request, code):
    portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
    access.require(
        access.can_manage_portfolio(request.user, portfolio),
        "Only the portfolio's PMO and portfolio managers may import plans into it.",
    )
    return _upload(request, PortfolioPlanUploadForm, portfolio=portfolio, project=None)


def _upload(request, form_class, *, portfolio, project):
    """The upload form; a file that can be imported is kept and its preview shown (once the
    worker read it, for a file MPXJ reads), one that cannot is listed with what is wrong
    (nothing is kept)."""
    posting = request.method == "POST"
    form = form_class(request.POST, request.FILES) if posting else form_class()
    file_problems = []
    if posting and form.is_valid():
        data, upload = form.cleaned_data, form.cleaned_data["file"]
        try:
            plan_import = run_service(
                form,
                lambda: imports.plan_import_upload(
                    portfolio=portfolio,
                    project=project,
                    file_name=upload.name,
                    content=upload.read(),
                    code=data.get("code", ""),
                    name=data.get("name", ""),
                    manager=data.get("manager"),
                    by=request.user,
                ),
            )
        except PlanFileError as error:
            file_problems = error.problems
        else:
            if plan_import:
                return redirect("projects:plan-import-preview", import_pk=plan_import.pk)
    return render(
        request,
        "projects/plan_import_upload.html",
        {
            "portfolio": portfolio,
            "project": project,
            "form": form,
            "file_problems": file_problems,
            "file_name": form.cleaned_data["file"].name if file_problems else "",
            "can_edit": True,
            "tab": "plan",
        },
    )


@login_required
def plan_import_preview(request, import_pk):
    """GET: what importing the kept file would do now. POST: import it, as previewed."""
    plan_import = get_object_or_404(
        PlanImport.objects.filter(
            portfolio__in=Portfolio.objects.visible_to(request.user)
        ).select_related("portfolio", "project", "manager"),
        pk=import_pk,
    )
    access.require(
        plan_import.uploaded_by_id == request.user.pk,
        "Only the person who uploaded this plan may see its preview and import it.",
    )
    if plan_import.is_applied:
        messages.info(request, f"{plan_import.file_name} is already imported.")
        return redirect("projects:detail", pk=plan_import.applied_project_id)
    if plan_import.state != PlanImportState.READY:
        return _read_status(request, plan_import)
    errors = []
    if request.method == "POST":
        try:
            preview = imports.plan_import_apply(
                plan_import=plan_import,
                fingerprint=request.POST.get("fingerprint", ""),
                by=request.user,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            plan_import.refresh_from_db()
            messages.success(request, _imported_message(plan_import, preview))
            if preview.plan.assigned_people:  # step 2: request the plan's people by role
                return redirect("resources:plan-allocations", import_pk=plan_import.pk)
            return redirect("projects:detail", pk=plan_import.applied_project_id)
    preview = imports.plan_import_current_preview(plan_import=plan_import, by=request.user)
    return render(
        request,
        "projects/plan_import_preview.html",
        {
            "plan_import": plan_import,
            "preview": preview,
            "plan": preview.plan,
            "portfolio": plan_import.portfolio,
            "project": preview.project.project,
            "errors": errors,
        },
    )


def _read_status(request, plan_import: PlanImport):
    """A file the worker reads: waiting or reading (the page checks every few seconds and
    shows the preview once it is ready), or failed with every reason."""
    reading = plan_import.state == PlanImportState.READING
    return render(
        request,
        "projects/plan_import_status.html",
        {
            "plan_import": plan_import,
            "portfolio": plan_import.portfolio,
            "project": plan_import.project,
            "refresh_seconds": READ_STATUS_REFRESH_SECONDS if reading else None,
            "waited_long": reading and timezone.now() - plan_import.uploaded_at > READ_WAIT_WARNING,
        },
        status=409 if request.method == "POST" else 200,
    )


def _imported_message(plan_import: PlanImport, preview) -> str:
    project = plan_import.applied_project
    done = [f"{'created' if preview.project.action == 'create' else 'updated'} {project.code}"]
    counts = preview.milestone_counts
    if counts["create"] or counts["update"]:
        done.append(f"{counts['create']} milestone(s) added, {counts['update']} updated")
    if preview.baseline.action == "set":
        done.append("baseline set")
    elif preview.baseline.action == "propose":
        done.append("a baseline change request proposed")
    if preview.report.action in ("create", "update"):
        done.append(f"draft report for {preview.report.period} saved")
    if preview.cost.action in ("create", "update"):
        done.append(f"actual cost to {preview.cost.day:%Y-%m-%d} recorded")
    return f"Imported {plan_import.file_name}: " + "; ".join(done) + "."
