"""Per-project KPIs computed set-based in PostgreSQL (docs/formulas.md, "Status date" to
"Portfolio roll-ups"), the same rules as `projects/evm.py`, which stays the reference.

`reporting.kpis` reads this module on PostgreSQL and keeps the Python reference on SQLite (the
demo; docs/decisions.md). ORM expressions give the parts the ORM says best (the scope of
projects a user sees, risk exposure, dependency lateness); SQL gives what it cannot say: the
status date's report (LATERAL), the plan's points and the segment holding the status date
(window functions), EVM, health and the roll-up sums (GROUPING SETS).

Figures are exact decimals, never rounded here: PostgreSQL's `numeric` is exact for sums and
products; each quotient is taken with at least 40 decimal places (`_EXACT`), more than the
28 significant digits of Python's decimal context, so the two agree to the cent (the
property test, tests/reporting/test_kpi_sql.py)."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet, Sum

from projects.models import Project, ProjectDependency
from projects.periods import status_date_due
from projects.querysets import ACTIVE_STAGES
from risks.models import Risk
from risks.scoring import risk_exposure_expression

_EXACT = 40  # decimal places kept by each division (numeric's dscale of the dividend)

# Each `{name}` is replaced by an SQL fragment with its own %s parameters (`_compose`).
# `{in_scope}` completes `<project id> {in_scope}`: `IN (SELECT id FROM scope)`, or
# `IS NOT NULL` when the scope is every project (`covers_every_project`).
PROJECT_KPIS = """
scope (id) AS NOT MATERIALIZED ({scope}),
scoped AS (
    SELECT pr.id, pr.portfolio_id, pr.program_id, pr.manager_id, pr.code, pr.name, pr.stage,
           pr.budget, pr.expected_benefit, pr.start_date, pr.end_date, pr.baseline_start,
           pr.baseline_end, pr.baseline_version, pf.green_threshold, pf.amber_threshold,
           pf.eac_basis,
           CASE pf.reporting_period WHEN 'weekly' THEN {weekly_due} ELSE {monthly_due} END
               AS status_date_due
    FROM projects_project pr
    JOIN portfolio_portfolio pf ON pf.id = pr.portfolio_id
    WHERE pr.id {in_scope}
),
latest_report AS (  -- the status date: the latest submitted report's period end by as-of
    SELECT s.id AS project_id, r.id AS report_id, r.period_start, r.period_end AS status_date,
           r.percent_complete, r.forecast_cost, r.overall_rag,
           'red' IN (r.schedule_rag, r.budget_rag, r.scope_rag, r.quality_rag, r.risk_rag)
               AS has_red_dimension
    FROM scoped s
    CROSS JOIN LATERAL (
        SELECT * FROM projects_statusreport r
        WHERE r.project_id = s.id AND r.state = 'submitted' AND r.period_end <= {as_of}
        ORDER BY r.period_start DESC
        LIMIT 1
    ) r
),
actual AS (  -- AC at the status date, and every cost up to as-of
    SELECT c.project_id,
           COALESCE(sum(c.amount) FILTER (WHERE c.date <= r.status_date), 0) AS ac,
           sum(c.amount) FILTER (WHERE c.date <= {as_of}) AS cost_to_date
    FROM projects_costentry c
    LEFT JOIN latest_report r ON r.project_id = c.project_id
    WHERE c.project_id {in_scope}
    GROUP BY c.project_id
),
slips AS (  -- docs/formulas.md, "Milestone slip": reached ones from their date, open ones
    SELECT m.project_id,
           CASE
               WHEN m.status = 'done' OR m.actual_date IS NOT NULL
                   THEN COALESCE(m.actual_date, m.forecast_date, m.baseline_date)
               ELSE GREATEST(COALESCE(m.forecast_date, m.baseline_date), {as_of})
           END - m.baseline_date AS slip
    FROM projects_milestone m
    WHERE m.project_id {in_scope} AND m.baseline_date IS NOT NULL
),
late_milestones AS (
    SELECT project_id, count(*) AS late, max(slip) AS worst
    FROM slips WHERE slip > 0
    GROUP BY project_id
),
under_way AS (  -- projects whose baseline contains their status date: PV needs the plan
    SELECT s.id, s.baseline_start, s.baseline_end, r.status_date
    FROM scoped s
    JOIN latest_report r ON r.project_id = s.id
    WHERE s.baseline_start < r.status_date AND s.baseline_end > r.status_date
),
-- The plan's points: (start, 0), each milestone strictly inside the baseline at its running
-- weight (baseline-date order, ties by id, at most 100), (end, 100).
plan_points AS (
    SELECT id AS project_id, baseline_start AS day, 0 AS part, 0::bigint AS id,
           0::numeric AS pct
    FROM under_way
    UNION ALL
    SELECT project_id, day, 1, id, pct
    FROM (
        SELECT m.project_id, m.baseline_date AS day, m.id, u.baseline_start, u.baseline_end,
               LEAST(100, sum(m.weight) OVER (PARTITION BY m.project_id
                                              ORDER BY m.baseline_date, m.id)) AS pct
        FROM projects_milestone m
        JOIN under_way u ON u.id = m.project_id
        WHERE m.baseline_date IS NOT NULL
    ) cumulative
    WHERE day > baseline_start AND day < baseline_end
    UNION ALL
    SELECT id, baseline_end, 2, 0, 100
    FROM under_way
),
plan_segments AS (
    SELECT project_id, day, pct, part, id,
           lag(day) OVER w AS previous_day, lag(pct) OVER w AS previous_pct
    FROM plan_points
    WINDOW w AS (PARTITION BY project_id ORDER BY day, part, id)
),
status_segment AS (  -- the first segment that ends on or after the status date
    SELECT DISTINCT ON (g.project_id) g.project_id, g.previous_day, g.previous_pct, g.day, g.pct
    FROM plan_segments g
    JOIN under_way u ON u.id = g.project_id
    WHERE g.day >= u.status_date
    ORDER BY g.project_id, g.day, g.part, g.id
),
planned AS (  -- planned percent at the status date, unrounded; none without a status date
    SELECT s.id AS project_id,
           CASE
               WHEN r.status_date IS NULL THEN NULL
               WHEN s.baseline_start IS NULL OR s.baseline_end IS NULL
                    OR r.status_date <= s.baseline_start THEN 0
               WHEN r.status_date >= s.baseline_end THEN 100
               ELSE t.previous_pct + round((t.pct - t.previous_pct)
                    * (r.status_date - t.previous_day), EXACT) / (t.day - t.previous_day)
           END AS pct
    FROM scoped s
    LEFT JOIN latest_report r ON r.project_id = s.id
    LEFT JOIN status_segment t ON t.project_id = s.id
),
exposure (project_id, exposure) AS ({exposure}),
late_dependencies (project_id, late) AS ({late_dependencies}),
earned AS (  -- PV, EV, AC at the status date: none without one
    SELECT s.*, r.report_id, r.period_start, r.status_date, p.pct AS planned_pct,
           r.percent_complete, r.forecast_cost,
           COALESCE(r.overall_rag, '') AS reported,
           COALESCE(r.has_red_dimension, false) AS has_red_dimension,
           CASE WHEN r.status_date IS NOT NULL THEN COALESCE(a.ac, 0) END AS ac,
           COALESCE(a.cost_to_date, 0) AS cost_to_date,
           s.budget * r.percent_complete / 100 AS ev,
           s.budget * p.pct / 100 AS pv,
           COALESCE(lm.late, 0) AS late_milestones,
           COALESCE(lm.worst, 0) AS worst_slip,
           COALESCE(x.exposure, 0) AS exposure,
           COALESCE(ld.late, 0) AS late_dependencies
    FROM scoped s
    JOIN planned p ON p.project_id = s.id
    LEFT JOIN actual a ON a.project_id = s.id
    LEFT JOIN latest_report r ON r.project_id = s.id
    LEFT JOIN late_milestones lm ON lm.project_id = s.id
    LEFT JOIN exposure x ON x.project_id = s.id
    LEFT JOIN late_dependencies ld ON ld.project_id = s.id
),
indices AS (
    SELECT e.*,
           CASE WHEN ac <> 0 THEN round(ev, EXACT) / ac END AS cpi,
           CASE WHEN pv <> 0 THEN round(ev, EXACT) / pv END AS spi
    FROM earned e
),
estimates AS (
    SELECT i.*,
           CASE WHEN cpi <> 0 THEN round(budget * ac, EXACT) / ev END AS computed_eac,
           CASE WHEN cpi <> 0 AND spi <> 0
                THEN ac + round(budget - ev, EXACT) / (cpi * spi) END AS pessimistic_eac
    FROM indices i
),
project_kpis AS (
    SELECT e.*,
           CASE  -- LEAST ignores NULLs: the worse of the known indices
               WHEN cpi IS NULL AND spi IS NULL THEN ''
               WHEN LEAST(cpi, spi) >= green_threshold THEN 'green'
               WHEN LEAST(cpi, spi) >= amber_threshold THEN 'amber'
               ELSE 'red'
           END AS computed,
           CASE eac_basis  -- GREATEST ignores NULLs: the worse of the known EACs
               WHEN 'computed' THEN COALESCE(computed_eac, forecast_cost)
               WHEN 'forecast' THEN COALESCE(forecast_cost, computed_eac)
               ELSE GREATEST(computed_eac, forecast_cost)
           END AS eac,
           COALESCE(computed_eac - forecast_cost > computed_eac * (1 - amber_threshold), false)
               AS optimistic,
           stage IN ACTIVE AND start_date <= status_date_due
               AND (status_date IS NULL OR status_date < status_date_due) AS report_missing
    FROM estimates e
),
kpis AS (
    SELECT k.*,
           reported = 'green' AND (has_red_dimension OR computed = 'red') AS watermelon
    FROM project_kpis k
)
""".replace("EXACT", str(_EXACT)).replace(
    "IN ACTIVE", "IN (" + ", ".join(f"'{stage}'" for stage in ACTIVE_STAGES) + ")"
)

# The columns `reporting.kpis` builds a project's row from, in order.
ROW_COLUMNS = (
    # ProjectRow
    "k.id", "k.portfolio_id", "k.program_id", "k.manager_id", "k.code", "k.name", "k.stage",
    "k.budget", "k.expected_benefit", "k.start_date", "k.end_date", "k.baseline_start",
    "k.baseline_end", "k.baseline_version", "pf.code", "pf.currency", "k.green_threshold",
    "k.amber_threshold", "k.eac_basis", "pf.reporting_period", "pg.name", "u.username",
    "u.first_name", "u.last_name", "k.report_id", "COALESCE(k.ac, 0)", "k.cost_to_date",
    "k.late_dependencies",
    # EarnedValue, then the rest of ProjectKpis
    "k.status_date", "k.pv", "k.ev", "k.ac", "k.cpi", "k.spi", "k.forecast_cost",
    "k.computed_eac", "k.pessimistic_eac", "k.eac",
    "k.percent_complete", "k.planned_pct", "k.reported", "k.computed", "k.watermelon",
    "k.optimistic", "k.report_missing", "k.late_milestones", "k.worst_slip", "k.exposure",
    "k.period_start",
)  # fmt: skip

_SELECT_ROWS = f"""
SELECT {", ".join(ROW_COLUMNS)}
FROM kpis k
JOIN portfolio_portfolio pf ON pf.id = k.portfolio_id
LEFT JOIN portfolio_program pg ON pg.id = k.program_id
LEFT JOIN auth_user u ON u.id = k.manager_id
ORDER BY k.portfolio_id, k.code
"""

PROJECT_ROWS = f"WITH {PROJECT_KPIS} {_SELECT_ROWS}"


def _cents_half_even(amount: str) -> str:
    """SQL rounding `amount` to the cent half to even, as `Decimal.quantize` does in Python's
    default context (`reporting.reviews._cents`); PostgreSQL's round() takes a half away from
    zero."""
    return (
        f"CASE WHEN abs({amount} - trunc({amount}, 2)) = 0.005 "
        f"AND mod(trunc({amount}, 2) * 100, 2) = 0 "
        f"THEN trunc({amount}, 2) ELSE round({amount}, 2) END"
    )


# A review's snapshots (`reporting.ProjectSnapshot`), written by the statement that computes
# the rows: the values of `reporting.reviews.snapshot_values`. Risk exposure is not rounded
# here: the numeric(14, 2) column rounds it, as it does the Python path's value.
SNAPSHOT_COLUMNS = (
    ("review_id", "{review}"),
    ("project_id", "k.id"),
    ("program_id", "k.program_id"),
    ("stage", "k.stage"),
    ("budget", "k.budget"),
    ("actual_cost", _cents_half_even("COALESCE(k.ac, 0)")),
    ("earned_value", _cents_half_even("COALESCE(k.ev, 0)")),
    ("planned_value", _cents_half_even("COALESCE(k.pv, 0)")),
    ("estimate_at_completion", _cents_half_even("k.eac")),
    ("percent_complete", "COALESCE(k.percent_complete, 0)"),
    ("reported_health", "k.reported"),
    ("computed_health", "k.computed"),
    ("is_watermelon", "k.watermelon"),
    ("risk_exposure", "k.exposure"),
    ("expected_benefit", "k.expected_benefit"),
)

PROJECT_ROWS_SAVING_SNAPSHOTS = f"""
WITH {PROJECT_KPIS},
snapshots AS (
    INSERT INTO reporting_projectsnapshot ({", ".join(name for name, _ in SNAPSHOT_COLUMNS)})
    SELECT {", ".join(sql for _, sql in SNAPSHOT_COLUMNS)}
    FROM kpis k
)
{_SELECT_ROWS}"""

STAGES = (
    "idea", "candidate", "approved", "in_progress", "closing", "closed", "on_hold", "cancelled",
)  # fmt: skip
HEALTHS = ("green", "amber", "red", "")

# Sums over a group of `kpis` rows: ratios are taken of these sums, never averaged.
SUM_COLUMNS = (
    ("project_count", "count(*)"),
    *((f"stage:{s}", f"count(*) FILTER (WHERE k.stage = '{s}')") for s in STAGES),
    *((f"computed:{h}", f"count(*) FILTER (WHERE k.computed = '{h}')") for h in HEALTHS),
    *((f"reported:{h}", f"count(*) FILTER (WHERE k.reported = '{h}')") for h in HEALTHS),
    ("budget", "COALESCE(sum(k.budget), 0)"),
    ("actual_cost", "COALESCE(sum(k.ac), 0)"),
    ("cost_to_date", "COALESCE(sum(k.cost_to_date), 0)"),
    ("earned_value", "COALESCE(sum(k.ev), 0)"),
    ("planned_value", "COALESCE(sum(k.pv), 0)"),
    ("estimate_at_completion", "COALESCE(sum(COALESCE(NULLIF(k.eac, 0), k.budget)), 0)"),
    ("expected_benefit", "COALESCE(sum(k.expected_benefit), 0)"),
    ("risk_exposure", "COALESCE(sum(k.exposure), 0)"),
    ("watermelons", "count(*) FILTER (WHERE k.watermelon)"),
    ("optimistic_forecasts", "count(*) FILTER (WHERE k.optimistic)"),
    ("reports_missing", "count(*) FILTER (WHERE k.report_missing)"),
    ("late_milestones", "COALESCE(sum(k.late_milestones), 0)::bigint"),
    ("late_dependencies", "COALESCE(sum(k.late_dependencies), 0)::bigint"),
    ("rebaselined", "count(*) FILTER (WHERE k.baseline_version > 0)"),
    ("first_status_date", "min(k.status_date)"),
    ("last_status_date", "max(k.status_date)"),
    ("without_status_date", "count(*) FILTER (WHERE k.status_date IS NULL)"),
)

ROLLUPS = f"""
WITH {PROJECT_KPIS}
SELECT k.portfolio_id, {", ".join(sql for _, sql in SUM_COLUMNS)}
FROM kpis k
GROUP BY k.portfolio_id
"""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compose(template: str, parts: dict[str, tuple[str, tuple]]) -> tuple[str, list]:
    """`template` with each `{name}` replaced by `parts[name]`'s SQL, and the parameters of
    the parts in the order they appear (a part may appear more than once)."""
    sql, params, position = [], [], 0
    for match in _PLACEHOLDER.finditer(template):
        fragment, fragment_params = parts[match.group(1)]
        sql += [template[position : match.start()], fragment]
        params += list(fragment_params)
        position = match.end()
    sql.append(template[position:])
    return "".join(sql), params


def _compiled(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def is_whole_table(queryset: QuerySet) -> bool:
    """Whether `queryset` is every row of its table: no filter, no slice, no union."""
    query = queryset.query
    return not query.where and not query.is_sliced and not query.combinator


def covers_every_project(projects: QuerySet) -> bool:
    """Whether `projects` is every project (a PMO admin's overview). The statement then
    restricts no table to the scope: an `IN (…)` over ten thousand ids was a semi-join on
    each of the projects, costs, milestones, risks and dependencies, a fifth of the
    overview's time."""
    return projects.model is Project and is_whole_table(projects)


def _parts(projects: QuerySet[Project], as_of: date) -> dict[str, tuple[str, tuple]]:
    every_project = covers_every_project(projects)
    in_scope = projects.order_by().values("pk")

    def scoped(queryset: QuerySet, field: str) -> QuerySet:
        if every_project:
            return queryset.filter(**{f"{field}__isnull": False})
        return queryset.filter(**{f"{field}__in": in_scope})

    return {
        "scope": _compiled(projects.order_by().values("pk")),
        "in_scope": ("IS NOT NULL", ()) if every_project else ("IN (SELECT id FROM scope)", ()),
        "as_of": ("%s::date", (as_of,)),
        "weekly_due": ("%s::date", (status_date_due("weekly", as_of),)),
        "monthly_due": ("%s::date", (status_date_due("monthly", as_of),)),
        # the ORM says these as the Python path does: one definition of each
        "exposure": _compiled(
            scoped(Risk.objects.counted_in_exposure(), "project")
            .order_by()
            .values("project_id")
            .annotate(exposure=Sum(risk_exposure_expression()))
            .values("project_id", "exposure")
        ),
        "late_dependencies": _compiled(
            scoped(ProjectDependency.objects.all(), "successor")
            .late()
            .order_by()
            .values("successor_id")
            .annotate(late=Count("pk"))
            .values("successor_id", "late")
        ),
    }


def _run(template: str, projects: QuerySet[Project], as_of: date, **extra) -> list[tuple]:
    try:
        sql, params = _compose(template, {**_parts(projects, as_of), **extra})
    except EmptyResultSet:  # a scope empty by construction (`__in` an empty list): no rows
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def project_rows(*, projects: QuerySet[Project], as_of: date) -> list[tuple]:
    """Each project's KPIs at its status date as of `as_of`, one row of `ROW_COLUMNS` each."""
    return _run(PROJECT_ROWS, projects, as_of)


def project_rows_saving_snapshots(
    *, projects: QuerySet[Project], as_of: date, review_id: int
) -> list[tuple]:
    """`project_rows`, and each row stored as a snapshot of review `review_id` by the same
    statement (a data-modifying WITH): the review's writes cost no second pass."""
    return _run(PROJECT_ROWS_SAVING_SNAPSHOTS, projects, as_of, review=("%s", (review_id,)))


def portfolio_sums(*, projects: QuerySet[Project], as_of: date) -> dict[int, dict]:
    """The sums of `SUM_COLUMNS` over `projects`, by portfolio id."""
    names = [name for name, _ in SUM_COLUMNS]
    return {
        row[0]: dict(zip(names, row[1:], strict=True)) for row in _run(ROLLUPS, projects, as_of)
    }
