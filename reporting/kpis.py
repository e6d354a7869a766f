"""Portfolio KPIs: the one source of truth for the overview, dashboards, program pages, API
and review snapshots (docs/formulas.md). Per-project figures come from a fixed number of
set-based queries whatever the number of projects; rollups are ratios of sums.

`portfolio_kpis` (and `portfolios_kpis`, `program_kpis` for the overview and program pages)
is the one place a roll-up is assembled: which projects and risks it covers for a user, a
shared portfolio risk counted once, and what carries over to the previous period.

On PostgreSQL the per-project KPIs and the roll-up sums are computed set-based in the database
(`reporting.kpi_sql`); on SQLite (the demo) by `projects/evm.py` in Python, the reference the
SQL is tested against (tests/reporting/test_kpi_sql.py; docs/decisions.md)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from django.db import connection
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.money import MONEY
from core.queries import scalar_subquery
from portfolio.models import Portfolio, Program
from projects import evm
from projects.models import (
    RAG_FIELDS,
    CostEntry,
    Milestone,
    Project,
    ProjectDependency,
    ReportState,
    StatusReport,
)
from projects.periods import status_date_due
from projects.querysets import ACTIVE_STAGES, Stage
from projects.selectors import milestone_slip_days
from reporting import kpi_sql
from risks.models import Risk
from risks.scoring import risk_exposure_expression

ZERO = Decimal("0")
HUNDRED = Decimal("100")
EXACT_SUM_DIGITS = 200  # more than any figure `kpi_sql` returns: Decimal sums stay exact


@dataclass(frozen=True)
class ProjectRow:
    """The project columns dashboards show; plain values, no model instance (at 10,000
    projects building model instances costs more than the queries)."""

    pk: int
    portfolio_id: int
    program_id: int | None
    manager_id: int | None
    code: str
    name: str
    stage: str
    budget: Decimal
    expected_benefit: Decimal
    start_date: date
    end_date: date
    baseline_start: date | None
    baseline_end: date | None
    baseline_version: int  # 0: the original baseline; each approved change request adds one
    portfolio_code: str
    currency: str
    green_threshold: Decimal
    amber_threshold: Decimal
    eac_basis: str
    reporting_period: str
    program_name: str | None
    manager_username: str | None
    manager_first_name: str | None
    manager_last_name: str | None
    latest_report_id: int | None  # the status date's report
    actual_cost_at_status_date: Decimal
    cost_to_date: Decimal
    late_dependency_count: int

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def manager_name(self) -> str:
        full = f"{self.manager_first_name or ''} {self.manager_last_name or ''}".strip()
        return full or self.manager_username or ""


@dataclass(frozen=True)
class ProjectKpis:
    """A project's KPIs as of a date: EVM at its status date (docs/formulas.md, "Status
    date"), health, flags, milestones, dependencies and risk exposure."""

    project: ProjectRow
    earned_value: evm.EarnedValue
    percent_complete: Decimal | None  # the status date's report's; none without one
    planned_percent_complete: Decimal | None  # at the status date
    reported_health: str
    computed_health: str
    is_watermelon: bool
    forecast_optimistic: bool  # the PM's forecast is below the computed EAC by > amber band
    report_missing: bool  # the status date lags by more than one period plus grace days
    late_milestones: int
    worst_milestone_slip_days: int
    late_dependencies: int  # waiting on a predecessor that delivers after it is needed
    risk_exposure: Decimal
    report_period: date | None

    @property
    def status_date(self) -> date | None:
        return self.earned_value.status_date

    @property
    def forecast_over_budget(self) -> bool:
        eac = self.earned_value.estimate_at_completion
        return eac is not None and eac > self.project.budget


