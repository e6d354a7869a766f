"""The KPI cache's data versions (`reporting.kpi_cache`, docs/decisions.md): one row per
portfolio whose token PostgreSQL triggers replace, in the writing transaction, after every
statement that writes a table the KPIs read, whoever issues it (services, the admin, imports,
`queryset.update`, `bulk_create`, raw SQL). Statement-level triggers: a bulk write bumps each
portfolio it touches once, in portfolio order (the same lock order for every writer).

Which portfolios a write touches, per table (`changed` is the rows before and after):
- a project: its portfolio, its program's, and those of the projects that wait on it (a
  dependency's lateness reads the predecessor's end date); a milestone: the same for its
  project and the successors waiting on it;
- costs, submitted status reports (a draft before and after the write changes no figure),
  dependencies (both ends), risks (their portfolio, project, threatened projects), a risk's
  threatened projects, programs and the portfolio itself: the portfolios of what they hang on
  (a deleted portfolio's row is deleted with it);
- people's names (a project row shows its manager's): row 0, which every key includes.
SQLite (the demo) has no triggers: the cache is off there."""

from django.db import migrations, models

GLOBAL = 0  # the row of what every portfolio reads

# The portfolios (and their programs' portfolios) of the projects `changed.<column>` names.
_PROJECTS = """
    SELECT p.portfolio_id FROM changed c JOIN projects_project p ON p.id = c.{column}
    UNION SELECT g.portfolio_id FROM changed c JOIN projects_project p ON p.id = c.{column}
        JOIN portfolio_program g ON g.id = p.program_id
"""
# Those waiting on a changed predecessor (`changed.id` matched against `column`).
_SUCCESSORS = """
    UNION SELECT s.portfolio_id FROM changed c
        JOIN projects_projectdependency d ON d.{column} = c.id
        JOIN projects_project s ON s.id = d.successor_id
    UNION SELECT g.portfolio_id FROM changed c
        JOIN projects_projectdependency d ON d.{column} = c.id
        JOIN projects_project s ON s.id = d.successor_id
        JOIN portfolio_program g ON g.id = s.program_id
"""

TOUCHED_PORTFOLIOS = {
    "portfolio_portfolio": "SELECT c.id FROM changed c",
    "portfolio_program": "SELECT c.portfolio_id FROM changed c",
    "projects_project": (
        "SELECT c.portfolio_id FROM changed c"
        " UNION SELECT g.portfolio_id FROM changed c JOIN portfolio_program g"
        " ON g.id = c.program_id" + _SUCCESSORS.format(column="predecessor_id")
    ),
    "projects_milestone": _PROJECTS.format(column="project_id")
    + _SUCCESSORS.format(column="predecessor_milestone_id"),
    "projects_costentry": _PROJECTS.format(column="project_id"),
    "projects_statusreport": _PROJECTS.format(column="project_id").replace(
        "FROM changed c", "FROM (SELECT * FROM changed WHERE state = 'submitted') c"
    ),
    "projects_projectdependency": _PROJECTS.format(column="successor_id")
    + " UNION "
    + _PROJECTS.format(column="predecessor_id"),
    "risks_risk": (
        "SELECT c.portfolio_id FROM changed c UNION "
        + _PROJECTS.format(column="project_id")
        + " UNION "
        + _PROJECTS.format(column="project_id").replace(
            "FROM changed c",
            "FROM (SELECT t.project_id FROM changed r"
            " JOIN risks_risk_threatened_projects t ON t.risk_id = r.id) c",
        )
    ),
    "risks_risk_threatened_projects": (
        "SELECT r.portfolio_id FROM changed c JOIN risks_risk r ON r.id = c.risk_id UNION "
        + _PROJECTS.format(column="project_id")
    ),
}

BUMP = f"""
CREATE OR REPLACE FUNCTION slate_kpi_bump(portfolio_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO reporting_kpidataversion (portfolio_id, token)
    SELECT id, gen_random_uuid() FROM unnest(portfolio_ids) AS touched (id)
    WHERE id IS NOT NULL
    GROUP BY id
    ORDER BY id
    ON CONFLICT (portfolio_id) DO UPDATE SET token = EXCLUDED.token
$$;

CREATE OR REPLACE FUNCTION slate_kpi_people_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM slate_kpi_bump(ARRAY[{GLOBAL}::bigint]);
    RETURN NULL;
END
$$;

CREATE TRIGGER slate_kpi_people_renamed
AFTER UPDATE OF username, first_name, last_name ON auth_user
FOR EACH ROW
WHEN (OLD.username IS DISTINCT FROM NEW.username
      OR OLD.first_name IS DISTINCT FROM NEW.first_name
      OR OLD.last_name IS DISTINCT FROM NEW.last_name)
EXECUTE FUNCTION slate_kpi_people_renamed();
"""


# A deleted portfolio's row goes with it (a portfolio made again later starts a fresh token).
ON_DELETE = {
    "portfolio_portfolio": (
        "DELETE FROM reporting_kpidataversion WHERE portfolio_id IN (SELECT id FROM old_rows);"
    ),
}


def _table_sql(table: str, touched: str) -> str:
    def bump(changed: str) -> str:
        return f"PERFORM slate_kpi_bump(ARRAY(WITH changed AS ({changed}) {touched}));"

    return f"""
CREATE OR REPLACE FUNCTION slate_kpi_changed_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {bump("SELECT * FROM new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
        {bump("SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows")}
    ELSE
        {ON_DELETE.get(table) or bump("SELECT * FROM old_rows")}
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER slate_kpi_inserted AFTER INSERT ON {table}
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION slate_kpi_changed_{table}();
CREATE TRIGGER slate_kpi_updated AFTER UPDATE ON {table}
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION slate_kpi_changed_{table}();
CREATE TRIGGER slate_kpi_deleted AFTER DELETE ON {table}
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION slate_kpi_changed_{table}();
"""


# Every portfolio existing when the triggers arrive, and the global row, start versioned.
SEED = f"""
INSERT INTO reporting_kpidataversion (portfolio_id, token)
SELECT id, gen_random_uuid() FROM portfolio_portfolio
UNION ALL SELECT {GLOBAL}, gen_random_uuid()
ON CONFLICT (portfolio_id) DO NOTHING;
"""


def _drop_sql(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS slate_kpi_{event} ON {table};"
        for event in ("inserted", "updated", "deleted")
    ) + (f"DROP FUNCTION IF EXISTS slate_kpi_changed_{table}();")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BUMP)
    for table, touched in TOUCHED_PORTFOLIOS.items():
        schema_editor.execute(_table_sql(table, touched))
    schema_editor.execute(SEED)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TOUCHED_PORTFOLIOS:
        schema_editor.execute(_drop_sql(table))
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS slate_kpi_people_renamed ON auth_user;"
        "DROP FUNCTION IF EXISTS slate_kpi_people_renamed();"
        "DROP FUNCTION IF EXISTS slate_kpi_bump(bigint[]);"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("portfolio", "0009_gate_criteria_and_evidence"),
        ("projects", "0005_date_window"),
        ("reporting", "0007_review_runs_on_demand"),
        ("risks", "0002_date_window"),
    ]

    operations = [
        migrations.CreateModel(
            name="KpiDataVersion",
            fields=[
                ("portfolio_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("token", models.UUIDField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
