"""A portfolio's change also makes a new KPI data version for the portfolios of the programs
that hold its projects: a project row shows its portfolio's code and currency, on its
program's pages too (0008 bumped the portfolio alone). The trigger is 0008's; only the
function it runs is replaced."""

from django.db import migrations


def _function(touched: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION slate_kpi_changed_portfolio_portfolio() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM slate_kpi_bump(ARRAY(WITH changed AS (SELECT * FROM new_rows) {touched}));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM slate_kpi_bump(ARRAY(
            WITH changed AS (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) {touched}
        ));
    ELSE
        DELETE FROM reporting_kpidataversion WHERE portfolio_id IN (SELECT id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;
"""


WITH_PROGRAMS = _function(
    "SELECT c.id FROM changed c UNION SELECT g.portfolio_id FROM changed c"
    " JOIN projects_project p ON p.portfolio_id = c.id"
    " JOIN portfolio_program g ON g.id = p.program_id"
)
PORTFOLIO_ONLY = _function("SELECT c.id FROM changed c")


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("reporting", "0008_kpi_data_versions")]

    operations = [migrations.RunPython(_run(WITH_PROGRAMS), _run(PORTFOLIO_ONLY))]