PROJECT_COLUMNS = (
    "pk", "portfolio_id", "program_id", "manager_id", "code", "name", "stage", "budget",
    "expected_benefit", "start_date", "end_date", "baseline_start", "baseline_end",
    "baseline_version", "portfolio__code", "portfolio__currency", "portfolio__green_threshold",
    "portfolio__amber_threshold", "portfolio__eac_basis", "portfolio__reporting_period",
    "program__name", "manager__username", "manager__first_name", "manager__last_name",
    "latest_report_id", "actual_cost_at_status_date", "cost_to_date",
    "late_dependency_count",
)  # fmt: skip
REPORT_COLUMNS = ("period_start", "period_end", "percent_complete", "forecast_cost", *RAG_FIELDS)
MILESTONE_COLUMNS = ("baseline_date", "forecast_date", "actual_date", "weight", "status")


@dataclass(frozen=True)
class ReportFigures:
    period_start: date
    period_end: date  # the status date
    percent_complete: Decimal
    forecast_cost: Decimal | None
    overall_rag: str
    schedule_rag: str
    budget_rag: str
    scope_rag: str
    quality_rag: str
    risk_rag: str


@dataclass(frozen=True)
class MilestoneDates:
    baseline_date: date | None
    forecast_date: date | None
    actual_date: date | None
    weight: Decimal
    status: str


def _status_report(as_of: date) -> QuerySet[StatusReport]:
    """The outer project's latest submitted report whose period has ended by `as_of`: its
    period end is the project's status date."""
    return StatusReport.objects.filter(
        project=OuterRef("pk"), state=ReportState.SUBMITTED, period_end__lte=as_of
    ).order_by("-period_start")


def _cost_sum(**dated) -> Coalesce:
    return scalar_subquery(
        CostEntry.objects.filter(project=OuterRef("pk"), **dated),
        group_by="project",
        aggregate=Sum("amount"),
        output_field=DecimalField(**MONEY),
    )


def in_sql() -> bool:
    """Whether the KPIs are computed in the database (PostgreSQL) or by the Python reference."""
    return connection.vendor == "postgresql"


def project_kpis(*, projects: QuerySet[Project], as_of: date) -> list[ProjectKpis]:
    """EVM at each project's status date, health, milestones, late dependencies and risk
    exposure for each project, ordered by portfolio and code: one statement on PostgreSQL
    (`reporting.kpi_sql`), the Python reference elsewhere."""
    if in_sql():
        return [
            _sql_project_kpis(row) for row in kpi_sql.project_rows(projects=projects, as_of=as_of)
        ]
    return python_project_kpis(projects=projects, as_of=as_of)


_PROJECT_ROW_WIDTH = len(PROJECT_COLUMNS)


def _sql_project_kpis(row: tuple) -> ProjectKpis:
    """A `ProjectKpis` from one row of `kpi_sql.project_rows` (figures computed there)."""
    project = ProjectRow(*row[:_PROJECT_ROW_WIDTH])
    (status_date, pv, ev, ac, cpi, spi, forecast, computed_eac, pessimistic, eac,
     percent, planned, reported, computed, watermelon, optimistic, missing, late, worst,
     exposure, period_start) = row[_PROJECT_ROW_WIDTH:]  # fmt: skip
    return ProjectKpis(
        project=project,
        earned_value=evm.EarnedValue(
            status_date=status_date,
            budget_at_completion=project.budget,
            planned_value=pv,
            earned_value=ev,
            actual_cost=ac,
            cost_to_date=project.cost_to_date,
            cost_performance_index=cpi,
            schedule_performance_index=spi,
            forecast_cost=forecast if status_date else None,
            computed_estimate_at_completion=computed_eac,
            pessimistic_estimate_at_completion=pessimistic,
            eac_basis=project.eac_basis,
            estimate_at_completion=eac,
            variance_at_completion=None if eac is None else project.budget - eac,
        ),
        percent_complete=percent,
        planned_percent_complete=planned,
        reported_health=reported,
        computed_health=computed,
        is_watermelon=watermelon,
        forecast_optimistic=optimistic,
        report_missing=missing,
        late_milestones=late,
        worst_milestone_slip_days=worst,
        late_dependencies=project.late_dependency_count,
        risk_exposure=exposure,
        report_period=period_start,
    )


