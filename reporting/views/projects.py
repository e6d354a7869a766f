"""The project page: plan, EVM, milestones, reports, costs, risks, dependencies, allocations,
charts, history and gate decisions, from the selectors of every app. Its URL name is the
projects app's (`projects:detail`, see config/urls.py). `?as_of=` shows the figures as of an
earlier date, as the dashboards do. Thin: look the project up through
`visible_to` (404 when invisible), call the selectors, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

import charts
from core import access
from portfolio import strategy
from projects import selectors as project_selectors
from projects.shortcuts import visible_project
from reporting import selectors
from reporting.views.as_of import as_of_choices, requested_as_of


@login_required
def project_detail(request, pk):
    project = visible_project(request, pk)
    as_of = requested_as_of(request)
    detail = selectors.project_detail(project=project, user=request.user, as_of=as_of)
    chart_series = selectors.project_chart_series(
        project=project,
        milestones=[row.milestone for row in detail.milestones],
        reports=detail.reports,
        as_of=as_of,
    )
    here = reverse("projects:detail", args=[project.pk])
    status_dates = selectors.project_status_dates(
        reports=detail.reports, as_of=timezone.localdate()
    )
    return render(
        request,
        "projects/project_detail.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "detail": detail,
            "performance": detail.performance,
            "ev": detail.performance.earned_value,
            "as_of": as_of,
            "as_of_is_today": as_of == timezone.localdate(),
            "as_of_choices": as_of_choices(
                as_of,
                [
                    (end, f"{end.day} {end:%b %Y} (report of {start.day} {start:%b %Y})")
                    for start, end in status_dates
                ],
            ),
            # A click on a report in the status-history charts: the project as of its end.
            "charts": charts.project_charts(
                chart_series,
                report_links=[
                    f"{here}?as_of={report.period_end:%Y-%m-%d}" for report in chart_series.reports
                ],
            ),
            "can_edit": access.can_edit_project(request.user, project),
            "history": selectors.project_history(project=project),
            "baseline": project_selectors.baseline_comparison(project=project),
            "change_requests": project_selectors.project_change_requests(project=project),
            "gate_decisions": strategy.project_gate_decisions(project=project),
            "can_decide_gate": access.can_decide_gate(request.user, project.portfolio_id),
        },
    )
