"""The raw SQL floor: hand-written PostgreSQL computing what each benchmarked page shows, run
on a bare psycopg2 cursor. No ORM, no model instances, no templates: the time no Django page
that shows these figures can beat.

Every figure follows docs/formulas.md, as projects/evm.py and reporting/kpis.py compute them:

- Status date = the period end of the latest submitted report whose period has ended by
  today; none without one. AC = Σ cost entries dated ≤ the status date (and, apart, every cost
  up to today); EV = BAC × that report's % complete; PV = BAC × planned % at the status date,
  piecewise-linear by calendar day through (baseline start, 0), each milestone's (baseline
  date, cumulative weight) strictly inside the baseline, (baseline end, 100): built with a
  running-sum window for the cumulative weights and `lag()` for the segment that contains the
  status date. PV, EV, AC are none without a status date. Nothing is rounded.
- CPI = EV/AC, SPI = EV/PV (none when the divisor is 0); computed EAC = BAC × AC / EV,
  pessimistic EAC = AC + (BAC − EV) / (CPI × SPI); the EAC that rolls up follows the
  portfolio's `eac_basis` (the worse of computed and the report's forecast cost by default);
  an optimistic forecast is below the computed EAC by more than the amber band; computed
  health from the worse known index against the portfolio's thresholds; watermelon: reported
  green with a red dimension, or reported green while computed red (two bands better); a
  report is missing when an active project started by the status date due (the end of the
  latest period past 5 grace days) has an earlier status date or none.
- Late milestones: reached ones whose actual date is after the baseline, open ones whose
  forecast (or today, once the baseline passed) is after it. Late dependencies: the
  predecessor's milestone (else the predecessor's end) is after the successor's need date.
- Open risk exposure: probability level 1–5 → 10/30/50/70/90 % × cost impact, over the open
  risks of the projects plus the portfolio's own (project-less) risks, each counted once; a
  project risk escalated into a portfolio risk counts in that portfolio risk only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from projects.periods import REPORT_GRACE_DAYS

# Per-project KPIs. `{in_scope}` completes a condition on a project id: "IS NOT NULL" (all
# projects), "= %(project)s", or "IN (SELECT ...)": each table is filtered where it is read.
PROJECT_KPIS = """
scoped AS (
    SELECT pr.id, pr.portfolio_id, pr.program_id, pr.stage, pr.start_date, pr.budget,
           pr.expected_benefit, pr.baseline_start, pr.baseline_end, pf.green_threshold,
           pf.amber_threshold, pf.eac_basis,
           -- the status date due by today: the end of the latest period past its grace days
           CASE pf.reporting_period
               WHEN 'weekly' THEN date_trunc('week', %(as_of)s::date - GRACE_DAYS)::date - 1
               ELSE date_trunc('month', %(as_of)s::date - GRACE_DAYS)::date - 1
           END AS status_date_due
    FROM projects_project pr
    JOIN portfolio_portfolio pf ON pf.id = pr.portfolio_id
    WHERE pr.id {in_scope}
),
latest_report AS (  -- the status date: the latest submitted report's period end by today
    SELECT s.id AS project_id, r.period_end AS status_date, r.percent_complete,
           r.forecast_cost, r.overall_rag,
           'red' IN (r.schedule_rag, r.budget_rag, r.scope_rag, r.quality_rag, r.risk_rag)
               AS has_red_dimension
    FROM scoped s
    CROSS JOIN LATERAL (
        SELECT * FROM projects_statusreport r
        WHERE r.project_id = s.id AND r.state = 'submitted' AND r.period_end <= %(as_of)s
        ORDER BY r.period_start DESC
        LIMIT 1
    ) r
),
actual AS (  -- AC at the status date, and every cost up to today
    SELECT c.project_id,
           COALESCE(sum(c.amount) FILTER (WHERE c.date <= r.status_date), 0) AS ac,
           sum(c.amount) AS cost_to_date
    FROM projects_costentry c
    LEFT JOIN latest_report r ON r.project_id = c.project_id
    WHERE c.project_id {in_scope} AND c.date <= %(as_of)s
    GROUP BY c.project_id
),
late_milestones AS (
    SELECT project_id, count(*) AS late
    FROM projects_milestone
    WHERE project_id {in_scope} AND baseline_date IS NOT NULL
      AND CASE
              WHEN status = 'done' OR actual_date IS NOT NULL
                  THEN COALESCE(actual_date, forecast_date, baseline_date)
              ELSE GREATEST(COALESCE(forecast_date, baseline_date), %(as_of)s::date)
          END > baseline_date
    GROUP BY project_id
),
under_way AS (  -- projects whose baseline contains their status date: PV needs the plan
    SELECT s.id, s.baseline_start, s.baseline_end, r.status_date
    FROM scoped s
    JOIN latest_report r ON r.project_id = s.id
    WHERE s.baseline_start < r.status_date AND s.baseline_end > r.status_date
),
-- The plan's points: (start, 0), each milestone strictly inside the baseline with its
-- cumulative weight (in baseline-date order, at most 100), (end, 100); `part` and `id` order
-- the points of one day.
plan_points AS (
    SELECT id AS project_id, baseline_start AS day, 0 AS part, 0::bigint AS id, 0::numeric AS pct
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
planned AS (  -- the planned share at the status date, unrounded; none without one
    SELECT s.id AS project_id,
           CASE
               WHEN r.status_date IS NULL THEN NULL
               WHEN s.baseline_start IS NULL OR s.baseline_end IS NULL
                    OR r.status_date <= s.baseline_start THEN 0
               WHEN r.status_date >= s.baseline_end THEN 100
               ELSE t.previous_pct + (t.pct - t.previous_pct)
                    * (r.status_date - t.previous_day) / (t.day - t.previous_day)
           END AS pct
    FROM scoped s
    LEFT JOIN latest_report r ON r.project_id = s.id
    LEFT JOIN status_segment t ON t.project_id = s.id
),
exposure AS (
    SELECT project_id,
           sum(cost_impact * (ARRAY[0.10, 0.30, 0.50, 0.70, 0.90])[probability]) AS exposure
    FROM risks_risk
    WHERE project_id {in_scope} AND status <> 'closed' AND escalated_to_id IS NULL
    GROUP BY project_id
),
late_dependencies AS (
    SELECT d.successor_id AS project_id, count(*) AS late
    FROM projects_projectdependency d
    JOIN projects_project predecessor ON predecessor.id = d.predecessor_id
    LEFT JOIN projects_milestone pm ON pm.id = d.predecessor_milestone_id
    WHERE d.successor_id {in_scope}
      AND COALESCE(pm.actual_date, pm.forecast_date, pm.baseline_date, predecessor.end_date)
          > d.needed_by
    GROUP BY d.successor_id
),
earned AS (  -- PV, EV, AC at the status date: none without one
    SELECT s.*, r.status_date, p.pct AS planned_pct,
           r.percent_complete, r.forecast_cost,
           COALESCE(r.overall_rag, '') AS reported, COALESCE(r.has_red_dimension, false)
               AS has_red_dimension,
           CASE WHEN r.status_date IS NOT NULL THEN COALESCE(a.ac, 0) END AS ac,
           COALESCE(a.cost_to_date, 0) AS cost_to_date,
           s.budget * r.percent_complete / 100 AS ev,
           s.budget * p.pct / 100 AS pv,
           COALESCE(lm.late, 0) AS late_milestones,
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
indices AS (  -- unrounded: pages round for display
    SELECT e.*,
           CASE WHEN ac <> 0 THEN ev / ac END AS cpi,
           CASE WHEN pv <> 0 THEN ev / pv END AS spi
    FROM earned e
),
estimates AS (
    SELECT i.*,
           CASE WHEN cpi <> 0 THEN budget * ac / ev END AS computed_eac,
           CASE WHEN cpi <> 0 AND spi <> 0 THEN ac + (budget - ev) / (cpi * spi) END
               AS pessimistic_eac
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
           stage IN ('approved', 'in_progress', 'closing') AND start_date <= status_date_due
               AND (status_date IS NULL OR status_date < status_date_due) AS report_missing
    FROM estimates e
)
""".replace("GRACE_DAYS", str(REPORT_GRACE_DAYS))

STAGES = (
    "idea", "candidate", "approved", "in_progress", "closing", "closed", "on_hold", "cancelled",
)  # fmt: skip
HEALTHS = ("green", "amber", "red", "")

# Sums over the rows of `project_kpis` (aliased `k`) in a group: ratios of sums, never averages.
ROLLUP_COLUMNS = ",\n".join(
    [
        "count(k.id) AS project_count",
        *(f"count(*) FILTER (WHERE k.stage = '{s}') AS stage_{s}" for s in STAGES),
        *(f"count(*) FILTER (WHERE k.computed = '{h}') AS computed_{h or 'none'}" for h in HEALTHS),
        *(f"count(*) FILTER (WHERE k.reported = '{h}') AS reported_{h or 'none'}" for h in HEALTHS),
        "COALESCE(sum(k.budget), 0) AS bac",
        "COALESCE(sum(k.ac), 0) AS ac",  # each project at its status date
        "COALESCE(sum(k.cost_to_date), 0) AS cost_to_date",
        "COALESCE(sum(k.ev), 0) AS ev",
        "COALESCE(sum(k.pv), 0) AS pv",
        "COALESCE(sum(COALESCE(NULLIF(k.eac, 0), k.budget)), 0) AS eac",  # no EAC yet: BAC
        "COALESCE(sum(k.expected_benefit), 0) AS expected_benefit",
        "COALESCE(sum(k.exposure), 0) AS project_risk_exposure",
        "count(*) FILTER (WHERE k.reported = 'green' AND (k.has_red_dimension"
        " OR k.computed = 'red')) AS watermelons",
        "count(*) FILTER (WHERE k.optimistic) AS optimistic_forecasts",
        "count(*) FILTER (WHERE k.report_missing) AS reports_missing",
        "COALESCE(sum(k.late_milestones), 0) AS late_milestones",
        "COALESCE(sum(k.late_dependencies), 0) AS late_dependencies",
        "min(k.status_date) AS first_status_date",
        "max(k.status_date) AS last_status_date",
        "count(k.id) FILTER (WHERE k.status_date IS NULL) AS without_status_date",
    ]
)

# Open portfolio-level risks (no project) of each portfolio in scope: counted once each.
PORTFOLIO_RISKS = """
portfolio_risks AS (
    SELECT r.portfolio_id,
           sum(r.cost_impact * (ARRAY[0.10, 0.30, 0.50, 0.70, 0.90])[r.probability]) AS exposure
    FROM risks_risk r
    WHERE r.project_id IS NULL AND r.status <> 'closed' AND r.portfolio_id {in_portfolios}
    GROUP BY r.portfolio_id
)
"""

# One row per portfolio and a total row (the overview) ...
OVERVIEW = f"""
WITH {PROJECT_KPIS}, {PORTFOLIO_RISKS}
SELECT pf.id AS portfolio_id, min(pf.code) AS code, min(pf.name) AS name,
       CASE GROUPING(pf.id) WHEN 0 THEN 'portfolio' ELSE 'total' END AS kind,
       {ROLLUP_COLUMNS},
       COALESCE(sum(k.exposure), 0) + COALESCE(CASE
           WHEN GROUPING(pf.id) = 0 THEN min(pr.exposure)
           ELSE (SELECT sum(exposure) FROM portfolio_risks)
       END, 0) AS risk_exposure
FROM portfolio_portfolio pf
LEFT JOIN project_kpis k ON k.portfolio_id = pf.id
LEFT JOIN portfolio_risks pr ON pr.portfolio_id = pf.id
WHERE pf.id {{in_portfolios}}
GROUP BY GROUPING SETS ((pf.id), ())
ORDER BY GROUPING(pf.id), name, portfolio_id
"""

# ... or, for one portfolio's dashboard, the portfolio, each program and each project with
# the columns of the project table (the table, charts and exceptions panel read them).
DASHBOARD = f"""
WITH {PROJECT_KPIS}, {PORTFOLIO_RISKS}
SELECT pf.id AS portfolio_id, min(pf.code) AS code, k.program_id, k.id AS project_id,
       CASE GROUPING(k.program_id, k.id)
           WHEN 3 THEN 'portfolio' WHEN 1 THEN 'program' ELSE 'project'
       END AS kind,
       {ROLLUP_COLUMNS},
       COALESCE(sum(k.exposure), 0)
           + CASE WHEN GROUPING(k.program_id) = 1 THEN COALESCE(min(pr.exposure), 0)
                  ELSE 0 END AS risk_exposure,
       min(k.cpi) AS cpi, min(k.spi) AS spi, min(k.computed) AS computed,
       min(k.reported) AS reported, min(k.percent_complete) AS percent_complete,
       min(k.planned_pct) AS planned_pct, min(pg.name) AS program_name,
       min(p.code) AS project_code, min(p.name) AS project_name, min(p.start_date) AS start,
       min(p.end_date) AS end, min(u.username) AS manager_username,
       min(u.first_name) AS manager_first_name, min(u.last_name) AS manager_last_name
FROM portfolio_portfolio pf
LEFT JOIN project_kpis k ON k.portfolio_id = pf.id
LEFT JOIN projects_project p ON p.id = k.id
LEFT JOIN auth_user u ON u.id = p.manager_id
LEFT JOIN portfolio_program pg ON pg.id = k.program_id
LEFT JOIN portfolio_risks pr ON pr.portfolio_id = pf.id
WHERE pf.id {{in_portfolios}}
GROUP BY GROUPING SETS ((pf.id), (pf.id, k.program_id), (pf.id, k.program_id, k.id))
ORDER BY GROUPING(k.program_id, k.id) DESC, k.program_id, project_code
"""

# What else the dashboard shows: its lists, each filtered to the portfolio.
IN_PORTFOLIO = "IN (SELECT id FROM projects_project WHERE portfolio_id = %(portfolio)s)"
DASHBOARD_LISTS = {
    "programs": """
        SELECT pg.*, u.username, u.first_name, u.last_name
        FROM portfolio_program pg
        LEFT JOIN auth_user u ON u.id = pg.manager_id
        WHERE pg.portfolio_id = %(portfolio)s
        ORDER BY pg.name, pg.id
    """,
    "objectives": """
        SELECT * FROM portfolio_strategicobjective
        WHERE portfolio_id = %(portfolio)s
        ORDER BY weight DESC, name
    """,
    "strategic alignment": f"""
        SELECT c.project_id, sum(o.weight * c.contribution) AS total
        FROM portfolio_objectivecontribution c
        JOIN portfolio_strategicobjective o ON o.id = c.objective_id
        WHERE c.project_id {IN_PORTFOLIO} AND o.active_from <= %(as_of)s
          AND (o.active_until IS NULL OR o.active_until >= %(as_of)s)
        GROUP BY c.project_id
    """,
    "dependencies": f"""
        SELECT d.id, d.predecessor_id, pre.code, pre.name, d.successor_id, suc.code, suc.name,
               d.deliverable, d.needed_by, e.expected_on, e.expected_on > d.needed_by AS is_late
        FROM projects_projectdependency d
        JOIN projects_project pre ON pre.id = d.predecessor_id
        JOIN projects_project suc ON suc.id = d.successor_id
        LEFT JOIN projects_milestone pm ON pm.id = d.predecessor_milestone_id
        CROSS JOIN LATERAL (SELECT COALESCE(pm.actual_date, pm.forecast_date, pm.baseline_date,
                                            pre.end_date) AS expected_on) e
        WHERE d.successor_id {IN_PORTFOLIO} OR d.predecessor_id {IN_PORTFOLIO}
        ORDER BY is_late DESC, d.needed_by, d.id
    """,
    "top portfolio risks": """
        SELECT r.*, r.probability * r.impact AS score, u.username
        FROM risks_risk r
        LEFT JOIN auth_user u ON u.id = r.owner_id
        WHERE r.portfolio_id = %(portfolio)s AND r.project_id IS NULL AND r.status <> 'closed'
        ORDER BY score DESC, r.cost_impact DESC, r.id
        LIMIT 10
    """,
    "escalated risks": """
        SELECT r.*, p.code, e.title
        FROM risks_risk r
        JOIN projects_project p ON p.id = r.project_id
        LEFT JOIN risks_risk e ON e.id = r.escalated_to_id
        WHERE r.portfolio_id = %(portfolio)s AND r.status <> 'closed'
          AND (r.status = 'escalated' OR r.escalated_to_id IS NOT NULL)
        ORDER BY r.escalated_at DESC, r.id
        LIMIT 20
    """,
    "risk heat map": """
        SELECT probability, impact, count(*)
        FROM risks_risk
        WHERE portfolio_id = %(portfolio)s AND status <> 'closed' AND escalated_to_id IS NULL
        GROUP BY probability, impact
    """,
    "roadmap milestones (first page of the table)": """
        SELECT m.project_id, m.name, m.baseline_date, m.forecast_date, m.actual_date, m.status
        FROM projects_milestone m
        WHERE m.project_id IN (SELECT id FROM projects_project WHERE portfolio_id = %(portfolio)s
                               ORDER BY code LIMIT 25)
        ORDER BY m.project_id, m.sequence, m.id
    """,
}

ONE_PROJECT_KPIS = f"WITH {PROJECT_KPIS} SELECT * FROM project_kpis"

# The project page's lists, as its selectors load them (reporting/selectors.project_detail,
# reporting/selectors.project_charts and project_history).
PROJECT_LISTS = {
    "header": """
        SELECT pr.*, pf.code, pf.name, pf.currency, pf.green_threshold, pf.amber_threshold,
               pg.name, m.username, m.first_name, m.last_name,
               sp.username, sp.first_name, sp.last_name
        FROM projects_project pr
        JOIN portfolio_portfolio pf ON pf.id = pr.portfolio_id
        LEFT JOIN portfolio_program pg ON pg.id = pr.program_id
        LEFT JOIN auth_user m ON m.id = pr.manager_id
        LEFT JOIN auth_user sp ON sp.id = pr.sponsor_id
        WHERE pr.id = %(project)s
    """,
    "milestones": """
        SELECT * FROM projects_milestone WHERE project_id = %(project)s
        ORDER BY sequence, baseline_date, id
    """,
    "status reports": """
        SELECT *, count(*) OVER () AS total FROM projects_statusreport
        WHERE project_id = %(project)s ORDER BY period_start DESC LIMIT 12
    """,
    "cost entries": """
        SELECT *, count(*) OVER () AS total, sum(amount) OVER () AS total_amount
        FROM projects_costentry WHERE project_id = %(project)s
        ORDER BY date DESC, id DESC LIMIT 10
    """,
    "risks": """
        SELECT r.*, r.probability * r.impact AS score, o.username, o.first_name, o.last_name,
               e.title AS escalated_to_title
        FROM risks_risk r
        LEFT JOIN auth_user o ON o.id = r.owner_id
        LEFT JOIN risks_risk e ON e.id = r.escalated_to_id
        WHERE r.project_id = %(project)s
        ORDER BY score DESC, r.cost_impact DESC, r.id
    """,
    "threatening risks": """
        SELECT r.*, r.probability * r.impact AS score, o.username, o.first_name, o.last_name
        FROM risks_risk r
        JOIN risks_risk_threatened_projects t ON t.risk_id = r.id
        LEFT JOIN auth_user o ON o.id = r.owner_id
        WHERE t.project_id = %(project)s
        ORDER BY score DESC, r.cost_impact DESC, r.id
    """,
    "dependencies": """
        SELECT d.*, other.code, other.name,
               COALESCE(pm.actual_date, pm.forecast_date, pm.baseline_date,
                        predecessor.end_date) AS expected_on,
               COALESCE(pm.actual_date, pm.forecast_date, pm.baseline_date,
                        predecessor.end_date) > d.needed_by AS is_late
        FROM projects_projectdependency d
        JOIN projects_project predecessor ON predecessor.id = d.predecessor_id
        JOIN projects_project other ON other.id = CASE WHEN d.successor_id = %(project)s
                                                       THEN d.predecessor_id
                                                       ELSE d.successor_id END
        LEFT JOIN projects_milestone pm ON pm.id = d.predecessor_milestone_id
        WHERE d.successor_id = %(project)s OR d.predecessor_id = %(project)s
        ORDER BY d.needed_by, d.id
    """,
    "allocations": """
        SELECT a.*, ro.name, re.name
        FROM resources_allocation a
        JOIN resources_role ro ON ro.id = a.role_id
        LEFT JOIN resources_resource re ON re.id = a.resource_id
        WHERE a.project_id = %(project)s
        ORDER BY a.start_month, a.id
    """,
    "chart reports": """
        SELECT period_start, period_end, percent_complete, overall_rag, schedule_rag,
               budget_rag, scope_rag, quality_rag, risk_rag
        FROM projects_statusreport
        WHERE project_id = %(project)s AND state = 'submitted'
        ORDER BY period_start
    """,
    "chart monthly costs": """
        SELECT date_trunc('month', date) AS month, sum(amount)
        FROM projects_costentry
        WHERE project_id = %(project)s AND date <= %(as_of)s
        GROUP BY 1
    """,
    **{
        f"history of {table}": f"""
            SELECT h.*, u.username FROM {table} h
            LEFT JOIN auth_user u ON u.id = h.history_user_id
            WHERE h.{column} = %(project)s
            ORDER BY h.history_date DESC, h.history_id DESC LIMIT 80
        """
        for table, column in (
            ("projects_historicalproject", "id"),
            ("projects_historicalmilestone", "project_id"),
            ("projects_historicalstatusreport", "project_id"),
            ("risks_historicalrisk", "project_id"),
        )
    },
}


@dataclass(frozen=True)
class Statement:
    sql: str
    params: dict


ALL = "IS NOT NULL"  # completes `id {in_scope}` for every row: the ids are never null


def overview_statements(*, as_of: date) -> list[Statement]:
    """All portfolios and all their projects (what a PMO admin's overview covers)."""
    sql = OVERVIEW.format(in_scope=ALL, in_portfolios=ALL)
    return [Statement(sql, {"as_of": as_of})]


def dashboard_statements(
    *, portfolio_id: int, as_of: date, previous_as_of: date
) -> list[Statement]:
    """The portfolio's KPIs by portfolio, program and project; its KPIs at the end of the
    previous reporting period (the tiles show the change); and its lists."""
    params = {"as_of": as_of, "portfolio": portfolio_id}
    scope = {"in_scope": IN_PORTFOLIO, "in_portfolios": "= %(portfolio)s"}
    return [
        Statement(DASHBOARD.format(**scope), params),
        Statement(OVERVIEW.format(**scope), {**params, "as_of": previous_as_of}),
        *(Statement(sql, params) for sql in DASHBOARD_LISTS.values()),
    ]


def project_statements(*, project_id: int, as_of: date) -> list[Statement]:
    params = {"as_of": as_of, "project": project_id}
    return [Statement(ONE_PROJECT_KPIS.format(in_scope="= %(project)s"), params)] + [
        Statement(sql, params) for sql in PROJECT_LISTS.values()
    ]


def run(statements: list[Statement]) -> list[list[tuple]]:
    """Execute and fetch every statement on a bare psycopg2 cursor (no Django wrapper)."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        results = []
        for statement in statements:
            cursor.execute(statement.sql, statement.params)
            results.append(cursor.fetchall())
        return results


def run_as_dicts(statement: Statement) -> list[dict]:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