def python_project_kpis(*, projects: QuerySet[Project], as_of: date) -> list[ProjectKpis]:
    """The Python reference of `project_kpis` (SQLite, and the property test): four queries,
    the projects with their status date, actual cost at it and to `as_of` (subqueries); those
    reports; milestones (by id, so ties on a date count in the order SQL counts them); risk
    exposure; then `projects/evm.py` per project."""
    rows = [
        ProjectRow(*values)
        for values in projects.annotate(
            latest_report_id=Subquery(_status_report(as_of).values("pk")[:1]),
            # Only the cost sum reads it; the reports query brings the date itself.
            status_date=Subquery(_status_report(as_of).values("period_end")[:1]),
            actual_cost_at_status_date=_cost_sum(date__lte=OuterRef("status_date")),
            cost_to_date=_cost_sum(date__lte=as_of),
            # Lateness is today's plan (projects.querysets), whatever `as_of`.
            late_dependency_count=scalar_subquery(
                ProjectDependency.objects.filter(successor=OuterRef("pk")).late(),
                group_by="successor",
                aggregate=Count("pk"),
                output_field=IntegerField(),
            ),
        )
        .order_by("portfolio_id", "code")
        .values_list(*PROJECT_COLUMNS)
    ]
    scope = projects.order_by().values("pk")
    reports = {
        report[0]: report
        for report in StatusReport.objects.filter(
            pk__in=[row.latest_report_id for row in rows if row.latest_report_id]
        )
        .order_by()
        .values_list("pk", *REPORT_COLUMNS)
    }
    milestones = defaultdict(list)
    for project_id, *milestone in (
        Milestone.objects.filter(project__in=scope)
        .order_by("id")
        .values_list("project_id", *MILESTONE_COLUMNS)
    ):
        milestones[project_id].append(MilestoneDates(*milestone))
    exposure = dict(
        Risk.objects.counted_in_exposure()
        .filter(project__in=scope)
        .values("project")
        .annotate(total=Sum(risk_exposure_expression()))
        .order_by()
        .values_list("project", "total")
    )
    return [
        _project_kpis(row, reports.get(row.latest_report_id), milestones[row.pk], exposure, as_of)
        for row in rows
    ]


def _project_kpis(project: ProjectRow, report_row, milestones, exposure, as_of) -> ProjectKpis:
    report = ReportFigures(*report_row[1:]) if report_row else None
    status_date = report.period_end if report else None
    planned = (
        evm.planned_percent(
            project.baseline_start,
            project.baseline_end,
            [(m.baseline_date, m.weight) for m in milestones],
            status_date,
        )
        if status_date
        else None
    )
    figures = evm.earned_value(
        budget=project.budget,
        status_date=status_date,
        planned_percent_complete=planned,
        percent_complete=report.percent_complete if report else None,
        actual_cost=project.actual_cost_at_status_date,
        cost_to_date=project.cost_to_date,
        forecast_cost=report.forecast_cost if report else None,
        eac_basis=project.eac_basis,
    )
    health = evm.project_health(
        figures,
        reported_overall=report.overall_rag if report else "",
        dimension_rags=[getattr(report, f) for f in RAG_FIELDS[1:]] if report else [],
        green_threshold=project.green_threshold,
        amber_threshold=project.amber_threshold,
    )
    slips = [slip for slip in (milestone_slip(m, as_of) for m in milestones) if slip > 0]
    return ProjectKpis(
        project=project,
        earned_value=figures,
        percent_complete=report.percent_complete if report else None,
        planned_percent_complete=planned,
        reported_health=report.overall_rag if report else "",
        computed_health=health.computed,
        is_watermelon=health.is_watermelon,
        forecast_optimistic=health.forecast_optimistic,
        report_missing=evm.report_missing(
            status_date=status_date,
            due=status_date_due(project.reporting_period, as_of),
            start_date=project.start_date,
            expected_to_report=project.stage in ACTIVE_STAGES,
        ),
        late_milestones=len(slips),
        worst_milestone_slip_days=max(slips, default=0),
        late_dependencies=project.late_dependency_count,
        risk_exposure=exposure.get(project.pk, ZERO),
        report_period=report.period_start if report else None,
    )


