"""Reads for projects: querysets and small dataclasses for pages, API, tasks and reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from projects import evm
from projects.models import (
    Baseline,
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectDependency,
    ReportState,
    StatusReport,
)
from projects.periods import period_containing, period_label, previous_period, status_date_due
from projects.querysets import ACTIVE_STAGES


@dataclass(frozen=True)
class ProjectPerformance:
    """EVM of one project as of a date, measured at its status date (docs/formulas.md,
    "Status date")."""

    as_of: date
    earned_value: evm.EarnedValue
    planned_percent_complete: Decimal | None  # at the status date
    latest_report: StatusReport | None  # the status date's report
    computed_health: str
    is_watermelon: bool
    forecast_optimistic: bool
    report_missing: bool  # the status date lags `as_of` by more than a period + grace days
    status_date_due: date

    @property
    def status_date(self) -> date | None:
        return self.earned_value.status_date


def latest_submitted_report(*, project: Project, as_of: date) -> StatusReport | None:
    """The latest submitted report whose period has ended by `as_of`: its period end is the
    project's status date."""
    return (
        StatusReport.objects.filter(
            project=project, state=ReportState.SUBMITTED, period_end__lte=as_of
        )
        .order_by("-period_start")
        .first()
    )


def project_performance(*, project: Project, as_of: date) -> ProjectPerformance:
    """EVM figures and health of one project as of a date, all taken at its status date
    (docs/formulas.md, "Status date" and "Earned value"); `reporting.kpis.project_kpis` is the
    same rule for many projects at once. Three queries."""
    report = latest_submitted_report(project=project, as_of=as_of)
    status_date = report.period_end if report else None
    sums = {"to_date": Sum("amount")}
    if status_date:
        sums["at_status_date"] = Sum("amount", filter=Q(date__lte=status_date))
    costs = project.cost_entries.filter(date__lte=as_of).aggregate(**sums)
    return performance_at_status_date(
        project=project,
        as_of=as_of,
        report=report,
        # by id: milestones on the same date add their weights in the order SQL does
        plan=project.milestones.order_by("id").values_list("baseline_date", "weight"),
        actual_cost=costs.get("at_status_date") or Decimal("0"),
        cost_to_date=costs["to_date"] or Decimal("0"),
    )


def performance_at_status_date(
    *,
    project: Project,
    as_of: date,
    report: StatusReport | None,
    plan,
    actual_cost: Decimal,
    cost_to_date: Decimal,
) -> ProjectPerformance:
    """`project_performance` from what it reads: the status date's `report` (None without
    one), the `plan` ((baseline date, weight) of each milestone, by id; read only when there
    is a status date), the costs up to the status date and up to `as_of`. No query of its own
    but the project's portfolio (loaded with the project on the pages)."""
    status_date = report.period_end if report else None
    planned = (
        evm.planned_percent(project.baseline_start, project.baseline_end, plan, status_date)
        if status_date
        else None
    )
    portfolio = project.portfolio
    figures = evm.earned_value(
        budget=project.budget,
        status_date=status_date,
        planned_percent_complete=planned,
        percent_complete=report.percent_complete if report else None,
        actual_cost=actual_cost,
        cost_to_date=cost_to_date,
        forecast_cost=report.forecast_cost if report else None,
        eac_basis=portfolio.eac_basis,
    )
    health = evm.project_health(
        figures,
        reported_overall=report.overall_rag if report else "",
        dimension_rags=[getattr(report, name) for name, _ in RAG_DIMENSIONS] if report else [],
        green_threshold=portfolio.green_threshold,
        amber_threshold=portfolio.amber_threshold,
    )
    due = status_date_due(portfolio.reporting_period, as_of)
    return ProjectPerformance(
        as_of=as_of,
        earned_value=figures,
        planned_percent_complete=planned,
        latest_report=report,
        computed_health=health.computed,
        is_watermelon=health.is_watermelon,
        forecast_optimistic=health.forecast_optimistic,
        report_missing=evm.report_missing(
            status_date=status_date,
            due=due,
            start_date=project.start_date,
            expected_to_report=project.stage in ACTIVE_STAGES,
        ),
        status_date_due=due,
    )


# --- The project page ---------------------------------------------------------------------


