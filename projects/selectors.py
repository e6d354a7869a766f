"""Reads for projects: querysets and small dataclasses for pages, API, tasks and reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from projects import evm
from projects.models import Project, ReportState, StatusReport


@dataclass(frozen=True)
class ProjectPerformance:
    as_of: date
    earned_value: evm.EarnedValue
    planned_percent_complete: Decimal
    latest_report: StatusReport | None
    computed_health: str
    is_watermelon: bool


def latest_submitted_report(*, project: Project, as_of: date) -> StatusReport | None:
    return (
        StatusReport.objects.filter(
            project=project, state=ReportState.SUBMITTED, period_start__lte=as_of
        )
        .order_by("-period_start")
        .first()
    )


def project_performance(*, project: Project, as_of: date) -> ProjectPerformance:
    """EVM figures and health of one project as of a date (DESIGN.md §4)."""
    actual_cost = project.cost_entries.filter(date__lte=as_of).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal("0")
    report = latest_submitted_report(project=project, as_of=as_of)
    planned = evm.planned_percent(
        project.baseline_start,
        project.baseline_end,
        project.milestones.values_list("baseline_date", "weight"),
        as_of,
    )
    figures = evm.earned_value(
        budget=project.budget,
        planned_percent_complete=planned,
        percent_complete=report.percent_complete if report else Decimal("0"),
        actual_cost=actual_cost,
        forecast_cost=report.forecast_cost if report else None,
    )
    portfolio = project.portfolio
    health = evm.computed_health(
        figures.cost_performance_index,
        figures.schedule_performance_index,
        green_threshold=portfolio.green_threshold,
        amber_threshold=portfolio.amber_threshold,
    )
    watermelon = bool(report) and evm.is_watermelon(
        report.overall_rag,
        [
            report.schedule_rag,
            report.budget_rag,
            report.scope_rag,
            report.quality_rag,
            report.risk_rag,
        ],
        health,
    )
    return ProjectPerformance(
        as_of=as_of,
        earned_value=figures,
        planned_percent_complete=planned,
        latest_report=report,
        computed_health=health,
        is_watermelon=watermelon,
    )