def milestone_slip(milestone: Milestone | MilestoneDates, as_of: date) -> int:
    """Days a milestone is late as of `as_of`: its slip (`projects.evm.milestone_slip_days`)
    when above 0, else 0 (on time, early or without a baseline)."""
    return max(0, milestone_slip_days(milestone, as_of) or 0)


@dataclass(frozen=True)
class KpiRollup:
    """Sums over a set of projects, each at its own status date; indices are ratios of sums,
    never averages of ratios (docs/formulas.md, "Portfolio roll-ups")."""

    project_count: int = 0
    stage_counts: dict = field(default_factory=dict)
    computed_health_counts: dict = field(default_factory=dict)
    reported_health_counts: dict = field(default_factory=dict)
    budget: Decimal = ZERO
    actual_cost: Decimal = ZERO  # at the status dates
    cost_to_date: Decimal = ZERO  # every cost entry up to the as-of date
    earned_value: Decimal = ZERO
    planned_value: Decimal = ZERO
    estimate_at_completion: Decimal = ZERO
    expected_benefit: Decimal = ZERO
    risk_exposure: Decimal = ZERO
    watermelons: int = 0
    optimistic_forecasts: int = 0
    reports_missing: int = 0
    late_milestones: int = 0
    late_dependencies: int = 0
    rebaselined: int = 0  # projects on an approved baseline after the original
    first_status_date: date | None = None  # the range of the projects' status dates
    last_status_date: date | None = None
    without_status_date: int = 0  # projects with no submitted report yet

    @property
    def cost_performance_index(self) -> Decimal | None:
        return evm.ratio(self.earned_value, self.actual_cost)

    @property
    def schedule_performance_index(self) -> Decimal | None:
        return evm.ratio(self.earned_value, self.planned_value)

    @property
    def variance_at_completion(self) -> Decimal:
        return self.budget - self.estimate_at_completion

    @property
    def spent_since_status_date(self) -> Decimal:
        """Costs booked after each project's status date: shown apart, not in CPI."""
        return self.cost_to_date - self.actual_cost


def _total(values: Iterable[Decimal | None]) -> Decimal:
    return sum((value for value in values if value is not None), ZERO)


def _sums(rows: list[ProjectKpis], portfolio_risk_exposure: Decimal) -> dict:
    if in_sql():  # exact, as PostgreSQL sums: a roll-up of rows equals the same sum in SQL
        with localcontext(prec=EXACT_SUM_DIGITS):
            return _row_sums(rows, portfolio_risk_exposure)
    return _row_sums(rows, portfolio_risk_exposure)


def _row_sums(rows: list[ProjectKpis], portfolio_risk_exposure: Decimal) -> dict:
    status_dates = [r.status_date for r in rows if r.status_date is not None]
    return {
        "project_count": len(rows),
        "stage_counts": dict(Counter(r.project.stage for r in rows)),
        "computed_health_counts": dict(Counter(r.computed_health for r in rows)),
        "reported_health_counts": dict(Counter(r.reported_health for r in rows)),
        "budget": _total(r.project.budget for r in rows),
        "actual_cost": _total(r.earned_value.actual_cost for r in rows),
        "cost_to_date": _total(r.earned_value.cost_to_date for r in rows),
        "earned_value": _total(r.earned_value.earned_value for r in rows),
        "planned_value": _total(r.earned_value.planned_value for r in rows),
        "estimate_at_completion": _total(
            r.earned_value.estimate_at_completion or r.project.budget for r in rows
        ),
        "expected_benefit": _total(r.project.expected_benefit for r in rows),
        "risk_exposure": sum((r.risk_exposure for r in rows), ZERO) + portfolio_risk_exposure,
        "watermelons": sum(r.is_watermelon for r in rows),
        "optimistic_forecasts": sum(r.forecast_optimistic for r in rows),
        "reports_missing": sum(r.report_missing for r in rows),
        "late_milestones": sum(r.late_milestones for r in rows),
        "late_dependencies": sum(r.late_dependencies for r in rows),
        "rebaselined": sum(r.project.baseline_version > 0 for r in rows),
        "first_status_date": min(status_dates, default=None),
        "last_status_date": max(status_dates, default=None),
        "without_status_date": len(rows) - len(status_dates),
    }