def project_page_queryset(*, user) -> QuerySet[Project]:
    """Projects the user sees, with what the project page header and EVM panel read."""
    return (
        Project.objects.visible_to(user)
        .select_related("portfolio", "program", "manager", "sponsor")
        .annotate(has_change_requests=Exists(ChangeRequest.objects.filter(project=OuterRef("pk"))))
    )


def milestone_slip_days(milestone, as_of: date | None = None) -> int | None:
    """`evm.milestone_slip_days` of a milestone (a `Milestone`, or any row with its dates and
    status) as of `as_of`; today when none is given (the milestone list page gives none)."""
    return evm.milestone_slip_days(
        milestone.baseline_date,
        milestone.forecast_date,
        milestone.actual_date,
        done=milestone.status == MilestoneStatus.DONE,
        as_of=as_of or timezone.localdate(),
    )


@dataclass(frozen=True)
class ProjectDependencies:
    needs: list[ProjectDependency]  # what the project depends on, with each predecessor
    feeds: list[ProjectDependency]  # what depends on the project, with each successor


def project_dependencies(*, project: Project, user) -> ProjectDependencies:
    """The project's dependencies both ways, by need date, in one query: each with both
    projects, `is_late` (the predecessor ends after the successor needs it) and
    `other_end_visible` (whether the user may open the project at the other end, so the page
    links only what opens)."""
    visible = Project.objects.visible_to(user)
    rows = (
        ProjectDependency.objects.filter(Q(successor=project) | Q(predecessor=project))
        .select_related("predecessor", "successor")
        .with_lateness()
        .annotate(
            predecessor_visible=Exists(visible.filter(pk=OuterRef("predecessor_id"))),
            successor_visible=Exists(visible.filter(pk=OuterRef("successor_id"))),
        )
        .order_by("needed_by", "pk")
    )
    needs, feeds = [], []
    for dependency in rows:
        if dependency.successor_id == project.pk:
            dependency.other_end_visible = dependency.predecessor_visible
            needs.append(dependency)
        else:
            dependency.other_end_visible = dependency.successor_visible
            feeds.append(dependency)
    return ProjectDependencies(needs=needs, feeds=feeds)


# --- Plan and cost pages -------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneListRow:
    milestone: Milestone
    slip_days: int | None
    move_up_order: str  # the full order with this milestone one place earlier ("" if first)
    move_down_order: str


def _swap(ids: list[int], i: int, j: int) -> str:
    if not (0 <= i < len(ids) and 0 <= j < len(ids)):
        return ""
    order = list(ids)
    order[i], order[j] = order[j], order[i]
    return ",".join(map(str, order))


def milestone_rows(*, project: Project, user) -> list[MilestoneListRow]:
    """The project's milestones in order (one query), each with its slip and the orders its
    up and down buttons post."""
    milestones = list(
        project.milestones.visible_to(user).order_by("sequence", "baseline_date", "pk")
    )
    ids = [m.pk for m in milestones]
    return [
        MilestoneListRow(
            milestone=m,
            slip_days=milestone_slip_days(m),
            move_up_order=_swap(ids, index, index - 1),
            move_down_order=_swap(ids, index, index + 1),
        )
        for index, m in enumerate(milestones)
    ]


@dataclass(frozen=True)
class CostEntries:
    entries: QuerySet[CostEntry]  # newest first, read a page at a time
    total: Decimal
    count: int


def cost_entries(*, project: Project, user) -> CostEntries:
    """The project's cost entries with their total and count (one query for the totals)."""
    visible = project.cost_entries.visible_to(user)
    totals = visible.aggregate(total=Sum("amount"), count=Count("pk"))
    return CostEntries(
        entries=visible.select_related("created_by").order_by("-date", "-pk"),
        total=totals["total"] or Decimal("0"),
        count=totals["count"],
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
    "summary",
    "next_steps",
)


def status_report_for_period(*, project: Project, day: date) -> StatusReport:
    """The report of the period containing `day`: the saved one, or a new unsaved one
    pre-filled from the previous report. Each period's accomplishments and escalations start
    empty, and so does the forecast cost: the manager gives it anew, with the previous one and
    the computed EAC beside the field, rather than carrying last period's forward unseen."""
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


# --- Status report page and missing reports -------------------------------------------------

