"""Status report views: the report of a period (form, or read-only once submitted or for
those who may only read) and reopening (the PMO's missing-reports page is a portfolio page,
portfolio/views/oversight.py).

Thin: look up through `visible_to` (404 when invisible), call a selector or a service, render.
The services check who may write; a PermissionDenied from them is a 403."""

from __future__ import annotations

import copy
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import access
from core.bounds import parse_date_param
from core.views import form_data, run_service
from projects import selectors, services
from projects.forms import StatusReportForm, VersionForm
from projects.models import RAG_FIELDS, StatusReport
from projects.periods import period_containing, period_label
from projects.shortcuts import visible_project

NUMBER_FIELDS = ("percent_complete", "forecast_end", "forecast_cost")
NARRATIVE_FIELDS = ("summary", "accomplishments", "next_steps", "escalations")
ACTIONS = ("save", "submit")
CHECKED_FIELDS = (*RAG_FIELDS, "percent_complete", "forecast_cost")  # what the figures use


def _period_day(period: str) -> date:
    day = parse_date_param(period)
    if day is None:
        raise Http404("Not a reporting period.")
    return day


def _report_url(report: StatusReport) -> str:
    return reverse("projects:report", args=[report.project_id, report.period_start.isoformat()])


@login_required
def report_current(request, pk):
    project = visible_project(request, pk)
    start, _ = period_containing(project.portfolio.reporting_period, timezone.localdate())
    return redirect("projects:report", pk=project.pk, period=start.isoformat())


@login_required
def report_edit(request, pk, period):
    project = visible_project(request, pk)
    report = selectors.status_report_for_period(project=project, day=_period_day(period))
    if request.method == "GET" and period != report.period_start.isoformat():
        return redirect(_report_url(report))  # any day of the period: one address per report
    can_edit = access.can_edit_project(request.user, project)
    needs_confirmation, status = False, 200
    if request.method == "POST":
        _require_editor(request.user, project)
        # Bound to a copy: validating writes the user's values onto the form's instance, which
        # the figures beside the form then use, while `report` keeps what is stored.
        form = StatusReportForm(request.POST, instance=copy.copy(report))
        action = request.POST.get("action")
        if action not in ACTIONS:
            form.add_error(None, "Choose Save draft or Submit.")
        elif form.is_valid():
            needs_confirmation = (
                action == "submit"
                and not report.is_submitted
                and request.POST.get("confirm_disagreement") != "1"
                and bool(selectors.report_cross_check(report=form.instance).disagreements)
            )
            if not needs_confirmation:
                saved = _save_or_submit(request, form, action)
                if saved is not None:
                    return redirect(_report_url(saved))
                if form.conflict is not None:
                    status = 409
    else:
        form = StatusReportForm(instance=report)
    read_only = report.is_submitted or not can_edit
    # The figures use what the user just entered, unless it was refused; otherwise what is
    # stored or pre-filled (nothing for a reader when no report was started).
    figures_from_input = (
        form.is_bound and not read_only and not (set(form.errors) & set(CHECKED_FIELDS))
    )
    checked_report = form.instance if figures_from_input else report
    cross_check = (
        selectors.report_cross_check(report=checked_report)
        if checked_report.pk or not read_only
        else None
    )
    return render(
        request,
        "projects/report_form.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "report": report,
            "form": form,
            "read_only": read_only,
            "can_reopen": report.is_submitted
            and access.can_manage_portfolio(request.user, project.portfolio),
            "needs_confirmation": needs_confirmation,
            "cross_check": cross_check,
            "checked_report": checked_report,
            "figures_from_input": figures_from_input,
            "periods": selectors.report_periods(report=report, today=timezone.localdate()),
            "previous_report": selectors.previous_status_report(report=report),
            "rag_fields": [form[name] for name in RAG_FIELDS],
            "number_fields": [form[name] for name in NUMBER_FIELDS],
            "narrative_fields": [form[name] for name in NARRATIVE_FIELDS],
        },
        status=status,
    )


def _require_editor(user, project):
    """Refuse a forged write before reading the form (the services check again)."""
    access.require(
        access.can_edit_project(user, project),
        "Only the project's manager, its portfolio's PMO or portfolio managers may report.",
    )


def _save_or_submit(request, form, action) -> StatusReport | None:
    """Call the service for `action`; None (with the refusal on the form) if it refused."""
    service = services.status_report_submit if action == "submit" else services.status_report_save
    data = form_data(form)
    saved = run_service(
        form,
        lambda: service(
            # A copy: a refused submit must not leave the shown report marked submitted.
            report=copy.copy(form.instance),
            data=data,
            expected_version=form.cleaned_data.get("version"),
            by=request.user,
        ),
    )
    if saved is not None:
        label = period_label(saved.project.portfolio.reporting_period, saved.period_start)
        messages.success(
            request,
            f"Status report for {label} submitted."
            if saved.is_submitted
            else f"Draft saved for {label}.",
        )
    return saved


@require_POST
@login_required
def report_reopen(request, pk, period):
    project = visible_project(request, pk)
    start, _ = period_containing(project.portfolio.reporting_period, _period_day(period))
    report = get_object_or_404(StatusReport.objects.filter(project=project), period_start=start)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The report could not be reopened: reload the page and retry.")
        return redirect(_report_url(report))
    reopened = run_service(
        form,
        lambda: services.status_report_reopen(
            report=report, expected_version=form.cleaned_data["version"], by=request.user
        ),
    )
    if reopened is None:
        for error in form.non_field_errors():
            messages.error(request, error)
    else:
        messages.success(request, "Report reopened: the project manager can edit it again.")
    return redirect(_report_url(report))