def rollup(rows: Iterable[ProjectKpis], *, portfolio_risk_exposure: Decimal = ZERO) -> KpiRollup:
    """Sum project KPIs. A portfolio risk is added once (`portfolio_risk_exposure`), however
    many projects it threatens. Projects with no EAC yet count at their budget."""
    return KpiRollup(**_sums(list(rows), portfolio_risk_exposure))


def portfolio_risk_exposure(*, risks: QuerySet[Risk]) -> Decimal:
    """Open portfolio-level risks' exposure, each counted once."""
    total = (
        risks.counted_in_exposure()
        .portfolio_level()
        .aggregate(total=Sum(risk_exposure_expression()))["total"]
    )
    return total or ZERO


# --- A portfolio's roll-up: the one selector every page, review and API response reads -------


@dataclass(frozen=True, kw_only=True)
class PortfolioKpis(KpiRollup):
    """The roll-up of a portfolio (or one program) as of a date, with the per-project KPIs it
    sums and, when asked for, the roll-up at the end of the previous reporting period."""

    as_of: date
    portfolio_risk_exposure: Decimal  # the open portfolio-level risks, each once
    projects: tuple[ProjectKpis, ...] = field(compare=False, repr=False)
    previous: PortfolioKpis | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class KpiScope:
    """The projects a roll-up sums and the risks whose portfolio-level exposure it adds."""

    projects: QuerySet[Project]
    risks: QuerySet[Risk]


def _visible_projects(user) -> QuerySet[Project]:
    """The projects `user` sees; every project when `user` is None (a stored review)."""
    return Project.objects.all() if user is None else Project.objects.visible_to(user)


def _visible_risks(user) -> QuerySet[Risk]:
    """The risks `user` sees (every risk when None), as a plain queryset: `visible_to` may join
    the threatened projects (and be DISTINCT), so aggregates run over `pk IN (…)` and count
    each risk once."""
    if user is None:
        return Risk.objects.all()
    return Risk.objects.filter(pk__in=Risk.objects.visible_to(user).values("pk"))


def portfolio_scope(*, portfolio: Portfolio, user) -> KpiScope:
    return _portfolios_scope(portfolio_ids=[portfolio.pk], user=user)


def _portfolios_scope(*, portfolio_ids: list[int], user) -> KpiScope:
    return KpiScope(
        projects=_visible_projects(user).filter(portfolio__in=portfolio_ids),
        risks=_visible_risks(user).filter(portfolio__in=portfolio_ids),
    )


def program_scope(*, program: Program, user) -> KpiScope:
    """A program's projects, their risks and the portfolio risks that threaten them."""
    threatening = Risk.threatened_projects.through.objects.filter(project__program=program)
    return KpiScope(
        projects=_visible_projects(user).filter(program=program),
        risks=_visible_risks(user).filter(
            Q(project__program=program)
            | Q(project__isnull=True, pk__in=threatening.values("risk_id"))
        ),
    )


def _portfolio_kpis(
    rows: list[ProjectKpis], *, exposure: Decimal, as_of: date, previous=None
) -> PortfolioKpis:
    return PortfolioKpis(
        **_sums(rows, exposure),
        as_of=as_of,
        portfolio_risk_exposure=exposure,
        projects=tuple(rows),
        previous=previous,
    )


class LazyProjectKpis(Sequence):
    """A roll-up's per-project rows, computed when first read: a roll-up summed in SQL (the
    overview, the previous period's tiles) needs no row per project unless a caller asks."""

    def __init__(self, *, projects: QuerySet[Project], as_of: date):
        self._projects, self._as_of, self._rows = projects, as_of, None

    def _load(self) -> list[ProjectKpis]:
        if self._rows is None:
            self._rows = project_kpis(projects=self._projects, as_of=self._as_of)
        return self._rows

    def __getitem__(self, index):
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self):
        return iter(self._load())