# A reported % complete further than this from the plan's % at the period end is worth a second
# look before submitting (percentage points).
PERCENT_COMPLETE_TOLERANCE = Decimal("15")
CENT = Decimal("0.01")  # the planned % is exact; messages show it to 0.01
RAG_DIMENSIONS = (
    ("schedule_rag", "Schedule"),
    ("budget_rag", "Budget"),
    ("scope_rag", "Scope"),
    ("quality_rag", "Quality"),
    ("risk_rag", "Risk"),
)


@dataclass(frozen=True)
class ReportDisagreement:
    code: str  # better_than_computed, green_with_red, percent_off_plan, forecast_over_budget
    message: str


@dataclass(frozen=True)
class ReportCrossCheck:
    """What the figures say for a report's period, computed with the report's own % complete
    and forecast cost, and where the report disagrees with them."""

    as_of: date
    earned_value: evm.EarnedValue
    planned_percent_complete: Decimal
    computed_health: str
    is_watermelon: bool
    forecast_optimistic: bool
    disagreements: tuple[ReportDisagreement, ...]


def _rag_label(value: str) -> str:
    return {"green": "Green", "amber": "Amber", "red": "Red"}.get(value, value or "—")


def _report_disagreements(
    *, report: StatusReport, planned: Decimal, health: evm.Health, figures: evm.EarnedValue
) -> list[ReportDisagreement]:
    project = report.project
    currency = project.portfolio.currency
    found = []
    overall, computed = report.overall_rag, health.computed
    if computed and overall in evm.RAG_ORDER and evm.RAG_ORDER[computed] > evm.RAG_ORDER[overall]:
        found.append(
            ReportDisagreement(
                "better_than_computed",
                f"Overall is reported {_rag_label(overall)} but CPI and SPI compute "
                f"{_rag_label(computed)} for this period.",
            )
        )
    red_dimensions = [label for field, label in RAG_DIMENSIONS if getattr(report, field) == "red"]
    if overall == "green" and red_dimensions:
        found.append(
            ReportDisagreement(
                "green_with_red",
                f"Overall is Green while {', '.join(red_dimensions)} "
                f"{'is' if len(red_dimensions) == 1 else 'are'} Red.",
            )
        )
    percent = report.percent_complete
    has_plan = project.baseline_start is not None and project.baseline_end is not None
    if has_plan and percent is not None and abs(percent - planned) > PERCENT_COMPLETE_TOLERANCE:
        gap, shown_plan = (abs(percent - planned).quantize(CENT), planned.quantize(CENT))
        found.append(
            ReportDisagreement(
                "percent_off_plan",
                f"{percent.normalize():f}% complete is {gap.normalize():f} "
                f"points {'behind' if percent < planned else 'ahead of'} the plan, which expects "
                f"{shown_plan.normalize():f}% by {report.period_end:%d %b %Y}.",
            )
        )
    if (
        report.forecast_cost is not None
        and report.forecast_cost > project.budget
        and report.budget_rag == "green"
    ):
        found.append(
            ReportDisagreement(
                "forecast_over_budget",
                f"The forecast cost ({currency} {report.forecast_cost:,.0f}) exceeds the budget "
                f"({currency} {project.budget:,.0f}) while the budget RAG is Green.",
            )
        )
    if health.forecast_optimistic:
        found.append(
            ReportDisagreement(
                "forecast_optimistic",
                f"The forecast cost ({currency} {report.forecast_cost:,.0f}) is more optimistic "
                f"than the numbers: the computed EAC (BAC ÷ CPI) is {currency} "
                f"{figures.computed_estimate_at_completion:,.0f}.",
            )
        )
    return found


def report_cross_check(*, report: StatusReport, as_of: date | None = None) -> ReportCrossCheck:
    """EVM figures and health at the report's period end (or `as_of`), the status date the
    report sets, with its entered % complete and forecast cost (saved or not), and the
    report's disagreements with them. Three queries: actual cost, milestone weights and,
    unless loaded, the portfolio."""
    project = report.project
    as_of = as_of or report.period_end
    actual_cost = project.cost_entries.filter(date__lte=as_of).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal("0")
    planned = evm.planned_percent(
        project.baseline_start,
        project.baseline_end,
        project.milestones.values_list("baseline_date", "weight"),
        as_of,
    )
    portfolio = project.portfolio
    figures = evm.earned_value(
        budget=project.budget,
        status_date=as_of,
        planned_percent_complete=planned,
        percent_complete=report.percent_complete or Decimal("0"),
        actual_cost=actual_cost,
        cost_to_date=actual_cost,
        forecast_cost=report.forecast_cost,
        eac_basis=portfolio.eac_basis,
    )
    health = evm.project_health(
        figures,
        reported_overall=report.overall_rag,
        dimension_rags=[getattr(report, field) for field, _ in RAG_DIMENSIONS],
        green_threshold=portfolio.green_threshold,
        amber_threshold=portfolio.amber_threshold,
    )
    return ReportCrossCheck(
        as_of=as_of,
        earned_value=figures,
        planned_percent_complete=planned,
        computed_health=health.computed,
        is_watermelon=health.is_watermelon,
        forecast_optimistic=health.forecast_optimistic,
        disagreements=tuple(
            _report_disagreements(report=report, planned=planned, health=health, figures=figures)
        ),
    )


