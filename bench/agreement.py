"""Does the floor compute the same figures as the application? Its per-portfolio (and
per-project) results are compared with reporting.kpis over the same scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bench import floor
from portfolio.models import Portfolio
from projects.models import Project
from reporting import kpis

# Both sides compute exactly (nothing is rounded before display); PostgreSQL divides to 16 or
# more significant digits, Python to 28: the sums agree far inside this.
MONEY_TOLERANCE = Decimal("0.00001")


@dataclass(frozen=True)
class Difference:
    scope: str
    figure: str
    floor: object
    kpis: object

    def __str__(self):
        return f"{self.scope} {self.figure}: floor {self.floor} vs kpis {self.kpis}"


def _close(a, b, tolerance: Decimal) -> bool:
    a, b = Decimal(a or 0), Decimal(b or 0)
    return abs(a - b) <= tolerance * max(abs(a), abs(b), Decimal(1))


def _compare(scope: str, floor_row: dict, rollup: kpis.KpiRollup) -> list[Difference]:
    money = {
        "bac": rollup.budget,
        "ac": rollup.actual_cost,
        "cost_to_date": rollup.cost_to_date,
        "ev": rollup.earned_value,
        "pv": rollup.planned_value,
        "eac": rollup.estimate_at_completion,
        "expected_benefit": rollup.expected_benefit,
        "risk_exposure": rollup.risk_exposure,
    }
    counts = {
        "project_count": rollup.project_count,
        "watermelons": rollup.watermelons,
        "optimistic_forecasts": rollup.optimistic_forecasts,
        "reports_missing": rollup.reports_missing,
        "late_milestones": rollup.late_milestones,
        "late_dependencies": rollup.late_dependencies,
        "first_status_date": rollup.first_status_date,
        "last_status_date": rollup.last_status_date,
        "without_status_date": rollup.without_status_date,
        **{f"stage_{s}": rollup.stage_counts.get(s, 0) for s in floor.STAGES},
        **{
            f"computed_{h or 'none'}": rollup.computed_health_counts.get(h, 0)
            for h in floor.HEALTHS
        },
        **{
            f"reported_{h or 'none'}": rollup.reported_health_counts.get(h, 0)
            for h in floor.HEALTHS
        },
    }
    differences = [
        Difference(scope, name, floor_row[name], value)
        for name, value in money.items()
        if not _close(floor_row[name], value, MONEY_TOLERANCE)
    ]
    differences += [
        Difference(scope, name, floor_row[name], value)
        for name, value in counts.items()
        if floor_row[name] != value
    ]
    return differences


def _portfolio_rollups(portfolio_ids: list[int] | None, as_of: date):
    """reporting.kpis rollups per portfolio and over all of them, as the pages make them."""
    portfolios = Portfolio.objects.order_by("pk")
    if portfolio_ids is not None:
        portfolios = portfolios.filter(pk__in=portfolio_ids)
    rollups = kpis.portfolios_kpis(portfolios=portfolios, user=None, as_of=as_of)
    return rollups, kpis.combined(rollups.values())


def check_portfolios(statement: floor.Statement, *, portfolio_ids, as_of: date):
    """Differences between the floor's portfolio (and total) rows and reporting.kpis."""
    rows = floor.run_as_dicts(statement)
    rollups, total = _portfolio_rollups(portfolio_ids, as_of)
    differences = []
    for row in rows:
        if row["kind"] == "portfolio":
            differences += _compare(row["code"], row, rollups[row["portfolio_id"]])
        elif row["kind"] == "total":
            differences += _compare("total", row, total)
    seen = {row["portfolio_id"] for row in rows if row["kind"] == "portfolio"}
    if seen != set(rollups):
        differences.append(Difference("portfolios", "ids", sorted(seen), sorted(rollups)))
    return differences


def check_project(statement: floor.Statement, *, project_id: int, as_of: date):
    [row] = floor.run_as_dicts(statement)
    [project] = kpis.project_kpis(projects=Project.objects.filter(pk=project_id), as_of=as_of)
    ev = project.earned_value
    figures = {  # exact on both sides, to different precisions
        "ac": ev.actual_cost,
        "cost_to_date": ev.cost_to_date,
        "ev": ev.earned_value,
        "pv": ev.planned_value,
        "eac": ev.estimate_at_completion,
        "computed_eac": ev.computed_estimate_at_completion,
        "pessimistic_eac": ev.pessimistic_estimate_at_completion,
        "cpi": ev.cost_performance_index,
        "spi": ev.schedule_performance_index,
        "planned_pct": project.planned_percent_complete,
        "exposure": project.risk_exposure,
    }
    expected = {
        "status_date": project.status_date,
        "computed": project.computed_health,
        "reported": project.reported_health,
        "optimistic": project.forecast_optimistic,
        "report_missing": project.report_missing,
        "late_milestones": project.late_milestones,
    }
    differences = [
        Difference(f"project {project_id}", name, row[name], value)
        for name, value in figures.items()
        if (row[name] is None) != (value is None)
        or (value is not None and not _close(row[name], value, MONEY_TOLERANCE))
    ]
    differences += [
        Difference(f"project {project_id}", name, row[name], value)
        for name, value in expected.items()
        if row[name] != value
    ]
    watermelon = row["reported"] == "green" and (
        row["has_red_dimension"] or row["computed"] == "red"
    )
    if watermelon != project.is_watermelon:
        differences.append(
            Difference(f"project {project_id}", "watermelon", watermelon, project.is_watermelon)
        )
    return differences


@dataclass(frozen=True)
class Check:
    """Compare one floor statement with reporting.kpis: portfolio rows (all portfolios when
    `portfolio_ids` is None) or, given `project_id`, one project's row."""

    label: str
    statement: floor.Statement
    as_of: date
    portfolio_ids: list[int] | None = None
    project_id: int | None = None

    def differences(self) -> list[Difference]:
        if self.project_id is not None:
            return check_project(self.statement, project_id=self.project_id, as_of=self.as_of)
        return check_portfolios(self.statement, portfolio_ids=self.portfolio_ids, as_of=self.as_of)