_COUNT_KEYS = {"stage": "stage_counts", "computed": "computed_health_counts",
               "reported": "reported_health_counts"}  # fmt: skip


def _sums_from_sql(sums: dict | None, portfolio_risk_exposure: Decimal) -> dict:
    """`_sums` of a group from `kpi_sql.portfolio_sums` (counts of 0 left out, as Counter
    leaves them); an empty group when `sums` is None."""
    if sums is None:
        return _sums([], portfolio_risk_exposure)
    result = {name: {} for name in _COUNT_KEYS.values()}
    for name, value in sums.items():
        kind, _, key = name.partition(":")
        if kind in _COUNT_KEYS:
            if value:
                result[_COUNT_KEYS[kind]][key] = value
        else:
            result[name] = value
    result["risk_exposure"] = sums["risk_exposure"] + portfolio_risk_exposure
    return result


def _sql_portfolio_kpis(
    *, projects: QuerySet[Project], sums: dict | None, exposure: Decimal, as_of: date,
    previous=None, rows=None,
) -> PortfolioKpis:  # fmt: skip
    return PortfolioKpis(
        **_sums_from_sql(sums, exposure),
        as_of=as_of,
        portfolio_risk_exposure=exposure,
        projects=rows if rows is not None else LazyProjectKpis(projects=projects, as_of=as_of),
        previous=previous,
    )


def _single_group(sums: dict[int, dict]) -> dict | None:
    """The sums of one scope, from `kpi_sql.portfolio_sums` grouped by portfolio (a program's
    projects are in one portfolio; added up should a scope ever span several)."""
    if len(sums) <= 1:
        return next(iter(sums.values()), None)
    total = {}
    for group in sums.values():
        for name, value in group.items():
            if name == "first_status_date":
                total[name] = min((v for v in (total.get(name), value) if v), default=None)
            elif name == "last_status_date":
                total[name] = max((v for v in (total.get(name), value) if v), default=None)
            else:
                total[name] = total.get(name, 0) + value
    return total


def _scope_kpis(
    *, scope: KpiScope, as_of: date, previous_as_of: date | None = None
) -> PortfolioKpis:
    """The roll-up of `scope` as of `as_of` (and of `previous_as_of`, if given).

    Risk exposure and dependency lateness are today's register (no history is kept), so the
    previous roll-up has the same figures for them and a page shows no change."""
    exposure = portfolio_risk_exposure(risks=scope.risks)
    if in_sql():
        previous = None
        if previous_as_of is not None:
            previous = _sql_portfolio_kpis(
                projects=scope.projects,
                sums=_single_group(
                    kpi_sql.portfolio_sums(projects=scope.projects, as_of=previous_as_of)
                ),
                exposure=exposure,
                as_of=previous_as_of,
            )
        return _portfolio_kpis(
            project_kpis(projects=scope.projects, as_of=as_of),
            exposure=exposure,
            as_of=as_of,
            previous=previous,
        )
    previous = None
    if previous_as_of is not None:
        previous = _portfolio_kpis(
            project_kpis(projects=scope.projects, as_of=previous_as_of),
            exposure=exposure,
            as_of=previous_as_of,
        )
    return _portfolio_kpis(
        project_kpis(projects=scope.projects, as_of=as_of),
        exposure=exposure,
        as_of=as_of,
        previous=previous,
    )


def portfolio_kpis(
    *, portfolio: Portfolio, user, as_of: date, previous_as_of: date | None = None
) -> PortfolioKpis:
    """The portfolio's roll-up over the projects and risks `user` sees (`user=None`: all of
    them, as a stored review has them)."""
    return _scope_kpis(
        scope=portfolio_scope(portfolio=portfolio, user=user),
        as_of=as_of,
        previous_as_of=previous_as_of,
    )