@dataclass(frozen=True)
class ReportPeriods:
    """Where a report's period sits: its label and its neighbours (None past the current
    period, which cannot be reported yet)."""

    label: str
    previous_start: date
    previous_label: str
    next_start: date | None
    next_label: str
    is_current: bool


def report_periods(*, report: StatusReport, today: date) -> ReportPeriods:
    kind = report.project.portfolio.reporting_period
    previous_start, _ = previous_period(kind, report.period_start)
    next_start, _ = period_containing(kind, report.period_end + timedelta(days=1))
    current_start, _ = period_containing(kind, today)
    return ReportPeriods(
        label=period_label(kind, report.period_start),
        previous_start=previous_start,
        previous_label=period_label(kind, previous_start),
        next_start=next_start if next_start <= current_start else None,
        next_label=period_label(kind, next_start),
        is_current=report.period_start == current_start,
    )


def previous_status_report(*, report: StatusReport) -> StatusReport | None:
    """The latest report of an earlier period, draft or submitted, for reference."""
    return (
        StatusReport.objects.filter(project=report.project, period_start__lt=report.period_start)
        .order_by("-period_start")
        .first()
    )


@dataclass(frozen=True)
class MissingReports:
    period_start: date
    period_end: date
    period_label: str
    previous_start: date
    previous_end: date
    previous_label: str
    projects: QuerySet[Project]


def missing_reports(*, portfolio, today: date) -> MissingReports:
    """Active projects of the portfolio whose report for the current period is missing or a
    draft, and the late ones whose previous period has no submitted report. One query for the
    rows whatever their number: state, lateness and last submission are subqueries.

    A project is expected to report for a period once it has started by the period's end."""
    kind = portfolio.reporting_period
    start, end = period_containing(kind, today)
    previous_start, previous_end = previous_period(kind, start)
    reports = StatusReport.objects.filter(project=OuterRef("pk"))
    submitted = reports.filter(state=ReportState.SUBMITTED)
    last_submitted = submitted.order_by("-period_start")
    projects = (
        Project.objects.active()
        .filter(portfolio=portfolio, start_date__lte=end)
        .select_related("manager")
        .annotate(
            current_state=Subquery(reports.filter(period_start=start).values("state")[:1]),
            current_submitted=Exists(submitted.filter(period_start=start)),
            previous_submitted=Exists(submitted.filter(period_start=previous_start)),
            last_submitted_start=Subquery(last_submitted.values("period_start")[:1]),
            last_submitted_end=Subquery(last_submitted.values("period_end")[:1]),
            last_submitted_at=Subquery(last_submitted.values("submitted_at")[:1]),
        )
        .annotate(
            is_late=ExpressionWrapper(
                Q(previous_submitted=False, start_date__lte=previous_end),
                output_field=BooleanField(),
            )
        )
        .filter(Q(current_submitted=False) | Q(is_late=True))
        .order_by("-is_late", "code", "pk")
    )
    return MissingReports(
        period_start=start,
        period_end=end,
        period_label=period_label(kind, start),
        previous_start=previous_start,
        previous_end=previous_end,
        previous_label=period_label(kind, previous_start),
        projects=projects,
    )


@dataclass(frozen=True)
class MissingReportRow:
    project: Project
    last_submitted_label: str
    days_since_submitted: int | None  # None: never submitted


