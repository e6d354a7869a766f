"""Dashboard and review tables as downloads (core/exports.py): the project table of the
portfolio and program dashboards (every row its filters keep, in its sort order) and a
review's project snapshots. Money, ratios and percentages are typed numbers; dates are dates."""

from __future__ import annotations

from collections.abc import Iterable

from core import exports
from projects.querysets import Stage
from reporting.kpis import ProjectKpis
from reporting.models import ProjectSnapshot

PROJECT_COLUMNS = (
    exports.Column("Code"),
    exports.Column("Name", width=36),
    exports.Column("Program", width=24),
    exports.Column("Stage"),
    exports.Column("Manager", width=20),
    exports.Column("Currency"),
    exports.Column("BAC", exports.MONEY),
    exports.Column("AC", exports.MONEY),
    exports.Column("EAC", exports.MONEY),
    exports.Column("PM forecast", exports.MONEY),
    exports.Column("CPI", exports.RATIO),
    exports.Column("SPI", exports.RATIO),
    exports.Column("% done", exports.PERCENT),
    exports.Column("Status date", exports.DATE),
    exports.Column("Computed health"),
    exports.Column("Reported health"),
    exports.Column("Watermelon"),
    exports.Column("Report missing"),
    exports.Column("Start", exports.DATE),
    exports.Column("End", exports.DATE),
    exports.Column("Risk exposure", exports.MONEY),
)


def _project_row(row: ProjectKpis) -> list:
    project, ev = row.project, row.earned_value
    return [
        project.code,
        project.name,
        project.program_name or "",
        project.stage_label,
        project.manager_name,
        project.currency,
        project.budget,
        ev.actual_cost,
        ev.estimate_at_completion,
        ev.forecast_cost,
        ev.cost_performance_index,
        ev.schedule_performance_index,
        row.percent_complete,
        row.status_date,
        row.computed_health,
        row.reported_health,
        row.is_watermelon,
        row.report_missing,
        project.start_date,
        project.end_date,
        row.risk_exposure,
    ]


def project_table(rows: Iterable[ProjectKpis], *, filename: str, title: str) -> exports.Table:
    return exports.Table(filename, title, PROJECT_COLUMNS, (_project_row(row) for row in rows))


SNAPSHOT_COLUMNS = (
    exports.Column("Code"),
    exports.Column("Name", width=36),
    exports.Column("Program", width=24),
    exports.Column("Stage"),
    exports.Column("BAC", exports.MONEY),
    exports.Column("AC", exports.MONEY),
    exports.Column("EV", exports.MONEY),
    exports.Column("PV", exports.MONEY),
    exports.Column("EAC", exports.MONEY),
    exports.Column("% complete", exports.PERCENT),
    exports.Column("Computed health"),
    exports.Column("Reported health"),
    exports.Column("Watermelon"),
    exports.Column("Risk exposure", exports.MONEY),
    exports.Column("Expected benefit", exports.MONEY),
)


def _stage_label(value: str) -> str:
    try:
        return Stage(value).label
    except ValueError:
        return value


def snapshot_table(snapshots: Iterable[ProjectSnapshot], *, filename: str) -> exports.Table:
    """A review's project snapshots as the review stored them."""
    rows = (
        [
            s.project.code,
            s.project.name,
            s.program.name if s.program_id else "",
            _stage_label(s.stage),
            s.budget,
            s.actual_cost,
            s.earned_value,
            s.planned_value,
            s.estimate_at_completion,
            s.percent_complete,
            s.computed_health,
            s.reported_health,
            s.is_watermelon,
            s.risk_exposure,
            s.expected_benefit,
        ]
        for s in snapshots
    )
    return exports.Table(filename, "Review snapshots", SNAPSHOT_COLUMNS, rows)