def portfolio_kpis_saving_snapshots(
    *, portfolio: Portfolio, as_of: date, review_id: int
) -> PortfolioKpis:
    """`portfolio_kpis` of the whole portfolio (`user=None`) on PostgreSQL, whose per-project
    rows the statement that computes them also stores as review `review_id`'s snapshots
    (`kpi_sql.project_rows_saving_snapshots`)."""
    scope = portfolio_scope(portfolio=portfolio, user=None)
    exposure = portfolio_risk_exposure(risks=scope.risks)
    rows = kpi_sql.project_rows_saving_snapshots(
        projects=scope.projects, as_of=as_of, review_id=review_id
    )
    return _portfolio_kpis([_sql_project_kpis(row) for row in rows], exposure=exposure, as_of=as_of)


def program_kpis(
    *, program: Program, user, as_of: date, previous_as_of: date | None = None
) -> PortfolioKpis:
    """The same for one program: its projects, their risks and, each once, the portfolio risks
    that threaten them."""
    return _scope_kpis(
        scope=program_scope(program=program, user=user),
        as_of=as_of,
        previous_as_of=previous_as_of,
    )


def portfolios_kpis(
    *, portfolios: Iterable[Portfolio], user, as_of: date, every_portfolio: bool = False
) -> dict[int, PortfolioKpis]:
    """`portfolio_kpis` of each portfolio, by its id, in the queries of one: the sums per
    portfolio in one statement on PostgreSQL (each roll-up's project rows computed only if
    read), else `project_kpis` over all their projects; portfolio-risk exposure grouped by
    portfolio. `every_portfolio`: `portfolios` are all there are (a PMO admin's overview), so
    the scope is the projects the user sees, not restricted to a list of portfolios (every
    project is in one): the statement then needs no scope (`kpi_sql.covers_every_project`)."""
    ids = [portfolio.pk for portfolio in portfolios]
    scope = (
        KpiScope(projects=_visible_projects(user), risks=_visible_risks(user))
        if every_portfolio
        else _portfolios_scope(portfolio_ids=ids, user=user)
    )
    exposure = dict(
        scope.risks.counted_in_exposure()
        .portfolio_level()
        .values("portfolio_id")
        .annotate(total=Sum(risk_exposure_expression()))
        .order_by()
        .values_list("portfolio_id", "total")
    )
    if in_sql():
        sums = kpi_sql.portfolio_sums(projects=scope.projects, as_of=as_of)
        return {
            pk: _sql_portfolio_kpis(
                projects=scope.projects.filter(portfolio=pk),
                sums=sums.get(pk),
                exposure=exposure.get(pk) or ZERO,
                as_of=as_of,
            )
            for pk in ids
        }
    rows_by_portfolio = defaultdict(list)
    for row in project_kpis(projects=scope.projects, as_of=as_of):
        rows_by_portfolio[row.project.portfolio_id].append(row)
    return {
        pk: _portfolio_kpis(rows_by_portfolio[pk], exposure=exposure.get(pk) or ZERO, as_of=as_of)
        for pk in ids
    }


def combined(rollups: Iterable[PortfolioKpis]) -> KpiRollup:
    """One roll-up over several portfolios: all their projects, each portfolio risk once;
    added up from the roll-ups' sums (the same as summing every project row again)."""
    rollups = list(rollups)
    if not in_sql() or not rollups:  # the reference sums the project rows again
        return rollup(
            [row for each in rollups for row in each.projects],
            portfolio_risk_exposure=sum((each.portfolio_risk_exposure for each in rollups), ZERO),
        )
    totals = {}
    for name in KpiRollup.__dataclass_fields__:
        values = [getattr(each, name) for each in rollups]
        if name == "first_status_date":
            totals[name] = min((v for v in values if v is not None), default=None)
        elif name == "last_status_date":
            totals[name] = max((v for v in values if v is not None), default=None)
        elif isinstance(values[0], dict):
            counts = Counter()
            for value in values:
                counts.update(value)
            totals[name] = {key: count for key, count in counts.items() if count}
        else:
            totals[name] = sum(values[1:], values[0])
    return KpiRollup(**totals)