def missing_report_rows(projects, *, kind: str, today: date) -> list[MissingReportRow]:
    """The rows of one page of `missing_reports(...).projects`, with what the table shows.
    Days since count from the last submission (its period end if the time was not kept)."""
    rows = []
    for project in projects:
        last_day = project.last_submitted_at or project.last_submitted_end
        if isinstance(last_day, datetime):
            last_day = timezone.localtime(last_day).date()
        rows.append(
            MissingReportRow(
                project=project,
                last_submitted_label=(
                    period_label(kind, project.last_submitted_start)
                    if project.last_submitted_start
                    else ""
                ),
                days_since_submitted=(today - last_day).days if last_day else None,
            )
        )
    return rows


# Reporting period kinds (`portfolio.models.ReportingPeriod`), for per-portfolio period dates.
PERIOD_KINDS = ("monthly", "weekly")


@dataclass(frozen=True)
class ReportDuty:
    """A status report its project still owes: the current period's (due at the period's end)
    or an earlier one's (late). `state` is "" when nothing is written yet, else "draft"."""

    project: Project
    period_start: date
    period_end: date
    period_label: str
    state: str
    is_late: bool
    days: int  # days left until the due date (0 on it), or days late

    @property
    def due_on(self) -> date:
        return self.period_end


def _by_reporting_period(dates: dict[str, date]) -> Case:
    """The date that applies to each project's portfolio reporting period, as SQL."""
    return Case(
        *[When(portfolio__reporting_period=kind, then=Value(day)) for kind, day in dates.items()],
        output_field=DateField(),
    )


def report_duties(
    *, projects: QuerySet[Project], today: date, older_drafts: bool = True
) -> list[ReportDuty]:
    """The reports `projects` owe on `today`: the current period's if not submitted (due at
    its end), the previous period's if not submitted (late, as on the missing-reports page),
    and, with `older_drafts`, drafts left in earlier periods (late). A project owes a period
    once it has started by the period's end. Two queries whatever the number of projects;
    due first by date, then late, longest late first."""
    current = {kind: period_containing(kind, today) for kind in PERIOD_KINDS}
    previous = {kind: previous_period(kind, current[kind][0]) for kind in PERIOD_KINDS}
    reports = StatusReport.objects.filter(project=OuterRef("pk"))
    rows = list(
        projects.select_related("portfolio")
        .annotate(
            current_start=_by_reporting_period({k: v[0] for k, v in current.items()}),
            previous_start=_by_reporting_period({k: v[0] for k, v in previous.items()}),
        )
        .annotate(
            current_state=Subquery(
                reports.filter(period_start=OuterRef("current_start")).values("state")[:1]
            ),
            previous_state=Subquery(
                reports.filter(period_start=OuterRef("previous_start")).values("state")[:1]
            ),
        )
        .order_by("code", "pk")
    )
    duties = []
    for project in rows:
        kind = project.portfolio.reporting_period
        for (start, end), state, late in (
            (current[kind], project.current_state, False),
            (previous[kind], project.previous_state, True),
        ):
            if state == ReportState.SUBMITTED or project.start_date > end:
                continue
            duties.append(
                ReportDuty(
                    project=project,
                    period_start=start,
                    period_end=end,
                    period_label=period_label(kind, start),
                    state=state or "",
                    is_late=late,
                    days=(today - end).days if late else (end - today).days,
                )
            )
    if older_drafts and rows:
        by_pk = {project.pk: project for project in rows}
        before = max(start for start, _end in previous.values())
        for report in StatusReport.objects.filter(
            project__in=list(by_pk), state=ReportState.DRAFT, period_start__lt=before
        ).order_by("period_start", "pk"):
            project = by_pk[report.project_id]
            kind = project.portfolio.reporting_period
            if report.period_start >= previous[kind][0]:
                continue  # already listed as the current or previous period
            duties.append(
                ReportDuty(
                    project=project,
                    period_start=report.period_start,
                    period_end=report.period_end,
                    period_label=period_label(kind, report.period_start),
                    state=ReportState.DRAFT,
                    is_late=True,
                    days=(today - report.period_end).days,
                )
            )
    duties.sort(key=lambda d: (d.is_late, -d.days if d.is_late else d.days, d.project.code))
    return duties


# --- Baselines and change requests -----------------------------------------------------------


def has_baseline(project: Project) -> bool:
    """A project is committed to a baseline once its baseline dates are set; before that it is
    still being planned and its editor sets BAC and the first baseline directly."""
    return project.baseline_start is not None and project.baseline_end is not None


