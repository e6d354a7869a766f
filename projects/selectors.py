"""Reads for projects: querysets and small dataclasses for pages, API, tasks and reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from projects import evm
from projects.models import (
    CostEntry,
    Milestone,
    Project,
    ProjectDependency,
    ReportState,
    StatusReport,
)
from projects.periods import period_containing
from resources.models import Allocation
from risks.models import Risk


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


# --- The project page ---------------------------------------------------------------------

STATUS_REPORTS_SHOWN = 12
COST_ENTRIES_SHOWN = 10


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    slip_days: int | None  # forecast (or actual, once reached) minus baseline; + is late


@dataclass(frozen=True)
class ProjectDetail:
    project: Project
    performance: ProjectPerformance
    milestones: list[MilestoneRow]
    status_reports: list[StatusReport]
    status_report_count: int
    cost_entries: list[CostEntry]
    cost_entry_count: int
    cost_total: Decimal
    risks: list[Risk]
    threatening_risks: list[Risk]
    dependencies_in: list[ProjectDependency]
    dependencies_out: list[ProjectDependency]
    allocations: list[Allocation]

    @property
    def older_status_report_count(self) -> int:
        return self.status_report_count - len(self.status_reports)

    @property
    def older_cost_entry_count(self) -> int:
        return self.cost_entry_count - len(self.cost_entries)


def project_page_queryset(*, user) -> QuerySet[Project]:
    """Projects the user sees, with what the project page header and EVM panel read."""
    return Project.objects.visible_to(user).select_related(
        "portfolio", "program", "manager", "sponsor"
    )


def milestone_slip_days(milestone: Milestone) -> int | None:
    reached_or_forecast = milestone.actual_date or milestone.forecast_date
    if milestone.baseline_date is None or reached_or_forecast is None:
        return None
    return (reached_or_forecast - milestone.baseline_date).days


def _dependencies(queryset: QuerySet[ProjectDependency], *, other_end: str, user):
    """Each dependency with the project at `other_end`, `is_late` (the predecessor ends after
    the successor needs it) and `other_end_visible` (so the page links only what opens)."""
    return list(
        queryset.select_related(other_end)
        .annotate(
            is_late=ExpressionWrapper(
                Q(predecessor__end_date__gt=F("needed_by")), output_field=BooleanField()
            ),
            other_end_visible=Exists(
                Project.objects.visible_to(user).filter(pk=OuterRef(f"{other_end}_id"))
            ),
        )
        .order_by("needed_by", "pk")
    )


def _risks_by_score(queryset: QuerySet[Risk]) -> list[Risk]:
    return list(
        queryset.select_related("owner", "escalated_to")
        .annotate(score_value=ExpressionWrapper(F("probability") * F("impact"), IntegerField()))
        .order_by("-score_value", "-cost_impact", "pk")
    )


def project_detail(*, project: Project, user, as_of: date) -> ProjectDetail:
    """Everything the project page shows, in a fixed number of queries. `project` comes from
    `project_page_queryset(user=...)`, so it is visible and its header joins are loaded."""
    costs = project.cost_entries.aggregate(total=Sum("amount"), count=Count("pk"))
    milestones = project.milestones.order_by("sequence", "baseline_date", "pk")
    return ProjectDetail(
        project=project,
        performance=project_performance(project=project, as_of=as_of),
        milestones=[MilestoneRow(m, milestone_slip_days(m)) for m in milestones],
        status_reports=list(
            project.status_reports.order_by("-period_start")[:STATUS_REPORTS_SHOWN]
        ),
        status_report_count=project.status_reports.count(),
        cost_entries=list(project.cost_entries.order_by("-date", "-pk")[:COST_ENTRIES_SHOWN]),
        cost_entry_count=costs["count"],
        cost_total=costs["total"] or Decimal("0"),
        risks=_risks_by_score(Risk.objects.visible_to(user).filter(project=project)),
        threatening_risks=_risks_by_score(
            Risk.objects.visible_to(user).filter(threatened_projects=project)
        ),
        dependencies_in=_dependencies(
            ProjectDependency.objects.filter(successor=project), other_end="predecessor", user=user
        ),
        dependencies_out=_dependencies(
            ProjectDependency.objects.filter(predecessor=project), other_end="successor", user=user
        ),
        allocations=list(
            Allocation.objects.filter(project=project)
            .select_related("role", "resource")
            .order_by("start_month", "pk")
        ),
    )


# --- Status reports -------------------------------------------------------------------------

REPORT_FIELDS_CARRIED_FORWARD = (
    "overall_rag",
    "schedule_rag",
    "budget_rag",
    "scope_rag",
    "quality_rag",
    "risk_rag",
    "percent_complete",
    "forecast_end",
    "forecast_cost",
    "summary",
    "next_steps",
)


def status_report_for_period(*, project: Project, day: date) -> StatusReport:
    """The report of the period containing `day`: the saved one, or a new unsaved one
    pre-filled from the previous report (each period's accomplishments and escalations
    start empty)."""
    start, end = period_containing(project.portfolio.reporting_period, day)
    existing = StatusReport.objects.filter(project=project, period_start=start).first()
    if existing:
        return existing
    report = StatusReport(project=project, period_start=start, period_end=end)
    previous = (
        StatusReport.objects.filter(project=project, period_start__lt=start)
        .order_by("-period_start")
        .first()
    )
    if previous:
        for field in REPORT_FIELDS_CARRIED_FORWARD:
            setattr(report, field, getattr(previous, field))
    return report