@dataclass(frozen=True)
class BaselineComparison:
    """The original baseline (version 0) beside the current approved one, for the project
    page; `original` is None while the project was never re-baselined (they are the same)."""

    version: int
    original: Baseline | None
    current_budget: Decimal
    current_end: date | None

    @property
    def budget_change(self) -> Decimal | None:
        return None if self.original is None else self.current_budget - self.original.budget

    @property
    def end_change_days(self) -> int | None:
        if self.original is None or self.original.end is None or self.current_end is None:
            return None
        return (self.current_end - self.original.end).days


def baseline_comparison(*, project: Project) -> BaselineComparison:
    """One query, and none for a project still on its original baseline."""
    original = None
    if project.baseline_version > 0:
        original = Baseline.objects.filter(project=project, version=0).first()
    return BaselineComparison(
        version=project.baseline_version,
        original=original,
        current_budget=project.budget,
        current_end=project.baseline_end,
    )


def project_change_requests(*, project: Project) -> list[ChangeRequest]:
    """The project's change requests, newest first; no query when it has none (the project
    page's queryset annotates `has_change_requests`)."""
    if not getattr(project, "has_change_requests", True):
        return []
    return list(
        ChangeRequest.objects.filter(project=project).select_related(
            "proposed_by", "decided_by", "baseline"
        )
    )


@dataclass(frozen=True)
class EnvelopeImpact:
    """The portfolio's committed budget (BAC of its active projects, with the changed project
    counted whatever its stage) before and after a change request, against its envelope
    (docs/formulas.md, "Change control")."""

    envelope: Decimal
    committed_before: Decimal
    committed_after: Decimal

    @property
    def change(self) -> Decimal:
        return self.committed_after - self.committed_before

    @property
    def headroom_after(self) -> Decimal:
        return self.envelope - self.committed_after

    @property
    def exceeds(self) -> bool:
        """Beyond the envelope and raising the budget: a cut or a date change is never held
        up by an envelope that is already exceeded."""
        return self.change > 0 and self.committed_after > self.envelope


def _active_budget(portfolio_id: int) -> Decimal:
    total = Project.objects.filter(portfolio_id=portfolio_id).active().aggregate(s=Sum("budget"))
    return total["s"] or Decimal("0")


def _impact(change_request: ChangeRequest, project: Project, active_total: Decimal):
    before = active_total + (Decimal("0") if project.stage in ACTIVE_STAGES else project.budget)
    new_budget = project.budget if change_request.budget is None else change_request.budget
    return EnvelopeImpact(
        envelope=project.portfolio.budget_envelope,
        committed_before=before,
        committed_after=before - project.budget + new_budget,
    )


def envelope_impact(*, change_request: ChangeRequest, project: Project) -> EnvelopeImpact:
    return _impact(change_request, project, _active_budget(project.portfolio_id))


@dataclass(frozen=True)
class PendingChange:
    change_request: ChangeRequest
    impact: EnvelopeImpact
    milestones: list[tuple[str, date | None, date]]  # name, current baseline, proposed


def _milestone_changes(change_request: ChangeRequest, milestones: dict[int, Milestone]):
    rows = []
    for milestone_id, day in sorted(change_request.milestone_dates.items()):
        milestone = milestones.get(int(milestone_id))
        if milestone is not None:
            rows.append((milestone.name, milestone.baseline_date, date.fromisoformat(day)))
    return rows


def pending_change_requests(*, portfolio) -> list[PendingChange]:
    """The portfolio's proposed change requests with their envelope impact, each measured
    alone against today's commitments; three queries whatever their number."""
    requests = list(
        ChangeRequest.objects.filter(
            project__portfolio=portfolio, status=ChangeRequestStatus.PROPOSED
        )
        .select_related("project__portfolio", "proposed_by")
        .order_by("proposed_at", "pk")
    )
    if not requests:
        return []
    active_total = _active_budget(portfolio.pk)
    milestones = Milestone.objects.in_bulk(
        [int(key) for cr in requests for key in cr.milestone_dates]
    )
    return [
        PendingChange(
            change_request=cr,
            impact=_impact(cr, cr.project, active_total),
            milestones=_milestone_changes(cr, milestones),
        )
        for cr in requests
    ]


def decided_change_requests(*, portfolio, limit: int = 20) -> list[ChangeRequest]:
    return list(
        ChangeRequest.objects.filter(project__portfolio=portfolio)
        .exclude(status=ChangeRequestStatus.PROPOSED)
        .select_related("project", "proposed_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )
